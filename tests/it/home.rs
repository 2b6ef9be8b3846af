//! The landing page stays live over one server-sent event stream: the
//! panels come at once, and again when a host goes down — without the
//! page asking.

use std::time::Duration;

use ispmon_events::values::Role;

use crate::common::*;
use crate::notify::{add_host, go_down};

/// Reads the stream until an event's data contains `needle`; the panels
/// of that event.
async fn until_panel(stream: &mut reqwest::Response, buf: &mut String, needle: &str) -> String {
    let read = async {
        loop {
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                let data = data.join("\n");
                if event.contains("event: panels") && data.contains(needle) {
                    return data;
                }
            }
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .unwrap_or_else(|_| panic!("no panels with {needle:?} came: {buf}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_a_host_going_down_live() {
    let app = spawn_app().await;
    let noc = app.login_as(Role::Noc).await;
    let (status, page) = noc.get_text("/").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-live="/home/live""#), "{page}");
    assert!(!page.contains("every 10s"), "the page does not poll");

    let id = add_host(&app, "127.0.0.77", "edge-live-77", None).await;
    let r = noc.get("/home/live").await;
    // `r` is read chunk by chunk below.
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut stream = r;
    let mut buf = String::new();
    let first = until_panel(&mut stream, &mut buf, "class=\"stats\"").await;
    assert!(
        !first.contains("edge-live-77"),
        "up hosts are not on the panel"
    );

    go_down(&app, &id).await;
    let next = until_panel(&mut stream, &mut buf, "edge-live-77").await;
    assert!(next.contains("127.0.0.77"), "{next}");

    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/home/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 303, "the stream needs a session");
    assert!(anon.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_job_is_on_the_admins_dashboard_with_its_reason_and_not_on_the_nocs() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let noc = app.login_as(Role::Noc).await;
    let (_, page) = admin.get_text("/").await;
    assert!(page.contains(r#"id="stat-jobs""#), "{page}");
    assert!(!page.contains(r#"id="failing-jobs""#), "nothing failed yet");

    // A billing sync with no billing set up fails.
    let job = ispmon_scheduler::billing::job::JOB_NAME;
    app.state
        .scheduler
        .run_now(job, ispmon_scheduler::Scope::All, None)
        .unwrap();
    let status = app
        .state
        .scheduler
        .wait_status(job, Duration::from_secs(20), |s| {
            !s.running && s.last_outcome.is_some()
        })
        .await
        .expect("the run ends");
    assert!(matches!(status.last_outcome, Some(Err(_))), "{status:?}");

    let (_, page) = admin.get_text("/").await;
    let doc = scraper::Html::parse_document(&page);
    let sel = |css: &str| scraper::Selector::parse(css).unwrap();
    let list: String = doc
        .select(&sel("#failing-jobs li"))
        .flat_map(|li| li.text())
        .collect();
    assert!(
        list.contains(job) && list.contains("billing is not configured"),
        "the job and its reason: {list}"
    );
    let stat: String = doc
        .select(&sel("#stat-jobs.bad .n"))
        .flat_map(|n| n.text())
        .collect();
    assert_eq!(stat, "1", "{page}");
    let (_, page) = noc.get_text("/").await;
    assert!(
        !page.contains("failing-jobs") && !page.contains("stat-jobs"),
        "jobs are an admin's: {page}"
    );
}
