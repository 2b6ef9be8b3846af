//! Replay throughput: folding a 1,000,000-event log into fresh read models,
//! against a plain `SELECT` of the same rows.
//!
//! The log is generated through the event store's writer (hash chain,
//! reservations and all) in large appends: 10,000 users register, then a mix
//! of logins (60%), locale changes (25%) and role changes (15%). Payloads are
//! `UserEvent`s as serde serializes them and metadata is `Metadata::to_map`,
//! exactly as cqrs-es stores them.
//!
//! Run: `cargo bench --bench replay`. `BENCH_EVENTS=<n>` and
//! `BENCH_USERS=<n>` change the log size; `BENCH_LOGOUTS=1` mixes in logouts
//! (25% logouts, 50% logins, 15% locale, 10% role changes); `BENCH_DIR=<dir>`
//! keeps the generated log there and reuses it on the next run.

// Linked for its global allocator (mimalloc), as `ispmon replay` runs with it.
extern crate ispmon;

use std::path::Path;
use std::time::Instant;

use cqrs_es::persist::SerializedEvent;
use cqrs_es::DomainEvent;
use ispmon_events::secrets::SecretRef;
use ispmon_events::user::UserEvent;
use ispmon_events::values::{Locale, Login, Role};
use ispmon_events::{Durability, EventStore, Metadata, Source};

/// Target: events folded per second by `replay_into`.
const TARGET_EVENTS_PER_SEC: f64 = 200_000.0;

/// Events per `EventStore::append` while generating.
const APPEND_CHUNK: usize = 10_000;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift64*), so every run builds the
/// same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct UserState {
    id: String,
    seq: usize,
    role: Role,
    locale: Locale,
    open_sessions: Vec<String>,
}

/// Builds the log's events in order.
struct Generator {
    rng: Rng,
    logouts: bool,
    users: Vec<UserState>,
    metas: Vec<serde_json::Value>,
    sessions: u64,
}

impl Generator {
    fn new(users: usize, logouts: bool) -> Self {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let users = (0..users)
            .map(|i| UserState {
                id: format!("{:08x}-0000-4000-8000-{:012x}", rng.next() as u32, i as u64),
                seq: 0,
                role: Role::ALL[i % Role::ALL.len()],
                locale: Locale::En,
                open_sessions: Vec::new(),
            })
            .collect();
        // A handful of actors, as the metadata of real commands would carry.
        let metas = (0..16)
            .map(|i| {
                let mut m = Metadata::system(
                    [Source::Web, Source::Api, Source::Scheduler, Source::Cli][i % 4],
                    &format!("actor{i:02}"),
                );
                m.client_ip = format!("10.0.{}.{}", i / 4, 10 + i);
                serde_json::to_value(m.to_map()).expect("metadata json")
            })
            .collect();
        Self {
            rng,
            logouts,
            users,
            metas,
            sessions: 0,
        }
    }

    fn event(&mut self, user: usize, ev: UserEvent) -> SerializedEvent {
        let meta = self.metas[self.rng.below(self.metas.len())].clone();
        let u = &mut self.users[user];
        u.seq += 1;
        SerializedEvent {
            aggregate_id: u.id.clone(),
            sequence: u.seq,
            aggregate_type: "User".into(),
            event_type: ev.event_type(),
            event_version: ev.event_version(),
            payload: serde_json::to_value(&ev).expect("event json"),
            metadata: meta,
        }
    }

    fn register(&mut self, user: usize) -> SerializedEvent {
        let ev = UserEvent::UserRegistered {
            login: Login::parse(&format!("user{user:06}")).expect("login"),
            role: self.users[user].role,
            locale: Locale::En,
            password: SecretRef(format!("secret-{user:06}")),
        };
        self.event(user, ev)
    }

    /// One event of the steady-state mix.
    fn activity(&mut self) -> SerializedEvent {
        let user = self.rng.below(self.users.len());
        let roll = self.rng.below(100);
        // Thresholds: logout, login, locale change; the rest role changes.
        let (logout, login, locale) = if self.logouts {
            (25, 75, 90)
        } else {
            (0, 60, 85)
        };
        let u = &mut self.users[user];
        let ev = if roll < logout && !u.open_sessions.is_empty() {
            let i = (self.rng.next() as usize) % u.open_sessions.len();
            UserEvent::UserLoggedOut {
                session_id: u.open_sessions.swap_remove(i),
            }
        } else if roll < login {
            self.sessions += 1;
            let session_id = format!("s{:016x}{:08x}", self.sessions, self.rng.next() as u32);
            if self.logouts {
                self.users[user].open_sessions.push(session_id.clone());
            }
            UserEvent::UserLoggedIn {
                session_id,
                ip: format!("192.168.{}.{}", user % 256, (user / 256) % 256),
                expires_at: "2030-01-01T12:00:00.000000Z".into(),
            }
        } else if roll < locale {
            u.locale = match u.locale {
                Locale::En => Locale::Ru,
                Locale::Ru => Locale::En,
            };
            UserEvent::UserLocaleChanged { locale: u.locale }
        } else {
            let from = u.role;
            let to = Role::ALL[(Role::ALL.iter().position(|r| *r == from).unwrap_or(0)
                + 1
                + self.rng.below(Role::ALL.len() - 1))
                % Role::ALL.len()];
            u.role = to;
            UserEvent::UserRoleChanged { from, to }
        };
        self.event(user, ev)
    }
}

/// Writes `total` events for `users` users into a fresh events.db.
fn generate(path: &Path, users: usize, total: usize, logouts: bool) -> u64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let written = rt.block_on(async {
        let store = EventStore::open(path, Durability::Normal).expect("open events.db");
        let mut g = Generator::new(users, logouts);
        let mut written = 0;
        let mut chunk = Vec::with_capacity(APPEND_CHUNK);
        for i in 0..total {
            chunk.push(if i < users {
                g.register(i)
            } else {
                g.activity()
            });
            if chunk.len() == APPEND_CHUNK || i + 1 == total {
                written = store
                    .append(std::mem::take(&mut chunk), None)
                    .await
                    .expect("append");
            }
        }
        written
    });
    drop(rt);
    // The writer and checkpointer threads finish on their own once the store
    // is dropped; wait for them (the checkpoint takes their locks), so the
    // measurements start from a quiet, checkpointed file.
    let conn = ispmon_events::sqlite::open_rw(path, false).expect("open events.db");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    written
}

/// The raw reference: every row of the log, the same columns `replay_into`
/// reads, into owned strings, with one plain `SELECT`.
fn raw_select(path: &Path) -> (u64, usize) {
    let conn = ispmon_events::sqlite::open_ro(path).expect("open events.db");
    let mut stmt = conn
        .prepare(
            "SELECT seq, aggregate_type, aggregate_id, aggregate_seq, event_type, event_version,
                    payload, metadata, recorded_at, hash FROM events ORDER BY seq",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let (mut n, mut bytes) = (0u64, 0usize);
    while let Some(r) = rows.next().expect("row") {
        let seq: u64 = r.get(0).expect("seq");
        let mut row_bytes = 0;
        for i in [1, 2, 4, 5, 6, 7, 8, 9] {
            let s: String = r.get(i).expect("text");
            row_bytes += s.len();
        }
        let aseq: u64 = r.get(3).expect("aggregate_seq");
        std::hint::black_box((seq, aseq));
        bytes += row_bytes;
        n += 1;
    }
    (n, bytes)
}

/// CPU time used so far by this process, all threads (user + system), from
/// `/proc/self/stat`; 0 where that is not available. The machine is shared,
/// so the wall time alone says little about the code.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses: utime and
    // stime are the 12th and 13th of them, in clock ticks (100 per second
    // on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn main() {
    let total = env_count("BENCH_EVENTS", 1_000_000);
    let users = env_count("BENCH_USERS", 10_000).min(total);
    let logouts = env_count("BENCH_LOGOUTS", 0) != 0;
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var_os("BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mix = if logouts { "-logouts" } else { "" };
    let events_path = dir.join(format!("events-{total}-{users}{mix}.db"));
    let views_path = dir.join("views.db");

    println!(
        "ispmon replay bench: {total} events, {users} users, mix: {}",
        if logouts {
            "50% logins, 25% logouts, 15% locale, 10% role changes"
        } else {
            "60% logins, 25% locale, 15% role changes"
        }
    );
    if events_path.exists() {
        println!("reusing {}", events_path.display());
    } else {
        let t = Instant::now();
        let head = generate(&events_path, users, total, logouts);
        assert_eq!(head, total as u64, "events written");
        let gen_secs = t.elapsed().as_secs_f64();
        println!(
            "generated {head} events through EventStore::append in {gen_secs:.1} s ({:.0} events/s)",
            head as f64 / gen_secs,
        );
    }
    let size = std::fs::metadata(&events_path)
        .map(|m| m.len())
        .unwrap_or(0);
    println!("events.db {:.0} MiB", size as f64 / (1024.0 * 1024.0));

    // Raw reference first: it also brings the file into the page cache, so
    // both measurements read from memory.
    let t = Instant::now();
    let (raw_n, raw_bytes) = raw_select(&events_path);
    let raw_secs = t.elapsed().as_secs_f64();
    assert_eq!(raw_n, total as u64, "rows selected");
    let raw_rate = raw_n as f64 / raw_secs;
    println!(
        "raw SELECT:  {raw_n} rows in {raw_secs:.2} s = {raw_rate:>9.0} rows/s ({:.0} MiB of text)",
        raw_bytes as f64 / (1024.0 * 1024.0)
    );

    let t = Instant::now();
    let cpu = cpu_secs();
    let n =
        ispmon_projections::rebuild::replay_into(&events_path, &views_path, None).expect("replay");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    assert_eq!(n, total as u64, "events replayed");
    let rate = n as f64 / secs;
    println!(
        "replay_into: {n} events in {secs:.2} s = {rate:>9.0} events/s \
         ({cpu:.2} s CPU in all threads: {:.2} µs/event)",
        cpu * 1e6 / n as f64
    );

    let views = rusqlite::Connection::open(&views_path).expect("open views.db");
    let count = |sql: &str| -> i64 { views.query_row(sql, [], |r| r.get(0)).expect(sql) };
    println!(
        "views: {} users, {} sessions ({} open)",
        count("SELECT COUNT(*) FROM users"),
        count("SELECT COUNT(*) FROM sessions"),
        count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL"),
    );

    println!();
    println!("| measure | events | seconds | events/s | replay ÷ raw |");
    println!("|---|---:|---:|---:|---:|");
    println!("| raw SELECT | {raw_n} | {raw_secs:.2} | {raw_rate:.0} | |");
    println!(
        "| replay_into | {n} | {secs:.2} | {rate:.0} | {:.2}× |",
        rate / raw_rate
    );
    println!();
    println!(
        "{}  replay: {rate:.0} events/s (target >= {TARGET_EVENTS_PER_SEC:.0})",
        if rate >= TARGET_EVENTS_PER_SEC {
            "PASS"
        } else {
            "MISS"
        }
    );
}
