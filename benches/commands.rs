//! Command throughput and latency through the whole cqrs path, against raw
//! SQLite per-transaction inserts measured in the same run.
//!
//! For each durability (FULL, NORMAL) and each writer count (1, 64), every
//! writer owns one registered user and issues `ChangeLocale` commands on it,
//! alternating en/ru, one after another. A command is timed from the call to
//! `Commands::user` until it returns: the aggregate is loaded from its
//! snapshot, the command handled, events and snapshot appended through the
//! writer's group commit, and the projections have reached the head
//! (read-your-writes).
//!
//! The reference is plain rusqlite on a fresh file, single-threaded: one
//! `BEGIN; INSERT; COMMIT` per row with a payload the size of a stored
//! `UserLocaleChanged` event (payload + metadata JSON), WAL, the same
//! `synchronous` setting.
//!
//! Run: `cargo bench --bench commands`. Command counts can be overridden with
//! `BENCH_COMMANDS_64=<n>` and `BENCH_COMMANDS_1=<n>`; `BENCH_ONLY=normal-64`
//! (or `full-1`, ...) runs a single case, for profiling.

use std::path::Path;
use std::time::{Duration, Instant};

use ispmon::config::Settings;
use ispmon::core::Core;
use ispmon_events::secrets::SecretRef;
use ispmon_events::user::{UserCommand, UserEvent};
use ispmon_events::values::{Locale, Login, Role};
use ispmon_events::{Durability, Metadata, Source};
use tokio_util::sync::CancellationToken;

/// Target: commands/s with 64 writers, durability FULL.
const TARGET_FULL_64: f64 = 10_000.0;
/// Target: commands/s with 64 writers, durability NORMAL, as a fraction of
/// raw NORMAL per-transaction inserts.
const TARGET_NORMAL_RATIO: f64 = 0.5;

/// Commands each writer issues before timing starts (caches, pool).
const WARMUP_PER_WRITER: usize = 20;

struct CaseResult {
    durability: Durability,
    writers: usize,
    commands: usize,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

struct RawResult {
    rows: usize,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn label(d: Durability) -> &'static str {
    match d {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

/// The size of one stored `UserLocaleChanged` event: payload + metadata JSON.
fn event_payload_size() -> usize {
    let payload = serde_json::to_string(&UserEvent::UserLocaleChanged { locale: Locale::Ru })
        .expect("serialize event");
    let meta = serde_json::to_string(&Metadata::system(Source::Cli, "bench").to_map())
        .expect("serialize metadata");
    payload.len() + meta.len()
}

/// Raw rusqlite: one transaction per single-row INSERT, on a fresh file.
fn raw_inserts(dir: &Path, durability: Durability, rows: usize, payload_len: usize) -> RawResult {
    let path = dir.join(format!("raw-{}.db", label(durability)));
    let conn = rusqlite::Connection::open(&path).expect("open raw db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        },
    )
    .expect("synchronous");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .expect("create table");
    let payload: String = "x".repeat(payload_len);
    let mut lat = Vec::with_capacity(rows);
    let start = Instant::now();
    for _ in 0..rows {
        let t0 = Instant::now();
        conn.execute_batch("BEGIN").expect("begin");
        conn.prepare_cached("INSERT INTO t (payload) VALUES (?1)")
            .expect("prepare")
            .execute([&payload])
            .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        lat.push(t0.elapsed());
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();
    RawResult {
        rows,
        per_sec: rows as f64 / elapsed.as_secs_f64(),
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    }
}

/// Issues `count` ChangeLocale commands on `user`, alternating en/ru;
/// returns the latency of each.
async fn writer_loop(
    core: Core,
    user: String,
    count: usize,
    meta: Metadata,
    first: usize,
) -> Vec<Duration> {
    let mut lat = Vec::with_capacity(count);
    for i in 0..count {
        let locale = if (first + i).is_multiple_of(2) {
            Locale::Ru
        } else {
            Locale::En
        };
        let t0 = Instant::now();
        core.commands
            .user(&user, UserCommand::ChangeLocale { locale }, &meta)
            .await
            .unwrap_or_else(|e| panic!("command on {user} failed: {e}"));
        lat.push(t0.elapsed());
    }
    lat
}

async fn run_case(durability: Durability, writers: usize, commands: usize) -> CaseResult {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::new(dir.path().join("data"));
    settings.durability = durability;
    settings.secret_key = Some("42".repeat(32));
    let cancel = CancellationToken::new();
    let core = Core::open(&settings, cancel.clone()).expect("open core");
    let meta = Metadata::system(Source::Cli, "bench");

    // One registered user per writer.
    let mut users = Vec::with_capacity(writers);
    let mut handles = Vec::with_capacity(writers);
    for w in 0..writers {
        let id = uuid::Uuid::new_v4().to_string();
        users.push(id.clone());
        let (core, meta) = (core.clone(), meta.clone());
        handles.push(tokio::spawn(async move {
            core.commands
                .user(
                    &id,
                    UserCommand::Register {
                        login: Login::parse(&format!("bench{w:04}")).expect("login"),
                        role: Role::Noc,
                        locale: Locale::En,
                        password: SecretRef("bench".into()),
                    },
                    &meta,
                )
                .await
                .expect("register");
        }));
    }
    for h in handles {
        h.await.expect("register task");
    }

    // Warm-up, untimed.
    let mut handles = Vec::with_capacity(writers);
    for user in &users {
        handles.push(tokio::spawn(writer_loop(
            core.clone(),
            user.clone(),
            WARMUP_PER_WRITER,
            meta.clone(),
            0,
        )));
    }
    for h in handles {
        h.await.expect("warm-up task");
    }

    // Timed run: `commands` in total, spread evenly over the writers.
    let per_writer = commands.div_ceil(writers);
    let start = Instant::now();
    let mut handles = Vec::with_capacity(writers);
    for user in &users {
        handles.push(tokio::spawn(writer_loop(
            core.clone(),
            user.clone(),
            per_writer,
            meta.clone(),
            WARMUP_PER_WRITER,
        )));
    }
    let mut lat = Vec::with_capacity(per_writer * writers);
    for h in handles {
        lat.extend(h.await.expect("writer task"));
    }
    let elapsed = start.elapsed();
    lat.sort_unstable();

    // Sanity: every command left exactly one event, and the views saw them.
    let expected = (writers + writers * WARMUP_PER_WRITER + per_writer * writers) as u64;
    let head = core.store.head();
    assert_eq!(head, expected, "events in the log");
    assert!(core.views.position() >= head, "views caught up");

    cancel.cancel();
    drop(core);
    CaseResult {
        durability,
        writers,
        commands: lat.len(),
        per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let n64 = env_count("BENCH_COMMANDS_64", 20_000);
    let n1 = env_count("BENCH_COMMANDS_1", 5_000);
    let payload_len = event_payload_size();
    let scratch = tempfile::tempdir().expect("temp dir");
    let only = std::env::var("BENCH_ONLY").ok();

    println!("ispmon commands bench: tokio multi-thread runtime, 2 workers");
    println!("raw reference payload: {payload_len} bytes per row");
    println!();

    let mut raws = Vec::new();
    let mut cases = Vec::new();
    for durability in [Durability::Full, Durability::Normal] {
        let prefix = label(durability).to_lowercase();
        if only.as_ref().is_some_and(|o| !o.starts_with(&prefix)) {
            continue;
        }
        let raw_rows = match durability {
            Durability::Full => 5_000,
            Durability::Normal => 20_000,
        };
        let raw = raw_inserts(scratch.path(), durability, raw_rows, payload_len);
        println!(
            "raw {:<6} {:>6} rows: {:>9.0} inserts/s  p50 {} ms  p99 {} ms",
            label(durability),
            raw.rows,
            raw.per_sec,
            ms(raw.p50),
            ms(raw.p99)
        );
        for (writers, n) in [(1, n1), (64, n64)] {
            let name = format!("{}-{writers}", label(durability).to_lowercase());
            if only.as_ref().is_some_and(|o| *o != name) {
                continue;
            }
            let c = rt.block_on(run_case(durability, writers, n));
            println!(
                "cqrs {:<6} {:>2} writers {:>6} cmds: {:>9.0} cmds/s  p50 {} ms  p99 {} ms",
                label(durability),
                c.writers,
                c.commands,
                c.per_sec,
                ms(c.p50),
                ms(c.p99)
            );
            cases.push(c);
        }
        raws.push((durability, raw));
    }

    let raw_of = |d: Durability| {
        raws.iter()
            .find(|(x, _)| *x == d)
            .map(|(_, r)| r.per_sec)
            .expect("raw result")
    };
    println!();
    println!(
        "| durability | writers | commands | cmds/s | p50 ms | p99 ms | raw inserts/s | cmds/s ÷ raw |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for c in &cases {
        let raw = raw_of(c.durability);
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {:.0} | {:.2}× |",
            label(c.durability),
            c.writers,
            c.commands,
            c.per_sec,
            ms(c.p50),
            ms(c.p99),
            raw,
            c.per_sec / raw
        );
    }
    println!();
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let find = |d: Durability, w: usize| cases.iter().find(|c| c.durability == d && c.writers == w);
    if let Some(full64) = find(Durability::Full, 64) {
        println!(
            "{}  FULL, 64 writers: {:.0} cmds/s (target >= {:.0})",
            verdict(full64.per_sec >= TARGET_FULL_64),
            full64.per_sec,
            TARGET_FULL_64
        );
    }
    if let Some(normal64) = find(Durability::Normal, 64) {
        let ratio = normal64.per_sec / raw_of(Durability::Normal);
        println!(
            "{}  NORMAL, 64 writers: {:.2}x raw NORMAL inserts (target >= {:.2}x)",
            verdict(ratio >= TARGET_NORMAL_RATIO),
            ratio,
            TARGET_NORMAL_RATIO
        );
    }
}
