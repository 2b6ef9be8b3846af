//! Subscribers from billing against the emulated cabinet of the shared
//! population: a full sync, a second sync writing exactly the changes, a
//! session expiring mid-sync, a failed folder marking nobody left, left
//! billing and back, the file import with bad rows, the search by every form, the
//! card joining the switch port, and no billing password anywhere.

use ispmon_events::values::Role;
use ispmon_sim::billing::{
    BillingConfig, BillingServer, BlockReason, Change, Faults, PathKind, ServerErrors,
};
use ispmon_sim::{Fleet, LivePopulation};
use serde_json::{json, Value};

use crate::common::*;

const PASSWORD: &str = "carbon-secret";

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) admin: Session,
    token: String,
    pub(crate) cabinet: BillingServer,
    _fleet: Fleet,
    pub(crate) live: LivePopulation,
}

/// Every device's config, the switches' MAC tables and the NAS sessions
/// collected now, as the scheduled jobs would (uplinks need the configs).
pub(crate) async fn collect_all(app: &TestApp) {
    let s = &app.state.scheduler;
    for job in [
        ispmon_scheduler::config_pull::job::JOB_NAME,
        ispmon_scheduler::fdb::job::JOB_NAME,
        ispmon_scheduler::nas::job::JOB_NAME,
    ] {
        s.run(job, ispmon_scheduler::Scope::All, None)
            .await
            .unwrap()
            .unwrap();
    }
}

/// The app over the demo population's switches, NAS and billing cabinet.
pub(crate) async fn world() -> World {
    let app = spawn_app().await;
    let (fleet, live) = LivePopulation::start(ispmon::demo::demo_population())
        .await
        .unwrap();
    ispmon::demo::seed_population(&app.state.core, live.population(), &fleet)
        .await
        .unwrap();
    let config = BillingConfig::for_population(live.population());
    assert_eq!(config.staff_password, PASSWORD);
    let cabinet = ispmon_sim::billing::start(live.population(), config)
        .await
        .unwrap();
    let admin = app.login_as(Role::Admin).await;
    let token = admin.api_token("billing").await;
    World {
        app,
        admin,
        token,
        cabinet,
        _fleet: fleet,
        live,
    }
}

impl World {
    pub(crate) async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        api_call(&self.app.base, &self.token, method, path, body).await
    }

    /// Points the billing settings at the cabinet (over the API).
    pub(crate) async fn configure(&self) {
        let (status, v) = self
            .api(
                reqwest::Method::PUT,
                "/api/v1/billing/settings",
                Some(
                    json!({"url": self.cabinet.url(""), "login": "admin", "password": PASSWORD,
                            "schedule": 30, "concurrency": 4}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["password_set"], true);
        assert!(!v.to_string().contains(PASSWORD));
    }

    pub(crate) async fn sync(&self) -> Value {
        let (status, v) = self
            .api(reqwest::Method::POST, "/api/v1/billing/sync", None)
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// `GET /api/v1/subscribers/{id}`: the card as JSON.
    async fn card(&self, id: impl std::fmt::Display) -> Value {
        self.api(
            reqwest::Method::GET,
            &format!("/api/v1/subscribers/{id}"),
            None,
        )
        .await
        .1
    }

    fn subscriber_events(&self) -> u64 {
        self.app.events_of("Subscriber")
    }

    async fn find(&self, q: &str) -> Vec<Value> {
        let (status, v) = self
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/subscribers?q={}", urlencoding::encode(q)),
                None,
            )
            .await;
        assert_eq!(status, 200, "{q}: {v}");
        v["subscribers"].as_array().cloned().unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_imports_everyone_and_the_next_writes_exactly_the_changes() {
    let w = world().await;
    w.configure().await;
    let all = w.cabinet.subscribers();
    let first = w.sync().await;
    assert_eq!(first["new"], all.len(), "{first}");
    assert_eq!(first["failed"], 0, "{first}");
    let after_first = w.subscriber_events();
    assert_eq!(after_first, all.len() as u64, "one import event each");

    // Nothing changed: no event.
    let steady = w.sync().await;
    assert_eq!(
        (steady["new"].as_u64(), steady["changed"].as_u64()),
        (Some(0), Some(0)),
        "{steady}"
    );
    assert_eq!(w.subscriber_events(), after_first);
    assert_eq!(
        steady["same_pages"],
        all.len(),
        "every page as last time: none parsed again: {steady}"
    );

    // Two changed fields, one blocked, one gone from billing.
    let (a, b, c, d) = (&all[0], &all[1], &all[2], &all[3]);
    w.cabinet
        .change(&a.login, Change::Tariff("Турбо 500".into()))
        .unwrap();
    w.cabinet
        .change(&b.login, Change::Address("ул. Садовая, д. 3".into()))
        .unwrap();
    // A balance is a figure, not an event.
    w.cabinet
        .change(&a.login, Change::BalanceKopecks(-12_345))
        .unwrap();
    let was_blocked = matches!(c.status, ispmon_sim::billing::Status::Blocked(_));
    if was_blocked {
        w.cabinet.unblock(&c.login).unwrap();
    } else {
        w.cabinet.block(&c.login, BlockReason::OutOfFunds).unwrap();
    }
    w.cabinet.remove(&d.login).unwrap();
    let third = w.sync().await;
    assert_eq!(third["changed"], 3, "{third}");
    assert_eq!(third["left"], 1, "{third}");
    assert_eq!(
        third["same_pages"],
        all.len() - 4,
        "the three changed pages read, the one gone not listed: {third}"
    );
    // Tariff: 1; address: 1; status: its field + (un)blocked = 2; left: 1.
    assert_eq!(w.subscriber_events(), after_first + 5);

    let card = w.card(a.id).await;
    assert_eq!(card["fields"]["tariff"], "Турбо 500", "{card}");
    assert_eq!(card["figures"]["balance"], -123.45, "{card}");
    let gone = w.card(d.id).await;
    assert_eq!(gone["left_billing"], true, "kept, flagged: {gone}");
    let blocked = w.card(c.id).await;
    assert_eq!(blocked["blocked"], !was_blocked, "{blocked}");
    // The list shows the left one grey and the blocked one red.
    let (status, page) = w.admin.get_text("/subscribers?status=left").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-status="left""#), "{page}");
    assert!(page.contains(&d.login), "{page}");
    let (_, page) = w.admin.get_text("/subscribers?status=blocked").await;
    assert!(page.contains(r#"data-status="blocked""#), "{page}");
    assert!(!page.contains(r#"data-status="active""#), "{page}");

    // Back in billing under the same id: returned, one event, not left.
    w.cabinet.restore(&d.login).unwrap();
    let before = w.subscriber_events();
    let fourth = w.sync().await;
    assert_eq!(fourth["left"], 0, "{fourth}");
    assert_eq!(fourth["changed"], 1, "{fourth}");
    assert_eq!(w.subscriber_events(), before + 1, "SubscriberReturned");
    let returned = w
        .app
        .state
        .core
        .store
        .since(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "SubscriberReturned")
        .count();
    assert_eq!(returned, 1);
    let back = w.card(d.id).await;
    assert_eq!(back["left_billing"], false, "returned: {back}");
}

/// The pages last seen are kept with the figures: the first sync after a
/// restart parses only the cards whose page changed, and writes exactly
/// those changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_page_as_last_time_is_still_not_read_again() {
    let w = world().await;
    w.configure().await;
    let all = w.cabinet.subscribers();
    let first = w.sync().await;
    assert_eq!(first["new"], all.len(), "{first}");
    let World {
        app,
        admin: _,
        token,
        cabinet,
        _fleet,
        live,
    } = w;
    let app = app.restarted().await;
    let admin = app.login_as(Role::Admin).await;
    let w = World {
        app,
        admin,
        token,
        cabinet,
        _fleet,
        live,
    };
    let changed = &all[3];
    w.cabinet
        .change(&changed.login, Change::Tariff("После перезапуска".into()))
        .unwrap();
    let events = w.subscriber_events();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let again = w.sync().await;
    assert_eq!(again["changed"], 1, "{again}");
    assert_eq!(again["new"], 0, "{again}");
    assert_eq!(again["same_pages"], all.len() - 1, "{again}");
    assert_eq!(w.subscriber_events(), events + 1, "the one change: {again}");
    // An unchanged page's figures are re-stamped as of this sync.
    let card = w.card(all[0].id).await;
    assert!(card["figures"]["balance"].is_number(), "{card}");
    let stamped = card["figures"]["synced_at"].as_i64().expect("synced_at");
    assert!(
        stamped >= before,
        "as of {stamped}, the sync began at {before}"
    );
}

/// A page the same as last time is not read again only while the
/// subscriber is as that sync left them: changed since by another source
/// (a file import, a restored backup), its card is read and billing's
/// values come back; a page the same but listed in another folder is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_as_last_time_is_skipped_only_while_the_subscriber_is_as_that_sync_left_them() {
    use ispmon_events::subscriber::{Subscriber, SubscriberCommand};
    let w = world().await;
    w.configure().await;
    let all = w.cabinet.subscribers();
    w.sync().await;
    let s = &all[5];
    let id = s.id.to_string();
    let view = {
        let id = id.clone();
        w.app
            .state
            .core
            .views
            .read(move |c| ispmon_projections::subscribers::view(c, &id))
            .await
            .unwrap()
            .unwrap()
    };
    let billed = view.fields["tariff"].clone();
    let mut elsewhere = view.clone();
    elsewhere
        .fields
        .insert("tariff".into(), "Из файла 1".into());
    w.app
        .state
        .core
        .commands
        .execute_settled::<Subscriber>(
            &id,
            SubscriberCommand::Sync { view: elsewhere },
            &w.app.meta(),
        )
        .await
        .unwrap();
    let events = w.subscriber_events();
    let again = w.sync().await;
    assert_eq!(again["changed"], 1, "{again}");
    assert_eq!(again["same_pages"], all.len() - 1, "{again}");
    assert_eq!(
        w.subscriber_events(),
        events + 1,
        "the tariff back: one event"
    );
    let card = w.card(&id).await;
    assert_eq!(
        card["fields"]["tariff"], billed,
        "billing's value back: {card}"
    );

    // The same card listed in another folder: read, and moved.
    let other = all
        .iter()
        .find(|o| o.folder_id != s.folder_id)
        .expect("two folders");
    w.cabinet.move_to_folder(&s.login, other.folder_id).unwrap();
    let moved = w.sync().await;
    assert_eq!(moved["changed"], 1, "{moved}");
    assert_eq!(moved["same_pages"], all.len() - 1, "{moved}");
    let card = w.card(&id).await;
    assert_eq!(card["folder_id"], other.folder_id.to_string(), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_logs_in_again_and_a_failed_folder_marks_nobody_left() {
    let w = world().await;
    w.configure().await;
    w.cabinet.set_faults(Faults {
        expire_sessions_after: Some(40),
        ..Default::default()
    });
    let first = w.sync().await;
    assert_eq!(
        first["new"],
        w.cabinet.subscribers().len(),
        "nothing lost: {first}"
    );
    assert_eq!(first["failed"], 0, "{first}");
    assert!(w.cabinet.counters().logins > 1, "it logged in again");
    let before = w.subscriber_events();

    // Someone leaves, but every folder page fails: nobody is marked left.
    let gone = w.cabinet.subscribers()[5].clone();
    w.cabinet.remove(&gone.login).unwrap();
    w.cabinet.set_faults(Faults {
        server_errors: Some(ServerErrors {
            kind: Some(PathKind::Folder),
            every: 1,
            count: None,
        }),
        ..Default::default()
    });
    let failed = w.sync().await;
    assert_eq!(failed["left"], 0, "{failed}");
    assert!(failed["failed"].as_u64().unwrap() > 0, "{failed}");
    assert!(
        failed["failed_pages"].to_string().contains("500"),
        "the failure names the page and the status: {failed}"
    );
    assert_eq!(
        w.subscriber_events(),
        before,
        "a failed sync changes nothing"
    );

    // A changed page structure is an error, never an empty list.
    w.cabinet.set_faults(Faults {
        structure: Some(ispmon_sim::billing::StructureChange::CardTableRenamed),
        ..Default::default()
    });
    let odd = w.sync().await;
    assert_eq!(odd["left"], 0, "{odd}");
    assert!(odd["failed"].as_u64().unwrap() > 0, "{odd}");
    assert_eq!(w.subscriber_events(), before);

    // Refused login: the sync fails, says why, changes nothing.
    w.cabinet.set_faults(Faults {
        refuse_login: true,
        ..Default::default()
    });
    w.cabinet.drop_sessions();
    let (status, v) = w
        .api(reqwest::Method::POST, "/api/v1/billing/sync", None)
        .await;
    assert!(
        status == 422 || (status == 200 && v["failed"].as_u64() > Some(0)),
        "{status} {v}"
    );
    assert_eq!(w.subscriber_events(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_is_found_by_what_one_types_and_the_card_joins_their_port() {
    let w = world().await;
    w.configure().await;
    w.sync().await;
    collect_all(&w.app).await;
    let pop = w.live.population();
    let who = pop
        .subscribers
        .iter()
        .find(|s| s.in_fdb && s.online)
        .expect("an online subscriber in the switches' tables");
    let b = w.cabinet.subscriber(&who.login).unwrap();
    let id = b.id.to_string();
    let ids = |found: Vec<Value>| -> Vec<String> {
        found
            .iter()
            .map(|v| v["id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let phone = b.phones.first().cloned().unwrap_or_default();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = &digits[digits.len() - 10..];
    for q in [
        b.login.clone(),
        b.contract_number.clone(),
        phone.clone(),
        format!("8{national}"),
        b.ip.to_string(),
        b.mac.clone(),
        b.full_name.clone(),
        b.address.clone(),
    ] {
        assert!(
            ids(w.find(&q).await).contains(&id),
            "{q:?} finds {}",
            b.login
        );
    }
    // The card: the edge port is the switch port the population has.
    let card = w.card(&id).await;
    let sw = &pop.access_switches()[who.access];
    assert_eq!(card["online"], true, "{card}");
    assert_eq!(card["location"]["device"], sw.name, "{card}");
    assert_eq!(card["location"]["port"], pop.port_name(who), "{card}");
    // The page shows it, and Search Port finds them by address too.
    let (status, page) = w.admin.get_text(&format!("/subscribers/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(pop.port_name(who)), "{page}");
    let (_, search) = w
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/search?q={}", urlencoding::encode(&b.address)),
            None,
        )
        .await;
    assert!(
        search["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["subscriber"]["id"] == id),
        "{search}"
    );
    // A bad list request says what is wrong and lists nothing.
    let (status, v) = w
        .api(reqwest::Method::GET, "/api/v1/subscribers?status=odd", None)
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = w
        .api(reqwest::Method::GET, "/api/v1/subscribers?limit=0", None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_password_is_nowhere_and_bad_settings_change_nothing() {
    let w = world().await;
    w.configure().await;
    w.sync().await;
    let before = w.app.event_count();
    for body in [
        json!({"url": "ftp://x", "login": "a"}),
        json!({"url": w.cabinet.url(""), "login": "admin", "schedule": 1}),
        json!({"url": w.cabinet.url(""), "login": "", "concurrency": 99}),
    ] {
        let (status, v) = w
            .api(
                reqwest::Method::PUT,
                "/api/v1/billing/settings",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 422, "{body} → {v}");
    }
    assert_eq!(w.app.event_count(), before, "bad settings change nothing");
    // The page form: a bad value is named next to its field.
    let r = w
        .admin
        .post_form(
            "/admin/billing",
            &[
                ("url", "nope"),
                ("login", "a"),
                ("schedule", "x"),
                ("concurrency", "4"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(field_error(&html, "schedule").is_some(), "{html}");
    assert_eq!(w.app.event_count(), before);
    // Test connection logs in; the password is in no page, API answer or event.
    let r = w.admin.post_htmx("/admin/billing/test", &[]).await;
    let text = r.text().await.unwrap();
    assert!(text.contains("folder"), "{text}");
    let (_, page) = w.admin.get_text("/admin/billing").await;
    let (_, api) = w
        .api(reqwest::Method::GET, "/api/v1/billing/settings", None)
        .await;
    assert!(
        !page.contains(PASSWORD) && !api.to_string().contains(PASSWORD) && !text.contains(PASSWORD)
    );
    let dir = w.app.events_path();
    let events = std::fs::read(&dir).unwrap();
    assert!(
        !events
            .windows(PASSWORD.len())
            .any(|x| x == PASSWORD.as_bytes()),
        "no billing password in the event log"
    );
    // Notes: an empty one is refused and changes nothing.
    let id = w.cabinet.subscribers()[0].id.to_string();
    let r = w
        .admin
        .post_form(&format!("/subscribers/{id}/notes"), &[("text", "  ")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(w.app.event_count(), before);
    let r = w
        .admin
        .post_form(
            &format!("/subscribers/{id}/notes"),
            &[("text", "звонил, просил перезвонить")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, card) = w.admin.get_text(&format!("/subscribers/{id}")).await;
    assert!(card.contains("просил перезвонить"));
}

#[tokio::test]
async fn a_file_import_syncs_good_rows_and_reports_bad_ones_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("subscribers.csv");
    std::fs::write(
        &file,
        "billing_id,folder,login,full_name,address,phones,ip,mac,status\n\
         101,Центр,ivanov,Иванов Иван,Московская 5а,8 (916) 123-45-67,10.0.0.5,AA-BB-CC-00-11-22,Активен\n\
         102,Центр,,Петров,Ленина 1,,,,Активен\n\
         103,Заречье,sidorov,Сидоров,Речная 7,,,not-a-mac,Активен\n\
         104,Заречье,kuznetsova,Кузнецова,Речная 9,,,,Пользователь отключен\n",
    )
    .unwrap();
    let out = ispmon(&["billing", "import", file.to_str().unwrap()], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad rows: exit 1\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("subscribers.csv:3:"), "{stderr}");
    assert!(stderr.contains("subscribers.csv:4:"), "{stderr}");
    assert!(stdout.contains("2 new"), "{stdout}");
    let conn = rusqlite::Connection::open(dir.path().join("events.db")).unwrap();
    let (n, blocked): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), SUM(event_type = 'SubscriberImported' AND payload LIKE '%disabled%')
             FROM events WHERE aggregate_type = 'Subscriber'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, blocked), (2, 1));
}
