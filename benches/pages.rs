//! Pages under load: a real server on 127.0.0.1 with a temp data dir and
//! 10,000 hosts (added through the commands, then given a realistic mix of
//! states and one round of telemetry each), and 64 concurrent keep-alive
//! HTTP clients sharing one logged-in session, for a fixed time against each
//! of: a static file of the same server (the reference), the dashboard, the
//! board's first and last pages, and host pages. Prints requests per second,
//! p50 and p99, their ratios to the static file, and the process's RSS
//! before, at peak and after the load. Server and clients share the process
//! (and the machine's 2 cores), so the RSS includes the clients' small share.
//!
//! Targets (DESIGN.md §5): p99 ≤ 20 ms for the board, the dashboard and the
//! host page; RSS after the load < 150 MB.
//!
//! Run: `cargo bench --bench pages`. `BENCH_SECONDS=<s>` (default 5) sets
//! each target's measuring time, `BENCH_HOSTS=<n>` the host count and
//! `BENCH_ONLY=<text>` keeps the reference and the targets whose name has
//! the text (for profiling one page).

mod common;
use common::{drive, log_in, reset_peak_rss, rss_mb, CLIENTS};

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use ispmon::app::Application;
use ispmon::state::AppState;
use ispmon_events::folder::FolderCommand;
use ispmon_events::host::{HostCommand, HostDetails, Judgement, RoundSample};
use ispmon_events::icmp_settings::{IcmpSettingsCommand, IcmpSettingsValues};
use ispmon_events::{Metadata, Source};

const FOLDERS: usize = 20;
const STATIC_FILE: &str = "/static/htmx-2.0.4.min.js";
const P99_TARGET_MS: f64 = 20.0;
const RSS_AFTER_TARGET_MB: f64 = 150.0;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sample(state: &str) -> RoundSample {
    let answered = RoundSample {
        sent: 1,
        received: 1,
        loss_pct: 0.0,
        min_ms: Some(0.04),
        avg_ms: Some(0.05),
        max_ms: Some(0.06),
        jitter_ms: Some(0.01),
    };
    match state {
        "degraded" => RoundSample {
            avg_ms: Some(450.0),
            ..answered
        },
        "down" | "unreachable" => RoundSample {
            received: 0,
            loss_pct: 100.0,
            min_ms: None,
            avg_ms: None,
            max_ms: None,
            jitter_ms: None,
            ..answered
        },
        _ => answered,
    }
}

/// The state host `i` is given: 1 % down, 0.5 % unreachable, 1 % degraded,
/// the rest up (every 97th is paused afterwards).
fn state_of(i: usize) -> &'static str {
    match i % 200 {
        0 | 1 => "down",
        2 => "unreachable",
        3 | 4 => "degraded",
        _ => "up",
    }
}

/// Adds the hosts through the commands, in folders, then records one round
/// for each (state changes through the commands, telemetry as the sweep
/// writes it). Returns the host ids.
async fn seed(st: &AppState, hosts: usize) -> Vec<String> {
    let meta = Metadata::system(Source::Cli, "bench");
    let core = &st.core;
    let quiet = IcmpSettingsValues {
        sweep_interval_s: 600,
        ..Default::default()
    };
    core.commands
        .icmp_settings(IcmpSettingsCommand::Change(quiet), &meta)
        .await
        .unwrap();
    let mut folders = Vec::new();
    for f in 0..FOLDERS {
        let id = uuid::Uuid::new_v4().to_string();
        let name = format!("site-{f:02}");
        core.commands
            .folder(&id, FolderCommand::Create { name }, &meta)
            .await
            .unwrap();
        folders.push(id);
    }
    let ids: Vec<String> = (0..hosts)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let judgement = Judgement {
        failed_rounds_before_down: 1,
        loss_threshold_pct: 20.0,
        latency_threshold_ms: 200.0,
    };
    futures::stream::iter(ids.iter().enumerate())
        .map(|(i, id)| {
            let (core, meta, folders) = (core.clone(), meta.clone(), &folders);
            async move {
                let details = HostDetails {
                    name: format!("{}-{i:05}", ["sw", "olt", "nas", "ap"][i % 4]),
                    folder: (i % 10 != 0).then(|| folders[i % FOLDERS].clone()),
                    ..Default::default()
                };
                let ip = format!("127.1.{}.{}", i / 250, i % 250 + 1);
                core.commands
                    .host(id, HostCommand::Add { ip, details }, &meta)
                    .await
                    .unwrap();
                let state = state_of(i);
                let round = HostCommand::RecordRound {
                    sample: sample(state),
                    failed_rounds: u32::from(state == "down" || state == "unreachable"),
                    parent_down: state == "unreachable",
                    judgement,
                };
                core.commands.host(id, round, &meta).await.unwrap();
                if i % 97 == 50 {
                    core.commands
                        .host(id, HostCommand::Pause, &meta)
                        .await
                        .unwrap();
                }
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let now = chrono::Utc::now().timestamp();
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), sample(state_of(i))))
        .collect();
    core.telemetry.record(now, rows).await.unwrap();
    core.commands.settle().await;
    ids
}

/// How a target runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing changes during the load.
    Steady,
    /// Ten hosts a second change state (down, then up again) and a round of
    /// telemetry is recorded for a hundred hosts each second, so the pages'
    /// memos are invalidated as on a working network.
    Churn,
    /// The pages' memos off: every request reads and renders.
    MemoOff,
}

/// Changes hosts' states (10 per second) and records telemetry (100 hosts
/// a second) until aborted.
async fn churn(st: AppState, ids: Vec<String>) {
    let meta = Metadata::system(Source::Scheduler, "bench-churn");
    let judgement = Judgement {
        failed_rounds_before_down: 1,
        loss_threshold_pct: 20.0,
        latency_threshold_ms: 200.0,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for n in 0usize.. {
        tick.tick().await;
        // Each host in turn goes down on one tick and comes back up on the
        // next (a command refused, for a paused host, changes nothing).
        let id = &ids[(n / 2) % ids.len()];
        let state = if n % 2 == 0 { "down" } else { "up" };
        let round = HostCommand::RecordRound {
            sample: sample(state),
            failed_rounds: u32::from(state == "down"),
            parent_down: false,
            judgement,
        };
        let _ = st.core.commands.host(id, round, &meta).await;
        if n % 10 == 0 {
            let rows = ids
                .iter()
                .skip(n % ids.len())
                .take(100)
                .map(|id| (id.clone(), sample("up")))
                .collect();
            let _ = st
                .core
                .telemetry
                .record(chrono::Utc::now().timestamp(), rows)
                .await;
        }
    }
}

fn main() {
    let hosts = env_num("BENCH_HOSTS", 10_000);
    let secs = env_num("BENCH_SECONDS", 5) as f64;
    let server_rt = common::runtime("server");
    let dir = tempfile::tempdir().unwrap();
    let settings = common::server_settings(dir.path());
    let (base, ids, cancel, state) = server_rt.block_on(async {
        let app = Application::build(settings).await.expect("app builds");
        let base = format!("http://{}", app.local_addr());
        let t = Instant::now();
        let ids = seed(app.state(), hosts).await;
        println!(
            "seeded {hosts} hosts in {FOLDERS} folders (states, pauses, telemetry) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let cancel = app.cancel_token();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        (base, ids, cancel, state)
    });

    let client_rt = common::runtime("client");
    let last_page = hosts.div_ceil(100);
    let host_pages: Vec<String> = ids
        .iter()
        .step_by(7)
        .map(|id| format!("/icmp/hosts/{id}"))
        .collect();
    let one = |p: &str| vec![p.to_string()];
    let targets: Vec<(&str, Vec<String>, Mode)> = vec![
        ("static file (reference)", one(STATIC_FILE), Mode::Steady),
        ("dashboard /", one("/"), Mode::Steady),
        ("board /icmp (page 1)", one("/icmp"), Mode::Steady),
        (
            "board, last page",
            one(&format!("/icmp?page={last_page}")),
            Mode::Steady,
        ),
        ("host page /icmp/hosts/{id}", host_pages, Mode::Steady),
        ("board p1, 10 changes/s", one("/icmp"), Mode::Churn),
        ("dashboard, 10 changes/s", one("/"), Mode::Churn),
        ("board p1, memo off", one("/icmp"), Mode::MemoOff),
        ("dashboard, memo off", one("/"), Mode::MemoOff),
    ];
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let targets: Vec<_> = targets
        .into_iter()
        .enumerate()
        .filter(|(i, (name, _, _))| *i == 0 || name.contains(only.as_str()))
        .map(|(_, t)| t)
        .collect();
    client_rt.block_on(async {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        log_in(&http, &base, common::ADMIN_PASSWORD).await;
        let (before, _) = rss_mb();
        let peak_reset = reset_peak_rss();
        println!(
            "{CLIENTS} clients, keep-alive, one session; {secs} s per target after 1 s of warm-up"
        );
        println!(
            "{:<28} {:>9} {:>8} {:>8} {:>10} {:>10} {:>9}",
            "target", "rps", "p50 ms", "p99 ms", "rps÷static", "p99÷static", "KB/page"
        );
        let mut reference: Option<(f64, f64)> = None;
        let mut pass = true;
        for (name, paths, mode) in targets {
            let memos = &state.memos;
            memos.board.set_enabled(mode != Mode::MemoOff);
            memos.dashboard.set_enabled(mode != Mode::MemoOff);
            let churn = (mode == Mode::Churn).then(|| server_rt.spawn(churn(state.clone(), ids.clone())));
            let o = drive(&http, &base, Arc::new(paths), secs).await;
            if let Some(task) = churn {
                task.abort();
            }
            let (rps0, p990) = *reference.get_or_insert((o.rps, o.p99_ms));
            println!(
                "{:<28} {:>9.0} {:>8.2} {:>8.2} {:>10.3} {:>10.2} {:>9.1}",
                name,
                o.rps,
                o.p50_ms,
                o.p99_ms,
                o.rps / rps0,
                o.p99_ms / p990,
                o.bytes as f64 / 1024.0
            );
            // A memo-off run shows what a miss costs; it is not a target.
            if mode != Mode::MemoOff && !name.starts_with("static") && o.p99_ms > P99_TARGET_MS {
                pass = false;
            }
        }
        let (after, peak) = rss_mb();
        // Allocators hand freed memory back after a short delay: once more,
        // a second after the load (nothing else runs then).
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (idle, _) = rss_mb();
        println!(
            "RSS: before the load {before:.1} MB, peak {} {peak:.1} MB, right after {after:.1} MB, 1 s later {idle:.1} MB",
            if peak_reset { "during the load" } else { "of the process (clear_refs not writable)" },
        );
        println!(
            "targets: p99 ≤ {P99_TARGET_MS} ms (dashboard, board, host page): {}; RSS after < {RSS_AFTER_TARGET_MB} MB: {}",
            if pass { "PASS" } else { "MISS" },
            if idle < RSS_AFTER_TARGET_MB { "PASS" } else { "MISS" }
        );
    });
    cancel.cancel();
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
}
