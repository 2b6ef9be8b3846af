//! Notifications of host transitions: a webhook and the Telegram Bot API,
//! both pointed at a receiver on loopback that records what it gets.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use ispmon::notify::{Notifier, Status};
use ispmon_events::host::{HostCommand, HostDetails, Judgement, RoundSample};
use ispmon_events::values::Role;
use serde_json::Value;

use crate::common::*;

const TOKEN: &str = "123456789:AAtest-Token_0123456789abcdefXYZ";
const CHAT: &str = "-100200300";
/// The webhook's own credential, in its path (as Slack's or Teams' hooks).
const HOOK_KEY: &str = "T0ISPMON/B0HOOK/hk-Secret-4f1c9a";
const WAIT: Duration = Duration::from_secs(15);

const J: Judgement = Judgement {
    failed_rounds_before_down: 2,
    loss_threshold_pct: 20.0,
    latency_threshold_ms: 100.0,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) path: String,
    pub(crate) body: Value,
}

#[derive(Default)]
struct Script {
    hits: Mutex<Vec<Hit>>,
    /// Answer this many of the next requests with 500.
    fail_next: AtomicUsize,
    /// Answer every request with 500.
    fail_all: AtomicBool,
}

/// A tiny HTTP server on 127.0.0.1 standing in for a webhook and Telegram.
pub(crate) struct Receiver {
    pub(crate) base: String,
    script: Arc<Script>,
}

async fn record(State(s): State<Arc<Script>>, uri: Uri, body: Bytes) -> StatusCode {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.hits.lock().unwrap().push(Hit {
        path: uri.path().to_string(),
        body,
    });
    let failing = s.fail_all.load(Ordering::SeqCst)
        || s.fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Script::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&script));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, script }
    }

    fn hits(&self) -> Vec<Hit> {
        self.script.hits.lock().unwrap().clone()
    }

    pub(crate) fn webhooks(&self) -> Vec<Value> {
        self.hits()
            .into_iter()
            .filter(|h| h.path.starts_with("/hook"))
            .map(|h| h.body)
            .collect()
    }

    fn telegrams(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.path.starts_with("/tg/"))
            .collect()
    }
}

/// An app with notifications configured through the admin page.
struct Setup {
    app: TestApp,
    admin: Session,
    rx: Receiver,
    notifier: Notifier,
}

async fn setup(telegram: bool) -> Setup {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let rx = Receiver::start().await;
    let hook = format!("{}/hook/{HOOK_KEY}", rx.base);
    let tg = format!("{}/tg", rx.base);
    let mut fields = vec![("webhook_url", hook.as_str())];
    if telegram {
        fields.extend([
            ("telegram_token", TOKEN),
            ("telegram_chat_id", CHAT),
            ("telegram_api_base", tg.as_str()),
        ]);
    }
    let r = admin.post_form("/admin/notifications", &fields).await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Saved."), "{page}");
    let notifier = Notifier::new(&app.state);
    Setup {
        app,
        admin,
        rx,
        notifier,
    }
}

pub(crate) async fn add_host(app: &TestApp, ip: &str, name: &str, parent: Option<&str>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let details = HostDetails {
        name: name.into(),
        parent: parent.map(str::to_string),
        ..Default::default()
    };
    app.state
        .core
        .commands
        .host(
            &id,
            HostCommand::Add {
                ip: ip.into(),
                details,
            },
            &app.meta(),
        )
        .await
        .unwrap();
    id
}

async fn round(app: &TestApp, id: &str, sample: RoundSample, failed: u32, parent_down: bool) {
    app.state
        .core
        .commands
        .host(
            id,
            HostCommand::RecordRound {
                sample,
                failed_rounds: failed,
                parent_down,
                judgement: J,
            },
            &app.meta(),
        )
        .await
        .unwrap();
}

fn lost() -> RoundSample {
    RoundSample {
        sent: 3,
        loss_pct: 100.0,
        ..Default::default()
    }
}

fn answered() -> RoundSample {
    RoundSample {
        sent: 3,
        received: 3,
        loss_pct: 0.0,
        min_ms: Some(0.5),
        avg_ms: Some(1.5),
        max_ms: Some(2.5),
        jitter_ms: Some(0.2),
    }
}

pub(crate) async fn go_down(app: &TestApp, id: &str) {
    round(app, id, lost(), 2, false).await;
}

async fn come_up(app: &TestApp, id: &str) {
    round(app, id, answered(), 0, false).await;
}

/// Steps the notifier until the receiver holds `n` requests.
async fn until_hits(s: &Setup, n: usize) {
    let ok = eventually(WAIT, || async {
        s.notifier.run_once().await.unwrap();
        s.rx.hits().len() >= n
    })
    .await;
    assert!(ok, "expected {n} requests, got {:?}", s.rx.hits());
}

/// The last event of a host in the log.
async fn last_event(app: &TestApp, id: &str) -> ispmon_events::StoredEvent {
    let events = app
        .state
        .core
        .store
        .aggregate_events("Host", id, None)
        .await
        .unwrap();
    events.last().unwrap().clone()
}

#[tokio::test]
async fn a_host_going_down_and_up_is_told_to_the_webhook_and_telegram() {
    let s = setup(true).await;
    let id = add_host(&s.app, "127.77.0.1", "core-1", None).await;

    go_down(&s.app, &id).await;
    until_hits(&s, 2).await;
    let down = last_event(&s.app, &id).await;
    assert_eq!(down.event_type, "HostWentDown");
    let hooks = s.rx.webhooks();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let w = &hooks[0];
    assert_eq!(w["event"], "HostWentDown");
    assert_eq!(w["state"], "down");
    assert_eq!(w["host"]["id"], id.as_str());
    assert_eq!(w["host"]["name"], "core-1");
    assert_eq!(w["host"]["ip"], "127.77.0.1");
    assert_eq!(w["at"], down.recorded_at.as_str());
    assert_eq!(w["seq"], down.seq);
    assert_eq!(w["loss_pct"], 100.0);
    assert!(w["avg_ms"].is_null());
    let tg = s.rx.telegrams();
    assert_eq!(tg.len(), 1);
    assert_eq!(tg[0].path, format!("/tg/bot{TOKEN}/sendMessage"));
    assert_eq!(tg[0].body["chat_id"], -100200300);
    let text = tg[0].body["text"].as_str().unwrap();
    assert!(
        text.starts_with("🔴 core-1 (127.77.0.1) is DOWN since "),
        "{text}"
    );

    come_up(&s.app, &id).await;
    until_hits(&s, 4).await;
    let hooks = s.rx.webhooks();
    assert_eq!(hooks[1]["event"], "HostCameUp");
    assert_eq!(hooks[1]["state"], "up");
    assert_eq!(hooks[1]["avg_ms"], 1.5);
    let tg = s.rx.telegrams();
    let text = tg[1].body["text"].as_str().unwrap();
    assert!(
        text.starts_with("🟢 core-1 (127.77.0.1) is UP since "),
        "{text}"
    );

    // Nothing is sent twice, however often the notifier steps.
    s.notifier.run_once().await.unwrap();
    s.notifier.run_once().await.unwrap();
    assert_eq!(s.rx.hits().len(), 4);
    let (status, page) = s.admin.get_text("/admin/notifications").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches(r#"data-status="sent""#).count(), 4, "{page}");
}

#[tokio::test]
async fn nothing_is_sent_in_a_maintenance_window_nor_for_an_unreachable_child() {
    let s = setup(true).await;
    let quiet = add_host(&s.app, "127.77.1.1", "in-works", None).await;
    let parent = add_host(&s.app, "127.77.1.2", "uplink", None).await;
    let child = add_host(&s.app, "127.77.1.3", "behind-uplink", Some(&parent)).await;
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    s.app
        .state
        .core
        .commands
        .host(
            &quiet,
            HostCommand::ScheduleMaintenance {
                window_id: "w1".into(),
                start: fmt(now - chrono::Duration::hours(1)),
                end: fmt(now + chrono::Duration::hours(1)),
                reason: "fiber splicing".into(),
            },
            &s.app.meta(),
        )
        .await
        .unwrap();

    go_down(&s.app, &quiet).await;
    round(&s.app, &child, lost(), 2, true).await;
    assert_eq!(
        last_event(&s.app, &child).await.event_type,
        "HostBecameUnreachable"
    );
    // The parent's own fall is told: once it arrives, the others were judged.
    go_down(&s.app, &parent).await;
    until_hits(&s, 2).await;
    s.notifier.run_once().await.unwrap();
    let hits = s.rx.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(s.rx.webhooks()[0]["host"]["id"], parent.as_str());
    let text = s.rx.telegrams()[0].body["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("uplink (127.77.1.2)"), "{text}");

    let (_, page) = s.admin.get_text("/admin/notifications").await;
    assert!(page.contains(r#"data-status="skipped""#), "{page}");
    assert!(page.contains("maintenance: fiber splicing"), "{page}");
    assert!(
        !page.contains("behind-uplink"),
        "unreachable children are not listed"
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_failures_are_shown() {
    let s = setup(false).await;
    let id = add_host(&s.app, "127.77.2.1", "flaky-hook", None).await;

    // One 500, then accepted on the retry.
    s.rx.script.fail_next.store(1, Ordering::SeqCst);
    go_down(&s.app, &id).await;
    until_hits(&s, 1).await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let delivered = eventually(WAIT, || async {
        s.notifier.run_once_at(later).await.unwrap();
        let d = s.notifier.deliveries(10).await.unwrap();
        d.iter()
            .any(|d| d.status == Status::Done && d.attempts == 2)
    })
    .await;
    assert!(delivered, "{:?}", s.notifier.deliveries(10).await.unwrap());
    assert_eq!(s.rx.webhooks().len(), 2, "the same body twice");
    assert_eq!(s.rx.webhooks()[0], s.rx.webhooks()[1]);
    let failures = s.notifier.attempts(true, 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].code, Some(500));
    assert_eq!(failures[0].attempt, 1);

    // Always 500: given up after the last attempt, and shown as failed.
    s.rx.script.fail_all.store(true, Ordering::SeqCst);
    let other = add_host(&s.app, "127.77.2.2", "dead-hook", None).await;
    go_down(&s.app, &other).await;
    let seq = last_event(&s.app, &other).await.seq;
    let mut hour = 1;
    let gave_up = eventually(WAIT, || {
        hour += 1;
        let at = chrono::Utc::now() + chrono::Duration::hours(hour);
        let n = &s.notifier;
        async move {
            n.run_once_at(at).await.unwrap();
            let d = n.deliveries(10).await.unwrap();
            d.iter().any(|d| d.seq == seq && d.status == Status::Failed)
        }
    })
    .await;
    assert!(gave_up, "{:?}", s.notifier.deliveries(10).await.unwrap());
    let row = s
        .notifier
        .deliveries(10)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.seq == seq)
        .unwrap();
    assert_eq!(row.attempts, ispmon::notify::MAX_ATTEMPTS);
    let tried = eventually(WAIT, || async {
        let sent = s.rx.webhooks().iter().filter(|w| w["seq"] == seq).count();
        let recorded = s
            .notifier
            .attempts(false, 100)
            .await
            .unwrap()
            .iter()
            .filter(|a| a.seq == seq)
            .count();
        sent == recorded && sent >= ispmon::notify::MAX_ATTEMPTS as usize
    })
    .await;
    assert!(tried, "every request is recorded as an attempt");

    let (_, page) = s.admin.get_text("/admin/notifications").await;
    assert!(page.contains(r#"data-status="failed""#), "{page}");
    assert!(page.contains("HTTP 500 Internal Server Error"), "{page}");
    assert!(page.contains("dead-hook"), "{page}");
}

#[tokio::test]
async fn the_bot_token_and_the_webhook_url_never_leave_the_secrets_table() {
    let s = setup(true).await;
    let id = add_host(&s.app, "127.77.3.1", "secretive", None).await;
    go_down(&s.app, &id).await;
    until_hits(&s, 2).await;
    // The webhook got its message at its whole, unsealed URL.
    let hook_path = format!("/hook/{HOOK_KEY}");
    assert!(s.rx.hits().iter().any(|h| h.path == hook_path));
    const SECRETS: [&str; 2] = ["AAtest-Token", "hk-Secret-4f1c9a"];
    let leaks = |text: &str| SECRETS.iter().any(|x| text.contains(x));

    let (_, page) = s.admin.get_text("/admin/notifications").await;
    assert!(!page.contains(TOKEN) && !leaks(&page), "{page}");
    assert!(page.contains("•••"), "a set token shows as •••");
    let origin = s.rx.base.clone();
    assert!(
        page.contains(&format!("{origin}/•••")),
        "the webhook shows as its origin: {page}"
    );

    let events = s.app.state.core.store.since(0, 10_000).await.unwrap();
    assert!(events
        .iter()
        .any(|e| e.event_type == "NotifySettingsChanged"));
    for e in &events {
        assert!(
            !leaks(&e.payload) && !leaks(&e.metadata),
            "event {} carries a secret",
            e.seq
        );
    }
    let api = s.admin.get_text("/api/v1/events?limit=1000").await.1;
    assert!(api.contains("NotifySettingsChanged") && !leaks(&api));
    let (status, audit) = s
        .admin
        .get_text("/audit/entity/NotifySettings/notify")
        .await;
    assert_eq!(status, 200, "{audit}");
    assert!(audit.contains("telegram_token_ref"), "{audit}");
    assert!(audit.contains("webhook_url_ref"), "{audit}");
    assert!(
        audit.contains(&origin),
        "the audit names where it went: {audit}"
    );
    assert!(!leaks(&audit), "{audit}");

    let out = std::process::Command::new(bin())
        .args(["export-events"])
        .env("ISPMON_DATA", s.app.data.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let export = String::from_utf8_lossy(&out.stdout);
    assert!(export.contains("NotifySettingsChanged"));
    assert!(!leaks(&export));

    // Not in any file of the data dir: the secrets table holds it sealed.
    for entry in std::fs::read_dir(s.app.data.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            for secret in [TOKEN, HOOK_KEY] {
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "{} holds a secret", path.display());
            }
        }
    }
}

#[tokio::test]
async fn an_empty_url_keeps_the_webhook_and_remove_turns_it_off() {
    let s = setup(false).await;
    let events = s.app.event_count();
    let saved = || async {
        s.app
            .state
            .core
            .views
            .read(ispmon_projections::notify::settings)
            .await
            .unwrap()
            .values
    };
    let before = saved().await;
    assert!(before.webhook_url_ref.is_some() && before.webhook_url.is_none());
    assert_eq!(before.webhook_target.as_deref(), Some(s.rx.base.as_str()));

    // Saving with the URL field empty keeps it: nothing changed, no event.
    let r = s.admin.post_form("/admin/notifications", &[]).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("nothing changed"));
    assert_eq!(s.app.event_count(), events);
    // The same URL again seals nothing new and changes nothing either.
    let hook = format!("{}/hook/{HOOK_KEY}", s.rx.base);
    let r = s
        .admin
        .post_form("/admin/notifications", &[("webhook_url", hook.as_str())])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("nothing changed"));
    assert_eq!(s.app.event_count(), events);
    assert_eq!(saved().await, before);

    let r = s
        .admin
        .post_form("/admin/notifications", &[("webhook_url_clear", "1")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Saved.") && !page.contains("webhook-state"),
        "{page}"
    );
    let after = saved().await;
    assert!(after.webhook_url_ref.is_none() && after.webhook_target.is_none());
    assert!(!after.webhook_enabled());
}

#[tokio::test]
async fn bad_settings_are_refused_per_field_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let secrets = |app: &TestApp| -> i64 {
        let c = rusqlite::Connection::open(app.events_path()).unwrap();
        c.query_row("SELECT COUNT(*) FROM secrets", [], |r| r.get(0))
            .unwrap()
    };
    let (events_before, secrets_before) = (app.event_count(), secrets(&app));

    let r = admin
        .post_form(
            "/admin/notifications",
            &[
                ("webhook_url", "ftp://example.net/hook"),
                ("telegram_token", "not-a-token"),
                ("telegram_chat_id", "chat room"),
                ("telegram_api_base", "http://"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    for msg in [
        "must start with http:// or https://",
        "a bot token looks like",
        "a chat id is a number",
        "the URL needs a host name",
    ] {
        assert!(page.contains(msg), "missing '{msg}' in {page}");
    }
    assert!(
        page.contains("ftp://example.net/hook"),
        "typed values are kept"
    );
    assert!(!page.contains("not-a-token"), "a token is never echoed");

    // A valid token without a chat id is refused too, and not stored.
    let r = admin
        .post_form("/admin/notifications", &[("telegram_token", TOKEN)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("a chat id is needed to send to Telegram"));

    // Without the CSRF token nothing is even looked at.
    let r = admin
        .post_raw(
            "/admin/notifications",
            &[("webhook_url", "http://127.0.0.1:9/hook")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);

    assert_eq!(app.event_count(), events_before, "no event appended");
    assert_eq!(secrets(&app), secrets_before, "no secret stored");
    let (_, page) = admin.get_text("/admin/notifications").await;
    assert!(!page.contains("ftp://example.net") && !page.contains("127.0.0.1:9"));
    assert!(!page.contains("•••"), "no token was set");
}

#[tokio::test]
async fn only_admins_open_the_notifications_page() {
    let app = spawn_app().await;
    for role in Role::ALL {
        let s = app.login_as(role).await;
        let get = s.get("/admin/notifications").await.status().as_u16();
        let post = s
            .post_form(
                "/admin/notifications",
                &[("webhook_url", "http://127.0.0.1:9/hook")],
            )
            .await
            .status()
            .as_u16();
        if role == Role::Admin {
            assert_eq!((get, post), (200, 200), "{role:?}");
        } else {
            assert_eq!((get, post), (403, 403), "{role:?}");
        }
    }
}

#[tokio::test]
async fn what_was_sent_before_a_restart_is_not_sent_again() {
    let s = setup(true).await;
    let id = add_host(&s.app, "127.77.4.1", "steady", None).await;
    go_down(&s.app, &id).await;
    until_hits(&s, 2).await;
    let Setup {
        app, rx, notifier, ..
    } = s;
    drop(notifier);
    let data = app.stop().await;

    let app = spawn_app_with(|st| st.data_dir = data.path().to_path_buf()).await;
    let s = Setup {
        admin: app.login_as(Role::Admin).await,
        notifier: Notifier::new(&app.state),
        app,
        rx,
    };
    come_up(&s.app, &id).await;
    until_hits(&s, 4).await;
    s.notifier.run_once().await.unwrap();
    let events: Vec<_> =
        s.rx.webhooks()
            .iter()
            .map(|w| w["event"].as_str().unwrap().to_string())
            .collect();
    assert_eq!(events, vec!["HostWentDown", "HostCameUp"]);
    assert_eq!(s.rx.telegrams().len(), 2);
}

#[tokio::test]
async fn a_change_stored_before_hosts_carried_their_name_is_told_with_it() {
    use cqrs_es::persist::SerializedEvent;
    let s = setup(false).await;
    let id = add_host(&s.app, "127.77.5.1", "legacy-1", None).await;
    // A HostWentDown as version 1 wrote it: no name, no address.
    let v1 = SerializedEvent {
        aggregate_id: id.clone(),
        sequence: 2,
        aggregate_type: "Host".into(),
        event_type: "HostWentDown".into(),
        event_version: "1".into(),
        payload: serde_json::json!({ "HostWentDown": { "sample": lost(), "failed_rounds": 2 } }),
        metadata: serde_json::json!({}),
    };
    s.app.state.core.store.append(vec![v1], None).await.unwrap();
    assert!(!last_event(&s.app, &id).await.payload.contains("legacy-1"));

    until_hits(&s, 1).await;
    let w = &s.rx.webhooks()[0];
    assert_eq!(w["event"], "HostWentDown");
    assert_eq!(w["host"]["name"], "legacy-1");
    assert_eq!(w["host"]["ip"], "127.77.5.1");
    let (_, page) = s.admin.get_text("/admin/notifications").await;
    assert!(page.contains("legacy-1"), "{page}");
}

/// Opens a ticket through its form; its id.
async fn open_ticket(s: &Setup, problem: &str, priority: &str) -> String {
    let r = s
        .admin
        .post_form(
            "/tickets",
            &[
                ("address", "Московская 5а, кв. 12"),
                ("problem", problem),
                ("category", "no-internet"),
                ("priority", priority),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let at = r.headers()["location"].to_str().unwrap();
    at.strip_prefix("/tickets/").unwrap().to_string()
}

fn ticket_hooks(rx: &Receiver, id: &str) -> Vec<Value> {
    rx.webhooks()
        .into_iter()
        .filter(|b| b["ticket"]["id"] == id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assignment_is_told_at_once_and_sla_alerts_at_their_time_unless_answered() {
    let s = setup(true).await;
    s.app.create_user("ivanova", Role::Noc).await;
    let late = open_ticket(&s, "Нет интернета", "normal").await;
    let answered = open_ticket(&s, "Медленно", "high").await;

    let r = s
        .admin
        .post_form(
            &format!("/tickets/{late}/assign"),
            &[("assignee", "ivanova")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // The assignment goes at once, to both channels; nothing else is due.
    until_hits(&s, 2).await;
    let told = ticket_hooks(&s.rx, &late);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["event"], "TicketAssigned");
    assert_eq!(told[0]["assignee"], "ivanova");
    assert!(s.rx.telegrams()[0].body["text"]
        .as_str()
        .unwrap()
        .contains("assigned to ivanova"));

    // The other is answered (moved to in progress) before anything falls due.
    let r = s
        .admin
        .post_form(
            &format!("/tickets/{answered}/status"),
            &[("status", "in-progress"), ("note", "")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // A week on: every due time has come.
    let later = chrono::Utc::now() + chrono::Duration::days(7);
    let ok = eventually(WAIT, || async {
        s.notifier.run_once_at(later).await.unwrap();
        ticket_hooks(&s.rx, &late).len() >= 5
    })
    .await;
    assert!(ok, "{:?}", ticket_hooks(&s.rx, &late));
    let late_told: Vec<_> = ticket_hooks(&s.rx, &late)
        .iter()
        .map(|b| format!("{}:{}", b["event"].as_str().unwrap(), b["due"]))
        .collect();
    for want in [
        "TicketDueSoon:\"first_response\"",
        "TicketBreached:\"first_response\"",
        "TicketDueSoon:\"resolution\"",
        "TicketBreached:\"resolution\"",
    ] {
        assert!(
            late_told.contains(&want.to_string()),
            "{want}: {late_told:?}"
        );
    }
    let answered_told: Vec<_> = ticket_hooks(&s.rx, &answered)
        .iter()
        .map(|b| format!("{}:{}", b["event"].as_str().unwrap(), b["due"]))
        .collect();
    assert!(
        !answered_told.iter().any(|e| e.contains("first_response")),
        "an answered ticket is not told its first response is due: {answered_told:?}"
    );
    assert!(
        answered_told.contains(&"TicketBreached:\"resolution\"".to_string()),
        "{answered_told:?}"
    );
    // The dropped ones are on the admin page with the reason.
    let deliveries = s.notifier.deliveries(200).await.unwrap();
    assert!(deliveries.iter().any(|d| d.status == Status::Dropped
        && d.reason
            .as_deref()
            .unwrap_or("")
            .starts_with("no longer due")));
    let (_, page) = s.admin.get_text("/admin/notifications").await;
    assert!(page.contains("TicketBreached"), "{page}");

    // Stepping again sends nothing twice.
    let n = s.rx.hits().len();
    s.notifier.run_once_at(later).await.unwrap();
    assert_eq!(s.rx.hits().len(), n);
}

async fn resolution_due(app: &TestApp, id: &str) -> String {
    let id = id.to_string();
    app.state
        .core
        .views
        .read(move |c| ispmon_projections::tickets::get(c, &id))
        .await
        .unwrap()
        .unwrap()
        .resolution_due
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sla_change_retimes_the_alerts_of_open_tickets_without_another_event() {
    let s = setup(false).await;
    let id = open_ticket(&s, "Нет интернета", "normal").await;
    let was = resolution_due(&s.app, &id).await;
    // The normal priority's resolution goes from 24 to 72 working hours;
    // the ticket itself records nothing more.
    let form = crate::sla::with(crate::sla::default_form(), "normal_resolution_min", "72h");
    let (status, page) = crate::sla::post(&s.admin, &form).await;
    assert_eq!(status, 200, "{page}");
    let due = resolution_due(&s.app, &id).await;
    assert_ne!(due, was, "the read model moved the due time");

    // A month on: the breach is told at the new due time, not the old one.
    let later = chrono::Utc::now() + chrono::Duration::days(30);
    let told_at = |rx: &Receiver| -> Vec<String> {
        ticket_hooks(rx, &id)
            .iter()
            .filter(|b| b["event"] == "TicketBreached" && b["due"] == "resolution")
            .map(|b| b["due_at"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let ok = eventually(WAIT, || async {
        s.notifier.run_once_at(later).await.unwrap();
        told_at(&s.rx).contains(&due)
    })
    .await;
    assert!(ok, "{:?}", ticket_hooks(&s.rx, &id));
    assert_eq!(
        told_at(&s.rx),
        vec![due.clone()],
        "told once, at the new time"
    );
}
