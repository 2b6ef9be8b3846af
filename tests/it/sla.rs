//! The SLA settings: changing the calendar moves an open ticket's due time
//! on the list (a done one is not touched), the policies and overrides
//! apply by priority and category, bad input changes nothing, only admins
//! may, the API says the same, and a rebuild from the log gives the same
//! due times.

use chrono::{TimeZone, Utc};
use ispmon_events::ticket::{
    Priority, Ticket, TicketCommand, TicketDetails, TicketSource, TicketStatus,
};
use ispmon_events::values::Role;
use ispmon_projections::tickets::TicketView;
use serde_json::{json, Value};

use crate::common::*;

/// Tuesday 2030-03-05, 07:00 UTC (10:00 in Moscow, inside the default
/// calendar's 09–18 at +180).
fn at(h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 5, h, m, 0).unwrap()
}

async fn run(app: &TestApp, id: &str, c: TicketCommand) {
    app.state
        .core
        .commands
        .execute::<Ticket>(id, c, &app.meta())
        .await
        .unwrap();
}

async fn open(app: &TestApp, id: &str, priority: Priority, category: &str) {
    let details = TicketDetails {
        address: format!("Московская 5а, кв {id}"),
        problem: format!("no link ({id})"),
        category: category.into(),
        priority,
        ..Default::default()
    };
    let c = TicketCommand::Open {
        details,
        source: TicketSource::Staff,
        at: at(7, 0),
    };
    run(app, id, c).await;
}

async fn resolve(app: &TestApp, id: &str) {
    for (to, m) in [(TicketStatus::InProgress, 5), (TicketStatus::Resolved, 10)] {
        let c = TicketCommand::ChangeStatus {
            to,
            note: None,
            at: at(7, m),
        };
        run(app, id, c).await;
    }
}

async fn view(app: &TestApp, id: &str) -> TicketView {
    let id = id.to_string();
    app.state
        .core
        .views
        .read(move |c| ispmon_projections::tickets::get(c, &id))
        .await
        .unwrap()
        .expect("the ticket is in the read model")
}

fn sla_events(app: &TestApp) -> u64 {
    let c = rusqlite::Connection::open(app.events_path()).unwrap();
    c.query_row(
        "SELECT COUNT(*) FROM events WHERE aggregate_type = 'SlaSettings'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// The page's form with the defaults, as a browser would send it back.
pub(crate) fn default_form() -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![("utc_offset_min".into(), "180".into())];
    for (i, w) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .enumerate()
    {
        f.push((format!("{w}_open"), "09:00".into()));
        f.push((format!("{w}_close"), "18:00".into()));
        if i >= 5 {
            f.push((format!("{w}_off"), "1".into()));
        }
    }
    for (p, first, resolution) in [
        ("urgent", "30m", "4h"),
        ("high", "1h", "8h"),
        ("normal", "4h", "24h"),
        ("low", "8h", "72h"),
    ] {
        f.push((format!("{p}_first_response_min"), first.into()));
        f.push((format!("{p}_resolution_min"), resolution.into()));
    }
    f.push(("holidays".into(), String::new()));
    f.push(("overrides".into(), String::new()));
    f
}

pub(crate) fn with(mut f: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    f.retain(|(k, _)| k != name);
    f.push((name.into(), value.into()));
    f
}

pub(crate) async fn post(s: &Session, f: &[(String, String)]) -> (u16, String) {
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = s.post_form("/admin/sla", &fields).await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The text of the due cell of a ticket's row on the list.
fn due_on_list(list: &str, problem: &str) -> String {
    let doc = scraper::Html::parse_document(list);
    let rows = scraper::Selector::parse("tr").unwrap();
    let cell = scraper::Selector::parse("td.nowrap").unwrap();
    let row = doc
        .select(&rows)
        .find(|r| r.text().collect::<String>().contains(problem))
        .unwrap_or_else(|| panic!("{problem} is on the list: {list}"));
    row.select(&cell)
        .next()
        .expect("a due cell")
        .text()
        .collect::<String>()
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_calendar_moves_an_open_tickets_due_time_and_leaves_a_done_one() {
    let app = spawn_app().await;
    open(&app, "T-1", Priority::Urgent, "internet").await;
    open(&app, "T-2", Priority::Urgent, "internet").await;
    resolve(&app, "T-2").await;
    let done_before = view(&app, "T-2").await;
    let admin = app.login_as(Role::Admin).await;

    // Default calendar: opened at 10:00 Moscow, urgent, first response 30 min.
    let (_, list) = admin.get_text("/tickets?status=any").await;
    assert!(
        due_on_list(&list, "no link (T-1)").starts_with("2030-03-05 07:30"),
        "{}",
        due_on_list(&list, "no link (T-1)")
    );

    // Working hours in UTC from 09:00: the clock starts at 09:00 UTC.
    let (status, page) = post(&admin, &with(default_form(), "utc_offset_min", "0")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Open tickets recomputed: 1; due times moved: 1."),
        "{page}"
    );
    let (_, list) = admin.get_text("/tickets?status=any").await;
    assert!(
        due_on_list(&list, "no link (T-1)").starts_with("2030-03-05 09:30"),
        "{}",
        due_on_list(&list, "no link (T-1)")
    );
    let t1 = view(&app, "T-1").await;
    assert_eq!(
        t1.first_response_due.as_deref(),
        Some("2030-03-05T09:30:00Z")
    );
    assert_eq!(t1.resolution_due.as_deref(), Some("2030-03-05T13:00:00Z"));
    assert_eq!(
        view(&app, "T-2").await,
        done_before,
        "a done ticket is not touched"
    );

    // The page shows what is in force; the same form again changes nothing.
    let (_, shown) = admin.get_text("/admin/sla").await;
    assert!(
        shown.contains(r#"name="utc_offset_min" value="0""#),
        "{shown}"
    );
    let before = app.event_count();
    let (status, page) = post(&admin, &with(default_form(), "utc_offset_min", "0")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Nothing changed."), "{page}");
    assert_eq!(app.event_count(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_category_override_gives_its_tickets_their_own_times() {
    let app = spawn_app().await;
    open(&app, "T-1", Priority::Urgent, "node-down").await;
    open(&app, "T-2", Priority::Urgent, "internet").await;
    let admin = app.login_as(Role::Admin).await;
    let f = with(default_form(), "overrides", "Node-Down urgent 10m 1h");
    let (status, page) = post(&admin, &f).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("due times moved: 1."), "{page}");
    let t1 = view(&app, "T-1").await;
    assert_eq!(
        t1.first_response_due.as_deref(),
        Some("2030-03-05T07:10:00Z")
    );
    assert_eq!(t1.resolution_due.as_deref(), Some("2030-03-05T08:00:00Z"));
    let t2 = view(&app, "T-2").await;
    assert_eq!(
        t2.first_response_due.as_deref(),
        Some("2030-03-05T07:30:00Z")
    );
    let (_, shown) = admin.get_text("/admin/sla").await;
    assert!(shown.contains("node-down urgent 10m 1h"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_next_to_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    open(&app, "T-1", Priority::Urgent, "internet").await;
    let due = view(&app, "T-1").await;
    let admin = app.login_as(Role::Admin).await;
    let before = app.event_count();
    let cases = [
        (
            with(
                with(default_form(), "wed_open", "18:00"),
                "wed_close",
                "09:00",
            ),
            "wed",
            "the day ends after it starts",
        ),
        (
            with(default_form(), "high_first_response_min", "-5"),
            "high_first_response_min",
            "1 minute to 365 days",
        ),
        (
            with(default_form(), "holidays", "2030-01-01\n2030-02-30"),
            "holidays",
            "“2030-02-30” is not a date (YYYY-MM-DD)",
        ),
        (
            with(default_form(), "low_resolution_min", "soon"),
            "low_resolution_min",
            "a time like 30m, 4h or 1h30m",
        ),
    ];
    for (form, field, message) in cases {
        let (status, page) = post(&admin, &form).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(page.contains(message), "{field}: {page}");
        if field != "wed" {
            assert_eq!(
                field_error(&page, field).as_deref(),
                Some(message),
                "{page}"
            );
        }
    }
    // The weekday's message sits in its row.
    let bad = with(
        with(default_form(), "wed_open", "18:00"),
        "wed_close",
        "09:00",
    );
    let (_, page) = post(&admin, &bad).await;
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("#day-wed .field-error").unwrap();
    let shown: Vec<String> = doc.select(&sel).map(|e| e.text().collect()).collect();
    assert_eq!(shown, ["the day ends after it starts"]);
    assert_eq!(app.event_count(), before, "nothing recorded");
    assert_eq!(sla_events(&app), 0);
    assert_eq!(view(&app, "T-1").await, due, "nothing recomputed");

    // Without the CSRF token, nothing either.
    let fields = with(default_form(), "utc_offset_min", "0");
    let raw: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = admin.post_raw("/admin/sla", &raw).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.event_count(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_see_or_change_the_sla() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let (_, home) = admin.get_text("/").await;
    assert!(home.contains(r#"href="/admin/sla""#), "in the admin menu");
    for role in [Role::Noc, Role::Technician, Role::Installer, Role::Auditor] {
        let s = app.login_as(role).await;
        assert_eq!(s.get("/admin/sla").await.status().as_u16(), 403, "{role:?}");
        let form = with(default_form(), "utc_offset_min", "0");
        let (status, _) = post(&s, &form).await;
        assert_eq!(status, 403, "{role:?}");
        let (_, home) = s.get_text("/").await;
        assert!(!home.contains(r#"href="/admin/sla""#), "{role:?}");
    }
    assert_eq!(sla_events(&app), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_reads_and_replaces_the_settings_with_the_same_checks() {
    let app = spawn_app().await;
    open(&app, "T-1", Priority::High, "internet").await;
    let admin = app.login_as(Role::Admin).await;
    let token = admin.api_token("sla").await;
    let base = app.base.clone();
    let (status, v) = api_call(&base, &token, reqwest::Method::GET, "/api/v1/sla", None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["utc_offset_min"], 180);
    assert_eq!(v["days"]["mon"], json!({"open": "09:00", "close": "18:00"}));
    assert_eq!(v["days"]["sat"], Value::Null);
    assert_eq!(v["policies"]["high"]["first_response_min"], 60);

    let mut body = v.clone();
    for k in ["changed_at", "changed_by", "recomputed", "moved"] {
        body.as_object_mut().unwrap().remove(k);
    }
    let before = app.event_count();
    let mut bad = body.clone();
    bad["days"]["tue"] = json!({"open": "18:00", "close": "10:00"});
    bad["policies"]["high"]["first_response_min"] = json!(-1);
    bad["holidays"] = json!(["2030-13-01"]);
    let (status, e) = api_call(
        &base,
        &token,
        reqwest::Method::PUT,
        "/api/v1/sla",
        Some(bad),
    )
    .await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("holidays: “2030-13-01” is not a date"),
        "{e}"
    );
    let mut bad = body.clone();
    bad["days"]["tue"] = json!({"open": "18:00", "close": "10:00"});
    bad["policies"]["high"]["first_response_min"] = json!(-1);
    let (status, e) = api_call(
        &base,
        &token,
        reqwest::Method::PUT,
        "/api/v1/sla",
        Some(bad),
    )
    .await;
    assert_eq!(status, 422, "{e}");
    let msg = e["error"].as_str().unwrap();
    assert!(msg.contains("tue: the day ends after it starts"), "{msg}");
    assert!(
        msg.contains("high_first_response_min: 1 minute to 365 days"),
        "{msg}"
    );
    assert_eq!(app.event_count(), before, "nothing recorded");

    body["days"]["sat"] = json!({"open": "10:00", "close": "14:00"});
    body["policies"]["high"]["first_response_min"] = json!(20);
    let (status, v) = api_call(
        &base,
        &token,
        reqwest::Method::PUT,
        "/api/v1/sla",
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["changed"], true);
    assert_eq!(v["recomputed"], 1);
    assert_eq!(v["moved"], 1);
    assert_eq!(v["days"]["sat"]["close"], "14:00");
    assert_eq!(app.event_count(), before + 1, "one SlaSettingsChanged");
    let t1 = view(&app, "T-1").await;
    assert_eq!(
        t1.first_response_due.as_deref(),
        Some("2030-03-05T07:20:00Z")
    );

    let noc = app.login_as(Role::Noc).await;
    let noc_token = noc.api_token("noc").await;
    let (status, _) = api_call(&base, &noc_token, reqwest::Method::GET, "/api/v1/sla", None).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebuild_from_the_log_gives_the_same_due_times() {
    let app = spawn_app().await;
    open(&app, "T-1", Priority::Normal, "internet").await;
    let admin = app.login_as(Role::Admin).await;
    let (status, _) = post(&admin, &with(default_form(), "utc_offset_min", "0")).await;
    assert_eq!(status, 200);
    // Opened after the change: judged under the new calendar.
    open(&app, "T-2", Priority::Urgent, "node-down").await;
    open(&app, "T-3", Priority::Low, "internet").await;
    resolve(&app, "T-3").await;
    let f = with(
        with(default_form(), "utc_offset_min", "0"),
        "overrides",
        "node-down urgent 5m 30m",
    );
    let (status, _) = post(&admin, &f).await;
    assert_eq!(status, 200);
    let mut live = Vec::new();
    for id in ["T-1", "T-2", "T-3"] {
        live.push(view(&app, id).await);
    }
    assert_eq!(
        live[1].first_response_due.as_deref(),
        Some("2030-03-05T09:05:00Z")
    );

    let data = app.stop().await;
    let fresh = data.path().join("rebuilt.db");
    ispmon_projections::rebuild::replay_into(&data.path().join("events.db"), &fresh, None).unwrap();
    let c = rusqlite::Connection::open(&fresh).unwrap();
    for v in &live {
        let again = ispmon_projections::tickets::get(&c, &v.id)
            .unwrap()
            .unwrap();
        assert_eq!(&again, v, "{}", v.id);
    }
    let row = ispmon_projections::sla_settings::current(&c).unwrap();
    assert_eq!(
        (row.recomputed, row.moved),
        (2, 1),
        "T-1 and T-2 recomputed, T-2 moved"
    );
    let verdict = ispmon_projections::rebuild::verify(
        &data.path().join("events.db"),
        &data.path().join("views.db"),
    )
    .unwrap();
    assert!(verdict.is_ok(), "{verdict:?}");
}
