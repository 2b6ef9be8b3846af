//! The ticket list and pages with 100,000 tickets (issue #12): 64
//! keep-alive clients against the list (active, soonest due first; a
//! status tab; every ticket by opening time), the API list, and ticket
//! pages, each beside a static file of the same server (the reference).
//! Target: p99 ≤ 20 ms.
//!
//! Seeded through the commands: tickets of every priority opened over the
//! last 30 days, a fifth in progress, a tenth waiting, half of the rest
//! resolved or closed.
//!
//! Not measured: the request board (connection requests are not built
//! yet), SLA recomputation after a calendar change (the calendar is fixed
//! for now).
//!
//! Run: `cargo bench --bench tickets` (`BENCH_TICKETS=n` changes 100,000,
//! `BENCH_SECONDS=s` the time per target, default 5).

mod common;
use common::{drive, log_in, rss_mb, server_settings, CLIENTS};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ispmon::app::Application;
use ispmon::state::AppState;
use ispmon_events::ticket::*;
use ispmon_events::{Metadata, Source};

const STATIC_FILE: &str = "/static/htmx-2.0.4.min.js";
const P99_TARGET_MS: f64 = 20.0;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens `n` tickets (64 writers at once) and moves some along; their ids.
async fn seed(st: &AppState, n: usize) -> Vec<String> {
    let meta = Metadata::system(Source::Cli, "bench");
    let now = Utc::now();
    let writers = 64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (st, meta) = (st.clone(), meta.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (w..n).step_by(writers) {
                let id = format!("bench-{i:06}");
                let at = now - chrono::Duration::minutes((i % (30 * 24 * 60)) as i64);
                let details = TicketDetails {
                    login: Some(format!("user{:05}", i % 50_000)),
                    address: format!("Московская {}, кв. {}", i % 200 + 1, i % 90 + 1),
                    problem: format!("Нет связи #{i}"),
                    category: ["no-internet", "slow", "no-tv", "wiring"][i % 4].into(),
                    priority: Priority::ALL[i % 4],
                    ..Default::default()
                };
                let c = &st.core.commands;
                c.execute::<Ticket>(
                    &id,
                    TicketCommand::Open {
                        details,
                        source: TicketSource::Staff,
                        at,
                    },
                    &meta,
                )
                .await
                .unwrap();
                let moves: &[TicketStatus] = match i % 10 {
                    0 | 1 => &[TicketStatus::InProgress],
                    2 => &[TicketStatus::WaitingSubscriber],
                    3..=5 => &[TicketStatus::Resolved],
                    6 => &[TicketStatus::Closed],
                    _ => &[],
                };
                for to in moves {
                    c.execute::<Ticket>(
                        &id,
                        TicketCommand::ChangeStatus {
                            to: *to,
                            note: None,
                            at: at + chrono::Duration::minutes(1),
                        },
                        &meta,
                    )
                    .await
                    .unwrap();
                }
                ids.push(id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

fn main() {
    let n = env_num("BENCH_TICKETS", 100_000);
    let secs = env_num("BENCH_SECONDS", 5) as f64;
    let server_rt = common::runtime("server");
    let dir = tempfile::tempdir().unwrap();
    let settings = server_settings(dir.path());
    let (base, ids, cancel) = server_rt.block_on(async {
        let app = Application::build(settings).await.expect("app builds");
        let base = format!("http://{}", app.local_addr());
        let t = Instant::now();
        let ids = seed(app.state(), n).await;
        println!(
            "seeded {n} tickets through the commands in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let cancel = app.cancel_token();
        tokio::spawn(app.run_until_stopped());
        (base, ids, cancel)
    });
    let client_rt = common::runtime("client");
    let pages: Vec<String> = ids
        .iter()
        .step_by(97)
        .map(|id| format!("/tickets/{id}"))
        .collect();
    let one = |p: &str| vec![p.to_string()];
    let targets: Vec<(&str, Vec<String>)> = vec![
        ("static file (reference)", one(STATIC_FILE)),
        ("/tickets (active, due)", one("/tickets")),
        (
            "/tickets?status=in-progress",
            one("/tickets?status=in-progress"),
        ),
        (
            "/tickets?status=any&sort=opened",
            one("/tickets?status=any&sort=opened"),
        ),
        ("/tickets, page 20", one("/tickets?page=20")),
        ("/api/v1/tickets", one("/api/v1/tickets")),
        ("/tickets/{id}", pages),
    ];
    client_rt.block_on(async {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        log_in(&http, &base, common::ADMIN_PASSWORD).await;
        println!(
            "{CLIENTS} clients, keep-alive, one session; {secs} s per target after 1 s of warm-up"
        );
        println!(
            "{:<34} {:>9} {:>8} {:>8} {:>10} {:>10}",
            "target", "rps", "p50 ms", "p99 ms", "rps÷static", "p99÷static"
        );
        let mut reference: Option<(f64, f64)> = None;
        let mut pass = true;
        for (name, paths) in targets {
            let o = drive(&http, &base, Arc::new(paths), secs).await;
            let (rps0, p990) = *reference.get_or_insert((o.rps, o.p99_ms));
            println!(
                "{:<34} {:>9.0} {:>8.2} {:>8.2} {:>10.3} {:>10.2}",
                name,
                o.rps,
                o.p50_ms,
                o.p99_ms,
                o.rps / rps0,
                o.p99_ms / p990
            );
            if !name.starts_with("static") && o.p99_ms > P99_TARGET_MS {
                pass = false;
            }
        }
        let (rss, peak) = rss_mb();
        println!("RSS {rss:.1} MB, peak {peak:.1} MB");
        println!(
            "target: p99 ≤ {P99_TARGET_MS} ms for every ticket target: {}",
            if pass { "PASS" } else { "MISS" }
        );
    });
    cancel.cancel();
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
}
