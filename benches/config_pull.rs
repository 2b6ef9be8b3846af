//! Config pulls of 200 emulated devices (every dialect, SSH and telnet,
//! served in this process on loopback ports), all pulled once through the
//! full ispmon path: secrets, CLI session, normalisation, blob store, a
//! `StoreConfig` command per device and the projections caught up.
//! Reference in the same run: the bare CLI sessions (`exec` of the same
//! config command on the same devices, same concurrency), nothing stored.
//! Target: ≤ 10 s for 200 devices on 2 cores.
//!
//! Run: `cargo bench --bench config_pull` (`BENCH_DEVICES=n` to change 200).

mod common;
use common::{bare_session, rss_mb};

use std::sync::Arc;
use std::time::{Duration, Instant};

use ispmon::config::Settings;
use ispmon::core::Core;
use ispmon::devices::pull::{puller, target, Report};
use ispmon::devices::ConfigCache;
use ispmon_events::{Durability, Metadata, Source};
use ispmon_scheduler::cli::session::{exec, HostKeyCheck, Timeouts};
use ispmon_sim::Fleet;
use tokio_util::sync::CancellationToken;

const SESSIONS: usize = 32;

fn main() {
    let rt = common::runtime("bench");
    rt.block_on(run());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

async fn run() {
    let n: usize = std::env::var("BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let fleet = Fleet::mixed(n).await.expect("the fleet starts");
    let (fleet_rss, _) = rss_mb();

    // Reference: bare sessions, the same concurrency.
    let limiter = Arc::new(tokio::sync::Semaphore::new(SESSIONS));
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for dev in &fleet.devices {
        let spec = dev.spec.clone();
        let addr = dev.addr;
        let limiter = Arc::clone(&limiter);
        set.spawn(async move {
            let _p = limiter.acquire().await.unwrap();
            let (target, creds) = bare_session(&spec, addr);
            let dialect = target.dialect;
            let s = Instant::now();
            let e = exec(
                &target,
                &creds,
                &HostKeyCheck::FirstContact,
                &Timeouts::default(),
                &[dialect.config_command()],
            )
            .await;
            (e.outputs.is_ok(), s.elapsed())
        });
    }
    let mut ref_times = Vec::new();
    let mut ref_ok = 0;
    while let Some(r) = set.join_next().await {
        let (ok, took) = r.unwrap();
        ref_ok += ok as usize;
        ref_times.push(took);
    }
    let reference = t.elapsed();

    // ispmon: register the devices, then pull them all once.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path().to_path_buf());
    settings.durability = Durability::Full;
    let core = Core::start(&settings, CancellationToken::new())
        .await
        .unwrap();
    let meta = Metadata::system(Source::Cli, "bench");
    for (i, dev) in fleet.devices.iter().enumerate() {
        let form = ispmon::demo::device_form(dev, &format!("dev-{i:03}"));
        ispmon::devices::register(&core, &form, &meta)
            .await
            .unwrap()
            .unwrap();
    }
    let devices = core
        .views
        .read(ispmon_projections::devices::all_live)
        .await
        .unwrap();
    let devices: Vec<_> = devices.iter().map(|d| target(d).unwrap()).collect();
    let puller = puller(
        &core,
        ConfigCache::default(),
        Arc::new(ispmon_scheduler::cli::Network),
        SESSIONS,
        Timeouts::default(),
    );
    let pull_meta = Metadata::system(Source::Scheduler, "bench");
    let (before_rss, _) = rss_mb();
    let t = Instant::now();
    let report: Report = puller.pull_many(devices, &pull_meta).await;
    let full = t.elapsed();
    let (_, peak) = rss_mb();

    println!("config pull of {n} emulated devices (7 dialects, SSH and telnet), {SESSIONS} sessions at once");
    println!(
        "  reference (bare CLI sessions): {:>7.2} s  ok {ref_ok}/{n}  median per device {:>6.1} ms",
        reference.as_secs_f64(),
        median(ref_times).as_secs_f64() * 1e3
    );
    println!(
        "  ispmon full pull path:         {:>7.2} s  {}  median per device {} ms",
        full.as_secs_f64(),
        report.summary(),
        report.median_ms
    );
    println!(
        "  ratio full / reference: {:.2}x   target: full <= 10 s for 200 devices",
        full.as_secs_f64() / reference.as_secs_f64()
    );
    println!(
        "  RSS: emulated fleet {fleet_rss:.1} MB, before pulls {before_rss:.1} MB, peak {peak:.1} MB \
         (the emulators run in this process; ispmon's share is peak - fleet = {:.1} MB)",
        peak - fleet_rss
    );
}
