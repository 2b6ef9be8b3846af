//! The full scheduled path: 10,000 hosts registered (127.1.x.y), one sweep
//! from start until the read models show its result. Printed twice: the
//! first sweep (every host changes pending → up: 10,000 commands) and a
//! steady sweep (nothing changes: no commands). Target: ≤ 1 s.
//!
//! Run: `cargo bench --bench sweep_path` (needs root or CAP_NET_RAW, or a
//! ping_group_range that admits the user, like `ispmon sweep`).

use std::time::Instant;

use futures::StreamExt;
use ispmon::config::Settings;
use ispmon::core::Core;
use ispmon_events::host::{HostCommand, HostDetails};
use ispmon_events::icmp_settings::{IcmpSettingsCommand, IcmpSettingsValues};
use ispmon_events::{Durability, Metadata, Source};
use ispmon_scheduler::sweep::Scope;
use tokio_util::sync::CancellationToken;

const HOSTS: usize = 10_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path().to_path_buf());
    settings.durability = Durability::Full;
    let cancel = CancellationToken::new();
    let core = Core::start(&settings, cancel.clone()).await.unwrap();
    let meta = Metadata::system(Source::Cli, "bench");
    let fast = IcmpSettingsValues {
        probes_per_host: 1,
        probe_gap_ms: 10,
        timeout_s: 1,
        concurrency: 2000,
        ..Default::default()
    };
    core.commands
        .icmp_settings(IcmpSettingsCommand::Change(fast), &meta)
        .await
        .unwrap();
    let t = Instant::now();
    futures::stream::iter(0..HOSTS)
        .map(|i| {
            let (core, meta) = (core.clone(), meta.clone());
            async move {
                let ip = format!("127.1.{}.{}", i / 250, i % 250 + 1);
                let details = HostDetails {
                    name: format!("h{i:05}"),
                    ..Default::default()
                };
                let id = uuid::Uuid::new_v4().to_string();
                core.commands
                    .host(&id, HostCommand::Add { ip, details }, &meta)
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    println!(
        "registered {HOSTS} hosts in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let sweeper = ispmon::sweep_world::sweeper(&core);
    for label in ["first sweep (10,000 changes)", "steady sweep (no changes)"] {
        let t = Instant::now();
        let report = sweeper.run_once(Scope::All).await.unwrap();
        core.commands.settle().await;
        let secs = t.elapsed().as_secs_f64();
        let up = core
            .views
            .read(ispmon_projections::hosts::counts)
            .await
            .unwrap()
            .1;
        println!(
            "{label}: {secs:.3} s  probed {} answered {} commands {}  hosts up in the read model {up}  target ≤ 1 s: {}",
            report.probed,
            report.answered,
            report.commands,
            if secs <= 1.0 { "PASS" } else { "MISS" }
        );
    }
    cancel.cancel();
}
