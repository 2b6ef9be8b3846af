//! The request board with 20,000 connection requests (issue #12): 64
//! keep-alive clients against the board (all folders; one folder in its
//! manual order; one folder, every status), the API list, a request's
//! page and an installer's day, each beside a static file of the same
//! server (the reference). Target: p99 ≤ 20 ms. Then moves: one client
//! dragging requests to the top of their folder, as fast as it can.
//!
//! Seeded through the commands: 20 folders, requests in every status, a
//! third of them with one of 40 installers and a visit today.
//!
//! Run: `cargo bench --bench requests` (`BENCH_REQUESTS=n` changes
//! 20,000, `BENCH_SECONDS=s` the time per target, default 5).

mod common;
use common::{drive, log_in, rss_mb, server_settings, CLIENTS};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveTime, Utc};
use ispmon::app::Application;
use ispmon::state::AppState;
use ispmon_events::request::*;
use ispmon_events::request_board::*;
use ispmon_events::{Metadata, Source};

const STATIC_FILE: &str = "/static/htmx-2.0.4.min.js";
const P99_TARGET_MS: f64 = 20.0;
const FOLDERS: usize = 20;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens `n` requests (64 writers at once) over the folders; their ids.
async fn seed(st: &AppState, n: usize) -> Vec<String> {
    let meta = Metadata::system(Source::Cli, "bench");
    let now = Utc::now();
    for f in 0..FOLDERS {
        st.core
            .commands
            .execute::<RequestBoard>(
                BOARD_ID,
                RequestBoardCommand::CreateFolder {
                    id: format!("f-{f:02}"),
                    name: format!("Район {f}"),
                    at: now,
                },
                &meta,
            )
            .await
            .unwrap();
    }
    let today = ispmon::requests::today();
    let writers = 64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (st, meta) = (st.clone(), meta.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut rank = ispmon_events::rank::first();
            for i in (w..n).step_by(writers) {
                let id = format!("req-{i:06}");
                // Each writer appends: ranks grow, folders interleave.
                rank = ispmon_events::rank::between(Some(&rank), None);
                let details = RequestDetails {
                    name: format!("Подключение #{i}"),
                    address: format!("Садовая {}, кв. {}", i % 300 + 1, i % 90 + 1),
                    area: Some(format!("Район {}", i % FOLDERS)),
                    ..Default::default()
                };
                let mut commands = vec![RequestCommand::Open {
                    details,
                    folder: Some(format!("f-{:02}", i % FOLDERS)),
                    rank: rank.clone(),
                    first_message: Some(("olga".into(), "Хочет GPON".into())),
                    at: now,
                }];
                if i % 3 == 0 {
                    let h = 8 + (i % 10) as u32;
                    commands.push(RequestCommand::AssignInstaller {
                        installer: Some(format!("installer{:02}", i % 40)),
                        at: now,
                    });
                    commands.push(RequestCommand::Schedule {
                        visit: Some(Visit {
                            date: today,
                            from: NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
                            to: NaiveTime::from_hms_opt(h + 2, 0, 0).unwrap(),
                        }),
                        at: now,
                    });
                }
                match i % 10 {
                    0 => commands.push(RequestCommand::ChangeStatus {
                        to: RequestStatus::Done,
                        note: None,
                        at: now,
                    }),
                    1 => commands.push(RequestCommand::ChangeStatus {
                        to: RequestStatus::Closed,
                        note: None,
                        at: now,
                    }),
                    _ => {}
                }
                for c in commands {
                    st.core
                        .commands
                        .execute::<Request>(&id, c, &meta)
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

/// The signed-in session's CSRF token, from a page's forms.
async fn session_csrf(http: &reqwest::Client, base: &str) -> String {
    let page = http
        .get(format!("{base}/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse(r#"input[name="_csrf"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a signed-in page has a CSRF field")
        .to_string()
}

fn main() {
    let n = env_num("BENCH_REQUESTS", 20_000);
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
            "seeded {n} requests in {FOLDERS} folders through the commands in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let cancel = app.cancel_token();
        tokio::spawn(app.run_until_stopped());
        (base, ids, cancel)
    });
    let client_rt = common::runtime("client");
    let pages: Vec<String> = ids
        .iter()
        .step_by(37)
        .map(|id| format!("/requests/{id}"))
        .collect();
    let one = |p: &str| vec![p.to_string()];
    let targets: Vec<(&str, Vec<String>)> = vec![
        ("static file (reference)", one(STATIC_FILE)),
        ("/requests (all folders)", one("/requests")),
        ("/requests?folder=f-07", one("/requests?folder=f-07")),
        (
            "/requests?folder=f-07&status=any",
            one("/requests?folder=f-07&status=any"),
        ),
        (
            "/api/v1/requests?folder=f-07",
            one("/api/v1/requests?folder=f-07"),
        ),
        ("/requests/{id}", pages),
        (
            "/visits?installer=installer07",
            one("/visits?installer=installer07"),
        ),
    ];
    client_rt.block_on(async {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        log_in(&http, &base, common::ADMIN_PASSWORD).await;
        let csrf = session_csrf(&http, &base).await;
        println!(
            "{CLIENTS} clients, keep-alive, one session; {secs} s per target after 1 s of warm-up"
        );
        println!(
            "{:<36} {:>9} {:>8} {:>8} {:>10} {:>10}",
            "target", "rps", "p50 ms", "p99 ms", "rps÷static", "p99÷static"
        );
        let mut reference: Option<(f64, f64)> = None;
        let mut pass = true;
        for (name, paths) in targets {
            let o = drive(&http, &base, Arc::new(paths), secs).await;
            let (rps0, p990) = *reference.get_or_insert((o.rps, o.p99_ms));
            println!(
                "{:<36} {:>9.0} {:>8.2} {:>8.2} {:>10.3} {:>10.2}",
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
        // Moves: each to the top of its folder, one after another.
        let moves = 500.min(ids.len());
        let t = Instant::now();
        for id in ids.iter().take(moves) {
            let i: usize = id[4..].parse().unwrap();
            let folder = format!("f-{:02}", i % FOLDERS);
            let r = http
                .post(format!("{base}/requests/{id}/move"))
                .header("HX-Request", "true")
                .form(&[
                    ("folder", folder.as_str()),
                    ("after", ""),
                    ("_csrf", csrf.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 204, "a move lands");
        }
        let per = t.elapsed().as_secs_f64() * 1000.0 / moves as f64;
        println!("{moves} drag-and-drop moves to the top of a folder: {per:.2} ms each");
        let (rss, peak) = rss_mb();
        println!("RSS {rss:.1} MB, peak {peak:.1} MB");
        println!(
            "target: p99 ≤ {P99_TARGET_MS} ms for every board target: {}",
            if pass { "PASS" } else { "MISS" }
        );
    });
    cancel.cancel();
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
}
