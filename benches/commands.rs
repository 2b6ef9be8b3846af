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
//! `BEGIN; INSERT; COMMIT` per row of the JSON a stored `UserLocaleChanged`
//! event carries (payload and metadata), WAL, the same `synchronous` setting.
//!
//! Every case runs `BENCH_ROUNDS` times (3), each round right after its raw
//! reference; the table reports medians, and each ratio pairs a round with
//! the reference measured just before it.
//!
//! Run: `cargo bench --bench commands`. Command counts can be overridden with
//! `BENCH_COMMANDS_64=<n>` (20,000) and `BENCH_COMMANDS_1=<n>` (3,000);
//! `BENCH_ONLY=normal-64` (or `full-1`, ...) runs a single case, for profiling.

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

/// The JSON of one stored `UserLocaleChanged` event: payload and metadata,
/// as the log stores them.
fn event_json() -> (String, String) {
    let payload = serde_json::to_string(&UserEvent::UserLocaleChanged { locale: Locale::Ru })
        .expect("serialize event");
    let meta = serde_json::to_string(&Metadata::system(Source::Cli, "bench").to_map())
        .expect("serialize metadata");
    (payload, meta)
}

/// Raw rusqlite: one transaction per single-row INSERT, on a fresh file.
fn raw_inserts(
    dir: &Path,
    durability: Durability,
    rows: usize,
    json: &(String, String),
) -> RawResult {
    // A fresh file every time.
    let path = dir.join(format!("raw-{}.db", label(durability)));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
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
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, metadata TEXT NOT NULL)",
    )
    .expect("create table");
    let mut lat = Vec::with_capacity(rows);
    let start = Instant::now();
    for _ in 0..rows {
        let t0 = Instant::now();
        conn.execute_batch("BEGIN").expect("begin");
        conn.prepare_cached("INSERT INTO t (payload, metadata) VALUES (?1, ?2)")
            .expect("prepare")
            .execute([&json.0, &json.1])
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
    let core = Core::start(&settings, cancel.clone())
        .await
        .expect("open core");
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let n64 = env_count("BENCH_COMMANDS_64", 20_000);
    let n1 = env_count("BENCH_COMMANDS_1", 3_000);
    let rounds = env_count("BENCH_ROUNDS", 3).max(1);
    let json = event_json();
    let scratch = tempfile::tempdir().expect("temp dir");
    let only = std::env::var("BENCH_ONLY").ok();

    println!("ispmon commands bench: tokio multi-thread runtime, 2 workers, {rounds} rounds");
    println!(
        "raw reference row: the event's payload and metadata JSON, {} bytes",
        json.0.len() + json.1.len()
    );

    // Each round measures the raw reference and then the cqrs cases of the
    // same durability, so every ratio compares measurements taken moments
    // apart; the table gives the median over the rounds.
    let mut raws: Vec<(Durability, RawResult)> = Vec::new();
    let mut cases: Vec<(usize, CaseResult)> = Vec::new();
    for round in 0..rounds {
        println!();
        println!("round {}", round + 1);
        for durability in [Durability::Full, Durability::Normal] {
            let prefix = label(durability).to_lowercase();
            if only.as_ref().is_some_and(|o| !o.starts_with(&prefix)) {
                continue;
            }
            let raw_rows = match durability {
                Durability::Full => 5_000,
                Durability::Normal => 20_000,
            };
            let raw = raw_inserts(scratch.path(), durability, raw_rows, &json);
            println!(
                "raw  {:<6}            {:>6} rows: {:>9.0} inserts/s  p50 {} ms  p99 {} ms",
                label(durability),
                raw.rows,
                raw.per_sec,
                ms(raw.p50),
                ms(raw.p99)
            );
            for (writers, n) in [(1, n1), (64, n64)] {
                let name = format!("{prefix}-{writers}");
                if only.as_ref().is_some_and(|o| *o != name) {
                    continue;
                }
                let c = rt.block_on(run_case(durability, writers, n));
                println!(
                    "cqrs {:<6} {:>2} writers {:>6} cmds: {:>9.0} cmds/s  p50 {} ms  p99 {} ms  ({:.2}x raw)",
                    label(durability),
                    c.writers,
                    c.commands,
                    c.per_sec,
                    ms(c.p50),
                    ms(c.p99),
                    c.per_sec / raw.per_sec
                );
                cases.push((round, c));
            }
            raws.push((durability, raw));
        }
    }

    let raw_in = |d: Durability, round: usize| {
        raws.iter()
            .filter(|(x, _)| *x == d)
            .nth(round)
            .map(|(_, r)| r.per_sec)
            .expect("raw result")
    };
    let raw_median = |d: Durability| {
        median(
            raws.iter()
                .filter(|(x, _)| *x == d)
                .map(|(_, r)| r.per_sec)
                .collect(),
        )
    };
    // Median over the rounds of one case: cmds/s, p50, p99, and the ratio
    // to the raw reference of the same round.
    let summary = |d: Durability, w: usize| {
        let runs: Vec<_> = cases
            .iter()
            .filter(|(_, c)| c.durability == d && c.writers == w)
            .collect();
        if runs.is_empty() {
            return None;
        }
        let m = |f: &dyn Fn(&CaseResult) -> f64| median(runs.iter().map(|(_, c)| f(c)).collect());
        Some((
            runs[0].1.commands,
            m(&|c| c.per_sec),
            m(&|c| c.p50.as_secs_f64() * 1e3),
            m(&|c| c.p99.as_secs_f64() * 1e3),
            median(
                runs.iter()
                    .map(|(round, c)| c.per_sec / raw_in(d, *round))
                    .collect(),
            ),
        ))
    };

    println!();
    println!("median of {rounds} rounds:");
    println!();
    println!(
        "| durability | writers | commands | cmds/s | p50 ms | p99 ms | raw inserts/s | cmds/s ÷ raw |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for d in [Durability::Full, Durability::Normal] {
        for w in [1, 64] {
            if let Some((n, per_sec, p50, p99, ratio)) = summary(d, w) {
                println!(
                    "| {} | {w} | {n} | {per_sec:.0} | {p50:.3} | {p99:.3} | {:.0} | {ratio:.2}× |",
                    label(d),
                    raw_median(d),
                );
            }
        }
    }
    println!();
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    if let Some((_, per_sec, ..)) = summary(Durability::Full, 64) {
        println!(
            "{}  FULL, 64 writers: {per_sec:.0} cmds/s (target >= {TARGET_FULL_64:.0})",
            verdict(per_sec >= TARGET_FULL_64),
        );
    }
    if let Some((.., ratio)) = summary(Durability::Normal, 64) {
        println!(
            "{}  NORMAL, 64 writers: {ratio:.2}x raw NORMAL inserts (target >= {TARGET_NORMAL_RATIO:.2}x)",
            verdict(ratio >= TARGET_NORMAL_RATIO),
        );
    }
}
