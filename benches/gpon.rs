//! GPON at ISP scale: 4 emulated Huawei OLTs × 16 GPON ports × 64 ONTs
//! (4,096 ONTs, from one population, on loopback) polled through the full
//! ispmon path — the poll budget, one CLI session per port sweep, the
//! parsers, the `Ont` commands, the projections and the optical readings —
//! then registrations as sagas.
//!
//! Measured, each beside its reference or target (issue #11):
//! 1. the first poll of all four OLTs at once (every ONT is news): wall
//!    time, and the sessions and commands the emulated OLTs counted per
//!    ONT; a steady poll (nothing changed): wall time and events (0);
//! 2. the reference in the same run: the old tool's way, one login per
//!    command (`display ont info` and `display ont optical-info` of one
//!    ONT per login), timed over one port's online ONTs and scaled to 4,096:
//!    the ratio is ours over it;
//! 3. the budget: the poll's commands per OLT against its limit
//!    (commands per minute) and the sessions open at once on each OLT
//!    against its session limit;
//! 4. registration saga latency (request → succeeded, five steps, the
//!    emulated `save` taking its 300 ms) one at a time, p50/p99; then 20
//!    registrations on 20 different ports of the four OLTs at once: wall
//!    time and p50/p99.
//!
//! Not measured: ZTE OLTs, autofind polling, optical ping, the pages.
//!
//! Run: `cargo bench --bench gpon` (`BENCH_OLTS`, `BENCH_PORTS`,
//! `BENCH_ONTS` change 4 × 16 × 64; `BENCH_SERIAL=n` the 20 one-at-a-time
//! registrations).

mod common;
use common::{bare_session, rss_mb, server_settings};

use std::time::{Duration, Instant};

use ispmon::app::Application;
use ispmon::state::AppState;
use ispmon_events::gpon::ProfileValues;
use ispmon_events::{Metadata, Source};
use ispmon_scheduler::cli::session::{exec, HostKeyCheck, Timeouts};
use ispmon_sim::{LivePopulation, Population, PopulationSize};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn main() {
    let rt = common::runtime("bench");
    rt.block_on(run());
}

async fn run() {
    let (olts, ports, onts) = (
        env("BENCH_OLTS", 4),
        env("BENCH_PORTS", 16),
        env("BENCH_ONTS", 64),
    );
    let serial = env("BENCH_SERIAL", 20);
    let size = PopulationSize {
        huawei_olts: olts,
        zte_olts: 0,
        gpon_ports_per_olt: ports,
        onts_per_port: onts,
        autofind_per_olt: 0,
        ..PopulationSize::demo()
    };
    let population = Population::generate(11, size);
    let (fleet, live) = LivePopulation::start(population).await.unwrap();
    let pop = live.population();
    let olt_devices: Vec<&ispmon_sim::SimDevice> = (0..olts)
        .map(|k| &fleet.devices[pop.olt_device_index(k)])
        .collect();
    let total: usize = olt_devices
        .iter()
        .map(|d| d.state.lock().unwrap().gpon_mut().onts().len())
        .sum();

    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(server_settings(dir.path()))
        .await
        .expect("app builds");
    let st = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let meta = Metadata::system(Source::Cli, "bench");
    let mut ids = Vec::new();
    for (k, dev) in olt_devices.iter().enumerate() {
        let mut form = ispmon::demo::device_form(dev, &format!("olt-{k}"));
        form.profile.roles = vec!["olt".into()];
        ids.push(
            ispmon::devices::register(&st.core, &form, &meta)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let (settings, _) = st
        .core
        .views
        .read(ispmon_projections::gpon::settings)
        .await
        .unwrap();
    println!(
        "gpon: {olts} OLTs × {ports} ports × {onts} ONTs = {total} ONTs; budget per OLT: {} sessions, {} commands/min",
        settings.max_sessions, settings.commands_per_min
    );

    // 1. The first poll, then a steady one.
    let stats = || -> Vec<ispmon_sim::Stats> {
        olt_devices
            .iter()
            .map(|d| d.state.lock().unwrap().stats())
            .collect()
    };
    for d in &olt_devices {
        let mut s = d.state.lock().unwrap();
        s.counters.peak_open = 0;
    }
    let before = stats();
    let events = st.core.store.head();
    let t = Instant::now();
    let read = poll_all(&st, &ids, &meta).await;
    let first = t.elapsed();
    let mut in_views = 0;
    for id in &ids {
        let id = id.clone();
        in_views += st
            .core
            .views
            .read(move |c| ispmon_projections::gpon::onts(c, &id, None))
            .await
            .unwrap()
            .len();
    }
    assert_eq!(read, total, "the polls read every ONT");
    assert_eq!(in_views, total, "every ONT is in the read model");
    let after = stats();
    let events_first = st.core.store.head() - events;
    let sessions: u64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.sessions_opened - b.sessions_opened)
        .sum();
    let commands: Vec<u64> = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.commands_total - b.commands_total)
        .collect();
    let all_commands: u64 = commands.iter().sum();
    let peak = after.iter().map(|s| s.peak_open).max().unwrap_or(0);
    let events = st.core.store.head();
    let t = Instant::now();
    poll_all(&st, &ids, &meta).await;
    let steady = t.elapsed();
    let events_steady = st.core.store.head() - events;
    println!(
        "gpon poll, first: {:.2} s for {total} ONTs ({:.0} ONTs/s), {events_first} events; {sessions} sessions ({:.4} per ONT), {all_commands} commands ({:.3} per ONT)",
        first.as_secs_f64(),
        total as f64 / first.as_secs_f64(),
        sessions as f64 / total as f64,
        all_commands as f64 / total as f64,
    );
    println!(
        "gpon poll, steady: {:.2} s, {events_steady} events (target 0)",
        steady.as_secs_f64()
    );

    // 2. The old tool's way: a login per command.
    let dev = olt_devices[0];
    let (target, creds) = bare_session(&dev.spec, dev.addr);
    let host_key = HostKeyCheck::FirstContact;
    let timeouts = Timeouts::default();
    let sample: Vec<(u8, u8, u8, u32)> = {
        let mut s = dev.state.lock().unwrap();
        let g = s.gpon_mut();
        let first_port = g.onts()[0].fsp;
        g.onts()
            .iter()
            .filter(|o| o.fsp == first_port && o.online)
            .map(|o| (o.fsp.0, o.fsp.1, o.fsp.2, o.ont_id))
            .collect()
    };
    let t = Instant::now();
    let mut old_commands = 0usize;
    for (f, s, p, id) in &sample {
        let info = format!("display ont info {f} {s} {p} {id}");
        let interface = format!("interface gpon {f}/{s}");
        let optics = format!("display ont optical-info {p} {id}");
        for cmds in [
            vec!["enable", "config", info.as_str()],
            vec!["enable", "config", interface.as_str(), optics.as_str()],
        ] {
            let out = exec(&target, &creds, &host_key, &timeouts, &cmds).await;
            if let Err(e) = &out.outputs {
                panic!("the reference session failed: {}", e.reason());
            }
            old_commands += 1;
        }
    }
    let per_ont_old = t.elapsed().as_secs_f64() / sample.len() as f64;
    let old_total = per_ont_old * total as f64;
    println!(
        "reference (old tool, one login per command): {:.1} ms per ONT, {} logins per ONT → {:.1} s for {total} ONTs; ours/reference: {:.3} (first poll), {:.3} (steady)",
        per_ont_old * 1000.0,
        old_commands / sample.len(),
        old_total,
        first.as_secs_f64() / old_total,
        steady.as_secs_f64() / old_total,
    );

    // 3. The budget.
    let worst = commands.iter().max().copied().unwrap_or(0);
    println!(
        "budget: at most {worst} commands on one OLT in the first poll (limit {} per minute: {}), at most {peak} sessions open at once on one OLT (limit {}: {})",
        settings.commands_per_min,
        if worst as f64 / first.as_secs_f64().max(60.0) * 60.0 <= settings.commands_per_min as f64 {
            "held"
        } else {
            "EXCEEDED"
        },
        settings.max_sessions,
        if peak <= u64::from(settings.max_sessions) {
            "held"
        } else {
            "EXCEEDED"
        },
    );

    // 4. Registrations.
    let profile = ispmon::gpon::save_profile(
        &st,
        None,
        ProfileValues {
            name: "ftth".into(),
            vlan: 100,
            gemport: 1,
            line_profile_id: 10,
            service_profile_id: 10,
            bridge: true,
            onu_type: String::new(),
        },
        &meta,
    )
    .await
    .unwrap();
    // New ONTs in autofind, each on its own port, round the OLTs (the 20
    // at once need 20 ports).
    assert!(olts * ports >= 20, "20 registrations at once need 20 ports");
    let wanted = serial + 20;
    let mut plugged = Vec::new();
    for n in 0..wanted {
        let k = n % olts;
        let mut s = olt_devices[k].state.lock().unwrap();
        let g = s.gpon_mut();
        let mut fsps: Vec<_> = g.onts().iter().map(|o| o.fsp).collect();
        fsps.sort();
        fsps.dedup();
        let fsp = fsps[(n / olts) % fsps.len()];
        let sn = format!("48575443B{:07X}", n);
        assert!(g.add_autofind(fsp, &sn, "HG8310M"));
        plugged.push((ids[k].clone(), format!("{}/{}/{}", fsp.0, fsp.1, fsp.2), sn));
    }
    for id in &ids {
        ispmon::gpon::poll_now(&st, id, &meta).await.unwrap();
    }
    let mut lat = Vec::new();
    for (olt, port, sn) in &plugged[..serial] {
        let t = Instant::now();
        let job = register(&st, olt, port, sn, &profile, &meta).await;
        wait(&st, &job).await;
        lat.push(t.elapsed());
    }
    println!(
        "registration saga, one at a time ({serial}): p50 {:.0} ms, p99 {:.0} ms",
        pct(&mut lat, 0.5).as_secs_f64() * 1000.0,
        pct(&mut lat, 0.99).as_secs_f64() * 1000.0,
    );
    let t = Instant::now();
    let mut jobs = Vec::new();
    for (olt, port, sn) in &plugged[serial..] {
        jobs.push(register(&st, olt, port, sn, &profile, &meta).await);
    }
    let waits = jobs.iter().map(|j| {
        let st = st.clone();
        async move {
            wait(&st, j).await;
            t.elapsed()
        }
    });
    let mut lat: Vec<Duration> = futures::future::join_all(waits).await;
    println!(
        "registration saga, 20 on different ports at once: {:.2} s wall, p50 {:.0} ms, p99 {:.0} ms (one at a time: 20 × p50 above)",
        t.elapsed().as_secs_f64(),
        pct(&mut lat, 0.5).as_secs_f64() * 1000.0,
        pct(&mut lat, 0.99).as_secs_f64() * 1000.0,
    );
    let (rss, peak_rss) = rss_mb();
    println!("rss: {rss:.0} MB (peak {peak_rss:.0} MB)");
    drop(fleet);
}

/// Polls every OLT at once; the ONTs the polls read.
async fn poll_all(st: &AppState, ids: &[String], meta: &Metadata) -> usize {
    let polls = ids.iter().map(|id| ispmon::gpon::poll_now(st, id, meta));
    let mut read = 0;
    for r in futures::future::join_all(polls).await {
        let (polled, _) = r.unwrap();
        match polled {
            ispmon_scheduler::gpon::poll::Outcome::Polled {
                onts, failed_ports, ..
            } if failed_ports.is_empty() => read += onts,
            other => panic!("{other:?}"),
        }
    }
    read
}

async fn register(
    st: &AppState,
    olt: &str,
    port: &str,
    sn: &str,
    profile: &str,
    meta: &Metadata,
) -> String {
    ispmon::gpon::register(
        st,
        ispmon::gpon::RegisterInput {
            olt_id: olt.into(),
            port: port.into(),
            sn: sn.into(),
            name: format!("bench-{sn}"),
            profile_id: profile.into(),
            from_autofind: Some(true),
            subscriber_id: None,
        },
        meta,
    )
    .await
    .unwrap_or_else(|e| panic!("registering {sn}: {e:?}"))
}

async fn wait(st: &AppState, job: &str) {
    let mut head = st.core.store.subscribe();
    loop {
        let j = ispmon::gpon::load_job(&st.core, job)
            .await
            .unwrap()
            .expect("the job exists");
        match j.outcome.as_deref() {
            None => {}
            Some("succeeded") => return,
            Some(other) => panic!("job {job} ended {other}: {j:?}"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), head.changed()).await;
    }
}
