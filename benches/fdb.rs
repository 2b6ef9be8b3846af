//! FDB collection of a large emulated network: 500 access switches (48
//! access ports each) under 10 aggregation switches (over 2,000 MACs each)
//! and a core, 21,000 subscribers — `PopulationSize::large()` — all read
//! through the full ispmon path: CLI sessions and limits, the dialect's MAC
//! table parser, uplink rules, sightings in telemetry, one `Mac` command
//! per MAC whose edge port changed, the projections.
//!
//! The emulators run in a child process (this binary, started again with
//! `ISPMON_BENCH_FLEET=1`), so the peak RSS printed is ispmon's alone.
//!
//! Reference in the same run: the bare CLI sessions (`exec` of the same MAC
//! table command on the same switches, same concurrency), nothing parsed or
//! stored.
//!
//! Runs: a first collection (each MAC located: one event per MAC), a
//! steady recollection (nothing moved: zero events), and a recollection
//! after 1 % of the subscribers moved to another switch's free port
//! (exactly one event per moved MAC).
//!
//! Targets: each collection ≤ 30 s on 2 cores, peak RSS ≤ 150 MB, events
//! exactly the moves. Run: `cargo bench --bench fdb`.

mod common;
use common::{bare_session, reset_peak_rss, rss_mb};

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ispmon::config::Settings;
use ispmon::core::Core;
use ispmon::state::AppState;
use ispmon_events::{Metadata, Source};
use ispmon_scheduler::cli::session::{exec, HostKeyCheck, Timeouts};
use ispmon_sim::population::Role;
use ispmon_sim::{LivePopulation, Population, PopulationSize};
use tokio_util::sync::CancellationToken;

const FLEET_ENV: &str = "ISPMON_BENCH_FLEET";
const SEED: u64 = 11;
const TARGET_SECS: f64 = 30.0;
const TARGET_RSS_MB: f64 = 150.0;

fn population() -> Population {
    Population::generate(SEED, PopulationSize::large())
}

fn main() {
    if std::env::var_os(FLEET_ENV).is_some() {
        fleet_child();
        return;
    }
    let rt = common::runtime("bench");
    rt.block_on(run());
}

// ---- the emulators' process -------------------------------------------

/// Starts the population's devices, prints `ready PORT…` (in
/// `device_specs` order), then obeys `move N` on stdin (moves N subscribers
/// to free ports on other access switches, answers `moved MACS`).
fn fleet_child() {
    let rt = common::runtime("bench");
    let (fleet, mut live) = rt
        .block_on(LivePopulation::start(population()))
        .expect("the population's emulators start");
    let ports: Vec<String> = fleet
        .devices
        .iter()
        .map(|d| d.addr.port().to_string())
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {}", ports.join(" ")).unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let Some(n) = line.strip_prefix("move ").and_then(|n| n.parse().ok()) else {
            continue;
        };
        let moved = move_subscribers(&mut live, n);
        writeln!(out, "moved {moved}").unwrap();
        out.flush().unwrap();
    }
    drop(fleet);
}

/// Moves `n` subscribers (spread evenly over those in the tables), each to
/// the first free port of the next access switch; the MACs moved (a CPE and
/// the devices behind it).
fn move_subscribers(live: &mut LivePopulation, n: usize) -> usize {
    let pop = live.population();
    let switches = pop.access_switches().len();
    let mut taken: HashSet<(usize, u16)> =
        pop.subscribers.iter().map(|s| (s.access, s.port)).collect();
    let candidates: Vec<_> = pop.subscribers.iter().filter(|s| s.in_fdb).collect();
    let step = (candidates.len() / n.max(1)).max(1);
    let mut plan = Vec::new();
    for s in candidates.iter().step_by(step).take(n) {
        let ports = pop.access_switches()[s.access].access_ports.len() as u16;
        let free = (1..switches)
            .map(|k| (s.access + k) % switches)
            .find_map(|a| {
                (1..=ports)
                    .find(|p| !taken.contains(&(a, *p)))
                    .map(|p| (a, p))
            });
        if let Some((a, p)) = free {
            taken.insert((a, p));
            plan.push((s.login.clone(), a, p, 1 + s.devices.len()));
        }
    }
    let mut macs = 0;
    for (login, a, p, count) in plan {
        live.move_subscriber(&login, a, p)
            .expect("a move to a free port");
        macs += count;
    }
    macs
}

struct FleetProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl FleetProcess {
    fn start() -> (FleetProcess, Vec<u16>) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(FLEET_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the emulators' process starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let ports = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the emulators said {line:?}"))
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        (
            FleetProcess {
                child,
                stdin,
                stdout,
            },
            ports,
        )
    }

    fn move_subscribers(&mut self, n: usize) -> usize {
        writeln!(self.stdin, "move {n}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim()
            .strip_prefix("moved ")
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(|| panic!("the emulators said {line:?}"))
    }
}

impl Drop for FleetProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- ispmon ---------------------------------------------------------------

/// The `Mac` events in the log, and how many MACs they are about.
fn mac_events(data: &Path) -> (u64, u64) {
    let conn = rusqlite::Connection::open(data.join("events.db")).unwrap();
    conn.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT aggregate_id) FROM events WHERE aggregate_type = 'Mac'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The bare CLI sessions: the MAC table command on every switch, the same
/// concurrency as ispmon's, nothing parsed or stored.
async fn reference(pop: &Population, addrs: &[SocketAddr], sessions: usize) -> (Duration, usize) {
    let limiter = Arc::new(tokio::sync::Semaphore::new(sessions));
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (pd, addr) in pop.device_specs().into_iter().zip(addrs) {
        if pd.role == Role::Nas {
            continue;
        }
        let (spec, addr, limiter) = (pd.spec, *addr, Arc::clone(&limiter));
        set.spawn(async move {
            let _p = limiter.acquire().await.unwrap();
            let (target, creds) = bare_session(&spec, addr);
            let command = target.dialect.mac_table_command();
            exec(
                &target,
                &creds,
                &HostKeyCheck::FirstContact,
                &Timeouts::default(),
                &[command],
            )
            .await
            .outputs
            .is_ok()
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += usize::from(r.unwrap());
    }
    (t.elapsed(), ok)
}

struct Run {
    label: &'static str,
    took: Duration,
    /// Peak RSS during this collection, MB.
    peak: f64,
    summary: String,
    events: u64,
    expected: u64,
}

/// One collection of every switch; `expected` Mac events (`None`: one per
/// MAC that has any).
async fn collect(st: &AppState, data: &Path, label: &'static str, expected: Option<u64>) -> Run {
    let (before, _) = mac_events(data);
    let switches = st.fdb.switches().await.expect("the switches are read");
    let meta = Metadata::system(Source::Scheduler, "bench");
    assert!(reset_peak_rss(), "the peak RSS could not be reset");
    let t = Instant::now();
    let report = st.fdb.collect_many(switches, &meta).await;
    let took = t.elapsed();
    let (_, peak) = rss_mb();
    let (after, macs) = mac_events(data);
    Run {
        label,
        took,
        peak,
        summary: report.summary(),
        events: after - before,
        expected: expected.unwrap_or(macs),
    }
}

async fn run() {
    let pop = population();
    let macs_in_tables: usize = pop
        .subscribers
        .iter()
        .filter(|s| s.in_fdb)
        .map(|s| 1 + s.devices.len())
        .sum();
    let (mut fleet, ports) = FleetProcess::start();
    let addrs: Vec<SocketAddr> = ports
        .iter()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    let switches = pop.devices.iter().filter(|d| d.role != Role::Nas).count();

    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::new(dir.path().to_path_buf());
    let sessions = settings.cli_sessions;
    let core = Core::start(&settings, CancellationToken::new())
        .await
        .unwrap();
    let meta = Metadata::system(Source::Cli, "bench");
    for (pd, addr) in pop.device_specs().iter().zip(&addrs) {
        if pd.role == Role::Nas {
            continue;
        }
        let mut form = ispmon::demo::spec_form(&pd.spec, *addr, &pd.name);
        form.profile.roles = vec!["switch".into()];
        ispmon::devices::register(&core, &form, &meta)
            .await
            .unwrap()
            .unwrap();
    }
    let st = AppState::with_cli(core, settings, Arc::new(ispmon_scheduler::cli::Network));

    // The configs first: the trunk rule reads them (not measured).
    let targets: Vec<_> = st
        .core
        .views
        .read(ispmon_projections::devices::all_live)
        .await
        .unwrap()
        .iter()
        .map(|d| ispmon::devices::pull::target(d).unwrap())
        .collect();
    let t = Instant::now();
    let pulled = st
        .puller
        .pull_many(targets, &Metadata::system(Source::Scheduler, "bench"))
        .await;
    let pull_took = t.elapsed();

    let (ref_took, ref_ok) = reference(&pop, &addrs, sessions).await;
    let mut ref_times = Vec::new();
    for _ in 0..2 {
        ref_times.push(reference(&pop, &addrs, sessions).await.0);
    }
    ref_times.push(ref_took);
    let ref_median = median(ref_times);

    let (_, ref_peak) = rss_mb();
    let (before_rss, _) = rss_mb();
    let mut runs = vec![
        collect(&st, dir.path(), "first collection", None).await,
        collect(&st, dir.path(), "steady recollection", Some(0)).await,
    ];
    let moved = fleet.move_subscribers(pop.subscribers.len() / 100);
    runs.push(collect(&st, dir.path(), "after 1 % moved", Some(moved as u64)).await);
    let (after_rss, _) = rss_mb();
    let peak = runs.iter().map(|r| r.peak).fold(0.0, f64::max);

    println!(
        "FDB collection of {switches} emulated switches ({} access × {} ports, {} aggregations, 1 core), {} subscribers, {macs_in_tables} MACs behind access ports; {sessions} CLI sessions at once",
        pop.access_switches().len(),
        pop.size.ports_per_access,
        pop.aggregations().len(),
        pop.subscribers.len(),
    );
    println!(
        "  setup: config pull {:.1} s ({})",
        pull_took.as_secs_f64(),
        pulled.summary()
    );
    println!(
        "  reference (bare CLI sessions, MAC table command): median of 3 {:>6.2} s  ok {ref_ok}/{switches}  peak RSS (with the config pull before it) {ref_peak:.0} MB",
        ref_median.as_secs_f64()
    );
    let mut all_met = true;
    for r in &runs {
        let secs = r.took.as_secs_f64();
        let exact = r.events == r.expected;
        let met = exact && secs <= TARGET_SECS;
        all_met &= met;
        println!(
            "  {:<20} {:>6.2} s ({:.2}x reference)  peak RSS {:>4.0} MB  {}  Mac events {} (expected {}){}",
            r.label,
            secs,
            secs / ref_median.as_secs_f64(),
            r.peak,
            r.summary,
            r.events,
            r.expected,
            if met { "  met" } else { "  MISSED" }
        );
    }
    let rss_met = peak <= TARGET_RSS_MB;
    println!(
        "  RSS: {before_rss:.0} MB before the collections, {after_rss:.0} MB after, peak during them {peak:.0} MB (emulators in another process){}",
        if rss_met { "  met" } else { "  MISSED" }
    );
    println!(
        "  targets: each collection <= {TARGET_SECS} s, peak RSS <= {TARGET_RSS_MB} MB, Mac events exactly the MACs located or moved"
    );
    drop(fleet);
    if !(all_met && rss_met) {
        std::process::exit(1);
    }
}
