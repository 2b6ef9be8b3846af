//! Helpers shared by the benchmarks (each bench includes this module; not
//! every bench uses every helper).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

/// A 2-thread runtime (the machine's cores) whose threads are named
/// `name`: the server's, the clients', an emulator's.
pub fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Concurrent keep-alive HTTP clients of the load benches.
pub const CLIENTS: usize = 64;
/// The admin password the load benches start the server with.
pub const ADMIN_PASSWORD: &str = "bench-admin-password-1";

/// (current RSS, peak RSS) of this process in MB, from `/proc/self/status`.
pub fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets this process's peak RSS (`VmHWM`) to its current RSS, so a peak
/// read later covers only what ran since; false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Logs in through the login form; the client keeps the session cookie.
pub async fn log_in(http: &reqwest::Client, base: &str, password: &str) {
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse(r#"input[name="_csrf"]"#).unwrap();
    let csrf = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("the login form has a CSRF field")
        .to_string();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("login", "admin"),
            ("password", password),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the bench logs in");
}

pub struct Outcome {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub bytes: usize,
}

/// `CLIENTS` tasks, each sending the next of `paths` as soon as its last
/// answer is read, for `secs` after a one-second warm-up. With every
/// client always waiting, the mean latency is `CLIENTS` ÷ throughput.
pub async fn drive(
    http: &reqwest::Client,
    base: &str,
    paths: Arc<Vec<String>>,
    secs: f64,
) -> Outcome {
    drive_with(http, base, paths, secs, None).await
}

/// `CLIENTS` tasks, each sending one of `paths` every `every` (staggered
/// over the interval) whatever the answers take, as that many people at
/// once would, for `secs` after a one-second warm-up. A request made late
/// by the answer before it is timed from when it was due, so a slow
/// answer counts against the one it held up too.
pub async fn drive_paced(
    http: &reqwest::Client,
    base: &str,
    paths: Arc<Vec<String>>,
    secs: f64,
    every: Duration,
) -> Outcome {
    drive_with(http, base, paths, secs, Some(every)).await
}

async fn drive_with(
    http: &reqwest::Client,
    base: &str,
    paths: Arc<Vec<String>>,
    secs: f64,
    pace: Option<Duration>,
) -> Outcome {
    let run = |window: Duration, record: bool| {
        let start = tokio::time::Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (http, base, paths) = (http.clone(), base.to_string(), Arc::clone(&paths));
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut bytes = 0;
                    let end = start + window;
                    let mut i = c * 7919;
                    // The first due time, staggered over the interval.
                    let mut due = start + pace.unwrap_or_default() * c as u32 / CLIENTS as u32;
                    loop {
                        let t = match pace {
                            Some(every) => {
                                // Late because the last answer was: timed
                                // from when it was due. Otherwise from the
                                // wake-up (the timer's own lateness, up to
                                // a millisecond, is not the server's).
                                let at = due;
                                let behind = tokio::time::Instant::now() >= at;
                                tokio::time::sleep_until(at).await;
                                due = at + every;
                                if behind {
                                    at
                                } else {
                                    tokio::time::Instant::now()
                                }
                            }
                            None => tokio::time::Instant::now(),
                        };
                        if t >= end {
                            break;
                        }
                        let path = &paths[i % paths.len()];
                        i += 1;
                        let r = http.get(format!("{base}{path}")).send().await.unwrap();
                        let status = r.status().as_u16();
                        let body = r.bytes().await.unwrap();
                        assert_eq!(status, 200, "{path}");
                        if record {
                            lat.push(t.elapsed().as_micros() as u32);
                            bytes = body.len();
                        }
                    }
                    (lat, bytes)
                })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            let mut bytes = 0;
            for task in tasks {
                let (lat, b) = task.await.unwrap();
                all.extend(lat);
                bytes = bytes.max(b);
            }
            (all, bytes, start.elapsed().as_secs_f64())
        }
    };
    run(Duration::from_secs(1), false).await;
    let (mut lat, bytes, elapsed) = run(Duration::from_secs_f64(secs), true).await;
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    Outcome {
        rps: lat.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        bytes,
    }
}

/// How the bare reference sessions reach an emulated device: its target
/// and credentials as a plain `exec` takes them.
pub fn bare_session(
    spec: &ispmon_sim::DeviceSpec,
    addr: std::net::SocketAddr,
) -> (
    ispmon_scheduler::cli::session::Target,
    ispmon_scheduler::cli::session::Credentials,
) {
    use ispmon_scheduler::cli::session::{Credentials, Target, TransportKind};
    let target = Target {
        host: addr.ip().to_string(),
        port: addr.port(),
        transport: match spec.transport {
            ispmon_sim::Transport::Ssh => TransportKind::Ssh,
            ispmon_sim::Transport::Telnet => TransportKind::Telnet,
        },
        dialect: ispmon_scheduler::cli::Dialect::parse(spec.kind.slug())
            .expect("every emulated kind is a dialect"),
        legacy_ssh: spec.legacy_ssh,
    };
    let creds = Credentials {
        login: spec.login.clone(),
        password: spec.password.clone(),
        enable_password: spec.enable_password.clone(),
        private_key: None,
    };
    (target, creds)
}

/// Settings of a load bench's server: a data dir, any free loopback port,
/// the bench's admin password, NORMAL durability.
pub fn server_settings(dir: &std::path::Path) -> ispmon::config::Settings {
    let mut settings = ispmon::config::Settings::new(dir.to_path_buf());
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.admin_password = Some(ADMIN_PASSWORD.into());
    settings.durability = ispmon_events::Durability::Normal;
    settings
}
