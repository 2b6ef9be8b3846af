//! GPON end to end against the emulated OLTs: a poll fills the read models,
//! a registration from autofind runs as a saga and the ONT is online in
//! the port table, a failing step is compensated (nothing left on the
//! OLT), bad input and a duplicate SN change nothing, and the poll stays
//! within one session.

use std::time::Duration;

use ispmon_events::values::Role;
use ispmon_sim::{DeviceSpec, Fleet, Kind, Transport};
use serde_json::{json, Value};

use crate::common::*;

struct World {
    kind: Kind,
    app: TestApp,
    token: String,
    fleet: Fleet,
    olt: String,
}

async fn world(kind: Kind) -> World {
    world_with(kind, |_| {}).await
}

async fn world_with(kind: Kind, tweak: impl FnOnce(&mut ispmon::config::Settings)) -> World {
    let app = spawn_app_with(tweak).await;
    let fleet = Fleet::start(vec![DeviceSpec::sample(kind, Transport::Ssh, 0)])
        .await
        .unwrap();
    let mut form = ispmon::demo::device_form(&fleet.devices[0], "olt-1");
    form.profile.roles = vec!["olt".into()];
    let olt = ispmon::devices::register(&app.state.core, &form, &app.meta())
        .await
        .unwrap()
        .unwrap();
    let admin = app.login_as(Role::Admin).await;
    let token = admin.api_token("gpon").await;
    World {
        kind,
        app,
        token,
        fleet,
        olt,
    }
}

impl World {
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        api_call(&self.app.base, &self.token, method, path, body).await
    }

    /// The OLT's ONTs as the API lists them (one port, or all).
    async fn onts(&self, port: Option<&str>) -> Vec<Value> {
        let path = match port {
            Some(p) => format!("/api/v1/olts/{}/onts?port={p}", self.olt),
            None => format!("/api/v1/olts/{}/onts", self.olt),
        };
        let (status, v) = self.api(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{v}");
        v["onts"].as_array().expect("a list of ONTs").clone()
    }

    /// The first ONT waiting in autofind on the emulated OLT: (port, SN).
    fn waiting(&self) -> (String, String) {
        let ((f, s, p), sn) = self
            .gpon(|g| g.autofind_on(None).first().map(|a| (a.fsp, a.sn.clone())))
            .expect("the sample OLT has an ONT in autofind");
        (format!("{f}/{s}/{p}"), sn)
    }

    fn gpon<T>(&self, f: impl FnOnce(&mut ispmon_sim::gpon::GponOlt) -> T) -> T {
        let mut st = self.fleet.devices[0].state.lock().unwrap();
        f(st.gpon_mut())
    }

    async fn profile(&self, bridge: bool) -> String {
        let (status, v) = self
            .api(
                reqwest::Method::POST,
                "/api/v1/gpon/profiles",
                Some(if self.kind == Kind::ZteC300 {
                    // ZTE registers by ONU type: the OLT's types are its
                    // profiles, numbered in order.
                    json!({"name": "ftth", "vlan": 100, "gemport": 1, "line_profile_id": 2,
                    "service_profile_id": 2, "bridge": bridge, "onu_type": "ZTE-F660"})
                } else {
                    json!({"name": "ftth", "vlan": 100, "gemport": 1, "line_profile_id": 10,
                    "service_profile_id": 10, "bridge": bridge, "onu_type": ""})
                }),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    }

    async fn poll(&self) -> Value {
        let (status, v) = self
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/olts/{}/poll", self.olt),
                None,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["poll"]["ok"], json!(true), "{v}");
        assert_eq!(v["poll"]["failed_ports"], json!([]), "every port read: {v}");
        v
    }

    async fn wait_job(&self, id: &str) -> Value {
        let path = format!("/api/v1/registrations/{id}");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (_, v) = self.api(reqwest::Method::GET, &path, None).await;
            if !matches!(v["state"].as_str(), Some("running" | "compensating")) {
                return v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the job did not end: {v}"
            );
            tokio::task::yield_now().await;
            let _ = self.app.state.core.store.subscribe().changed().await;
        }
    }

    fn job_events(&self) -> u64 {
        let c = rusqlite::Connection::open(self.app.events_path()).unwrap();
        c.query_row(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'GponJob'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_fills_the_read_models_in_one_session_and_a_steady_poll_writes_nothing() {
    let w = world(Kind::HuaweiSmartax).await;
    w.profile(true).await;
    let before = w.gpon(|g| g.onts().len());
    let (port, sn) = w.waiting();
    let opened = w.fleet.devices[0]
        .state
        .lock()
        .unwrap()
        .stats()
        .sessions_opened;
    let v = w.poll().await;
    let stats = w.fleet.devices[0].state.lock().unwrap().stats();
    assert_eq!(
        stats.sessions_opened - opened,
        2,
        "one session for the whole sweep, one for autofind (the old tool logged in per command): {v}"
    );
    let listed = w.onts(None).await;
    assert_eq!(
        listed.len(),
        before,
        "every ONT of the OLT is in the read model"
    );
    let on_olt = w.gpon(|g| g.onts()[0].clone());
    let row = listed
        .iter()
        .find(|o| o["sn"] == json!(on_olt.sn))
        .expect("the first ONT is listed");
    assert_eq!(
        row["port"],
        json!(format!(
            "{}/{}/{}",
            on_olt.fsp.0, on_olt.fsp.1, on_olt.fsp.2
        ))
    );
    assert_eq!(row["ont_id"], json!(on_olt.ont_id));
    assert_eq!(
        row["run_state"],
        json!(if on_olt.online { "online" } else { "offline" })
    );
    if on_olt.online {
        let rx = row["rx_dbm"].as_f64().expect("an online ONT has an Rx");
        assert!(
            (rx - on_olt.rx_dbm).abs() < 1.0,
            "{rx} vs {}",
            on_olt.rx_dbm
        );
    }
    let (_, af) = w
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/olts/{}/autofind", w.olt),
            None,
        )
        .await;
    assert!(
        af["autofind"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["sn"] == json!(sn) && a["port"] == json!(port)),
        "{af}"
    );
    let events = w.app.event_count();
    w.poll().await;
    assert_eq!(
        w.app.event_count(),
        events,
        "a steady poll writes no events (drifting optics are readings)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ont_from_autofind_registers_is_online_and_deletes() {
    registers_and_deletes(Kind::HuaweiSmartax, "ont confirm").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zte_onu_from_the_unconfigured_list_registers_is_online_and_deletes() {
    registers_and_deletes(Kind::ZteC300, "type ZTE-F660 sn").await;
}

/// Registration from autofind on `kind`'s OLT (its add step's transcript
/// shows `added`), the duplicate refused, then deletion.
async fn registers_and_deletes(kind: Kind, added: &str) {
    let w = world(kind).await;
    let profile = w.profile(true).await;
    w.poll().await;
    let (port, sn) = w.waiting();
    let (status, v) = w
        .api(
            reqwest::Method::POST,
            "/api/v1/registrations",
            Some(json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "ivanov", "profile_id": profile})),
        )
        .await;
    assert_eq!(status, 202, "{v}");
    let job = w.wait_job(v["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], json!("succeeded"), "{job}");
    let steps: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["done", "done", "done", "done", "done"], "{job}");
    assert!(
        job["steps"][1]["transcript"]
            .as_str()
            .unwrap()
            .contains(added),
        "the add step's transcript is kept: {job}"
    );
    let (ont, sps) = w.gpon(|g| {
        let o = g.ont_by_sn(&sn).cloned().expect("registered on the OLT");
        let sps = g.service_ports_of(o.fsp, Some(o.ont_id)).len();
        (o, sps)
    });
    assert_eq!(ont.description, "ivanov");
    assert_eq!(
        ont.native_vlan,
        Some(100),
        "a bridge profile sets the native VLAN"
    );
    assert_eq!(sps, 1, "one service port");
    assert!(w.gpon(|g| g.autofind_on(None).iter().all(|a| a.sn != sn)));
    let new = w
        .onts(Some(&port))
        .await
        .iter()
        .find(|o| o["sn"] == json!(sn))
        .cloned()
        .expect("the new ONT is in the port table at once");
    assert_eq!(new["run_state"], json!("online"), "{new}");
    assert_eq!(new["description"], json!("ivanov"));

    // The same SN again is refused before the OLT is asked anything.
    let jobs = w.job_events();
    let (status, v) = w
        .api(
            reqwest::Method::POST,
            "/api/v1/registrations",
            Some(json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "again", "profile_id": profile})),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("already registered"), "{v}");
    assert_eq!(w.job_events(), jobs, "nothing recorded");

    // Deletion: service ports first, then the ONT, then save.
    let (status, v) = w
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/onts/{}", new["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 202, "{v}");
    let job = w.wait_job(v["id"].as_str().unwrap()).await;
    assert_eq!(job["state"], json!("succeeded"), "{job}");
    assert!(w.gpon(|g| g.ont_by_sn(&sn).is_none()), "deleted on the OLT");
    assert_eq!(
        w.gpon(|g| g.service_ports_of(ont.fsp, Some(ont.ont_id)).len()),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_failed_step_is_compensated_and_bad_input_changes_nothing() {
    let w = world(Kind::HuaweiSmartax).await;
    let profile = w.profile(true).await;
    w.poll().await;
    let (port, sn) = w.waiting();
    let sps_before = w.gpon(|g| g.service_ports.len());

    // Bad input: refused with the field named, nothing recorded, nothing sent.
    let jobs = w.job_events();
    let commands = w.fleet.devices[0]
        .state
        .lock()
        .unwrap()
        .stats()
        .commands_total;
    for (body, field) in [
        (
            json!({"olt_id": w.olt, "port": port, "sn": "HWTC-XYZ", "name": "x", "profile_id": profile}),
            "sn",
        ),
        (
            json!({"olt_id": w.olt, "port": "0/1", "sn": sn, "name": "x", "profile_id": profile}),
            "port",
        ),
        (
            json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "a\"b", "profile_id": profile}),
            "name",
        ),
        (
            json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "x", "profile_id": "nope"}),
            "profile_id",
        ),
        (
            json!({"olt_id": "nope", "port": port, "sn": sn, "name": "x", "profile_id": profile}),
            "olt_id",
        ),
    ] {
        let (status, v) = w
            .api(reqwest::Method::POST, "/api/v1/registrations", Some(body))
            .await;
        assert_eq!(status, 422, "{v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    assert_eq!(w.job_events(), jobs, "bad input records nothing");
    assert_eq!(
        w.fleet.devices[0]
            .state
            .lock()
            .unwrap()
            .stats()
            .commands_total,
        commands,
        "bad input sends nothing to the OLT"
    );

    // Each step fails in turn: whatever the OLT got for this SN is removed
    // again, and the OLT is as it was.
    let onts_before = w.gpon(|g| g.onts().len());
    for (step, prefix, failure, undone) in [
        (
            0,
            "display ont-lineprofile",
            "Failure: System is busy",
            false,
        ),
        (1, "ont confirm", "Failure: The ONT already exists", false),
        (2, "service-port", "Failure: The VLAN does not exist", true),
        (
            3,
            "ont port native-vlan",
            "Failure: The port is not exist",
            true,
        ),
        (4, "save", "Failure: System is busy", true),
    ] {
        w.fleet.devices[0]
            .state
            .lock()
            .unwrap()
            .fail_once_on(prefix, &format!("  {failure}"));
        let (status, v) = w
            .api(
                reqwest::Method::POST,
                "/api/v1/registrations",
                Some(json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "petrov", "profile_id": profile})),
            )
            .await;
        assert_eq!(status, 202, "{prefix}: {v}");
        let job = w.wait_job(v["id"].as_str().unwrap()).await;
        w.fleet.devices[0].state.lock().unwrap().clear_faults();
        assert_eq!(job["state"], json!("failed"), "{prefix}: {job}");
        assert_eq!(job["steps"][step]["status"], json!("failed"), "{job}");
        assert!(
            job["failure"].as_str().unwrap().contains(failure),
            "the OLT's own words: {job}"
        );
        if undone {
            assert!(
                job["compensation"].as_str().unwrap().contains("ont delete"),
                "{prefix}: {job}"
            );
        }
        assert!(
            w.gpon(|g| g.ont_by_sn(&sn).is_none()),
            "{prefix}: no half-registered ONT stays on the OLT"
        );
        assert_eq!(w.gpon(|g| g.service_ports.len()), sps_before, "{prefix}");
        assert_eq!(w.gpon(|g| g.onts().len()), onts_before, "{prefix}");
        assert!(
            w.gpon(|g| g.autofind_on(None).iter().any(|a| a.sn == sn)),
            "{prefix}: the ONT waits in autofind again"
        );
    }
}

/// ispmon is killed (SIGKILL) while the service-port step waits on the OLT:
/// the ONT was added, the step never finished. The restarted process takes
/// the job over at once, fails the interrupted step and undoes what the OLT
/// has for the SN; the same ONT then registers cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn a_registration_killed_mid_step_is_compensated_after_restart() {
    let w = world(Kind::HuaweiSmartax).await;
    let profile = w.profile(true).await;
    w.poll().await;
    let (port, sn) = w.waiting();
    let sps_before = w.gpon(|g| g.service_ports.len());
    let World {
        app, fleet, olt, ..
    } = w;
    let olt_state = fleet.devices[0].state.clone();
    let gpon = |f: &dyn Fn(&ispmon_sim::gpon::GponOlt) -> bool| {
        let mut st = olt_state.lock().unwrap();
        f(st.gpon_mut())
    };
    let data = app.stop().await;
    let out = ispmon(
        &["token", "create", "admin", "--name", "crash"],
        data.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let mut server = spawn_server(data.path(), &[], &[]);
    olt_state.lock().unwrap().hang_on("service-port");
    let register =
        json!({"olt_id": olt, "port": port, "sn": sn, "name": "sidorov", "profile_id": profile});
    let (status, v) = api_call(
        &server.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/registrations",
        Some(register.clone()),
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/registrations/{id}");
    let job = job_until(&server.base, &token, &path, |v| {
        v["steps"][2]["status"] == json!("running")
    })
    .await;
    assert_eq!(
        job["steps"][2]["status"],
        json!("running"),
        "the service-port step started: {job}"
    );
    // One registration per OLT port at a time.
    let (status, v) = api_call(
        &server.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/registrations",
        Some(json!({"olt_id": olt, "port": port, "sn": "HWTC0000AAAA", "name": "other", "profile_id": profile})),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("port"), "{v}");
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    olt_state.lock().unwrap().clear_faults();
    assert!(
        gpon(&|g| g.ont_by_sn(&sn).is_some()),
        "the kill left the ONT half-registered on the OLT"
    );

    let server = spawn_server(data.path(), &[], &[]);
    let job = job_until(&server.base, &token, &path, ended).await;
    assert!(ended(&job), "the restarted ispmon ended the job: {job}");
    assert_eq!(job["state"], json!("failed"), "{job}");
    assert_eq!(job["steps"][2]["status"], json!("failed"), "{job}");
    assert!(
        job["steps"][2]["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted"),
        "{job}"
    );
    assert!(
        gpon(&|g| g.ont_by_sn(&sn).is_none()),
        "no half-registered ONT stays"
    );
    assert_eq!(
        olt_state.lock().unwrap().gpon_mut().service_ports.len(),
        sps_before
    );

    // The same ONT registers cleanly now.
    let (status, v) = api_call(
        &server.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/registrations",
        Some(register),
    )
    .await;
    assert_eq!(status, 202, "{v}");
    let path = format!("/api/v1/registrations/{}", v["id"].as_str().unwrap());
    let job = job_until(&server.base, &token, &path, ended).await;
    assert_eq!(job["state"], json!("succeeded"), "{job}");
    assert!(gpon(&|g| g.ont_by_sn(&sn).is_some()));
    drop(fleet);
}

fn ended(job: &Value) -> bool {
    !matches!(job["state"].as_str(), Some("running" | "compensating"))
}

/// The job at `path` of a server in another process, once `done` holds of
/// it (or after a minute: the caller's assertion says what was missing).
async fn job_until(base: &str, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, v) = api_call(base, token, reqwest::Method::GET, path, None).await;
        if done(&v) || std::time::Instant::now() > deadline {
            return v;
        }
        // Another process: nothing to subscribe to, so look again shortly.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One session at a time and a command limit per window: two polls and a
/// live read asked at once queue for the one session, and the emulated OLT
/// never sees more commands in a window than the limit (plus the few each
/// login sends before the budget's session starts).
#[tokio::test(flavor = "multi_thread")]
async fn the_poll_budget_holds_on_the_olt_sessions_and_commands() {
    let window = Duration::from_secs(2);
    let w = world_with(Kind::HuaweiSmartax, |s| s.gpon_budget_window = window).await;
    let stats = || w.fleet.devices[0].state.lock().unwrap().stats();
    let before = stats().commands_total;
    w.poll().await;
    let per_poll = stats().commands_total - before;
    assert!(per_poll >= 8, "a poll runs a sweep: {per_poll} commands");
    let limit = ((per_poll / 2) as u32).max(10);
    let mut values = ispmon_events::gpon::GponSettingsValues {
        max_sessions: 1,
        commands_per_min: limit,
        ..Default::default()
    };
    ispmon::gpon::save_settings(&w.app.state, values.clone(), &w.app.meta())
        .await
        .unwrap();
    let online = w
        .onts(None)
        .await
        .iter()
        .find(|o| o["run_state"] == json!("online"))
        .expect("an online ONT")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The first poll's session may still be closing on the OLT's side: a
    // peak taken from it would count that session beside the next one.
    assert!(
        eventually(Duration::from_secs(5), || async {
            stats().sessions_open == 0
        })
        .await,
        "the first poll's session closes"
    );
    w.fleet.devices[0].state.lock().unwrap().counters.peak_open = 0;
    let (from, opened) = (stats().commands_total, stats().sessions_opened);
    let live = format!("/api/v1/onts/{online}/live");
    let (a, b, (status, v)) =
        tokio::join!(w.poll(), w.poll(), w.api(reqwest::Method::GET, &live, None));
    assert_eq!(status, 200, "{v}");
    assert_eq!(a["poll"]["ok"], json!(true));
    assert_eq!(b["poll"]["ok"], json!(true));
    let after = stats();
    assert_eq!(after.peak_open, 1, "one session at a time on the OLT");
    let sessions = after.sessions_opened - opened;
    assert!(sessions >= 5, "two polls, two autofinds, one live read");
    let sent = (after.commands_total - from) as usize;
    assert!(
        sent > limit as usize * 2,
        "the work needed more than two windows' worth: {sent}"
    );
    let times: Vec<std::time::Instant> = {
        let st = w.fleet.devices[0].state.lock().unwrap();
        let t = &st.counters.command_times;
        t.iter().skip(t.len() - sent).copied().collect()
    };
    // Within any 90% of a window: at most the limit, plus what the logins
    // of the sessions opened in it sent (the slack: 3 lines per session).
    let span = window.mul_f64(0.9);
    let slack = 3 * sessions as usize;
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < span)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        busiest <= limit as usize + slack,
        "{busiest} commands within {span:?} (limit {limit}, slack {slack})"
    );
    assert!(
        times[times.len() - 1] - times[0] >= window,
        "the limit made the work wait for the window"
    );
    // Bad budgets are refused by field and change nothing.
    values.max_sessions = 0;
    let err = ispmon::gpon::save_settings(&w.app.state, values, &w.app.meta())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("max_sessions"), "{err:?}");
}

/// The OLT's service-port and MAC tables are read live and narrowed by
/// port, VLAN, ONT-ID and part of a MAC; a bad filter is named and sends
/// nothing to the OLT.
#[tokio::test(flavor = "multi_thread")]
async fn the_olt_tables_are_read_live_and_filtered() {
    let w = world(Kind::HuaweiSmartax).await;
    w.poll().await;
    let tech = w.app.login_as(Role::Technician).await;
    let (sps, mac) = w.gpon(|g| {
        let sps: Vec<(u32, u16, String)> = g
            .service_ports
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.vlan,
                    format!("{}/{}/{}", s.fsp.0, s.fsp.1, s.fsp.2),
                )
            })
            .collect();
        let mac = g
            .learned()
            .first()
            .map(|(o, m, _)| (m.mac.clone(), o.fsp, o.ont_id))
            .expect("an online ONT has a MAC");
        (sps, mac)
    });
    assert!(sps.len() >= 2, "{sps:?}");
    let base = format!("/gpon/olts/{}/tables", w.olt);
    let (status, page) = tech.get_text(&base).await;
    assert_eq!(status, 200, "{page}");
    let rows = |html: &str, table: &str| {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse(&format!("#{table} tbody tr")).unwrap();
        doc.select(&sel).count()
    };
    assert_eq!(rows(&page, "olt-sp"), sps.len(), "every service port");
    let (vlan, port) = (sps[0].1, sps[0].2.clone());
    let (_, page) = tech
        .get_text(&format!("{base}?vlan={vlan}&port={port}"))
        .await;
    let want = sps.iter().filter(|s| s.1 == vlan && s.2 == port).count();
    assert_eq!(rows(&page, "olt-sp"), want, "{page}");
    // Part of a MAC in another notation finds it, on its ONT.
    let (m, (f, s, p), ont) = mac;
    let dashed = m[..8].replace(':', "-").to_uppercase();
    let (_, page) = tech.get_text(&format!("{base}?mac={dashed}")).await;
    assert!(page.contains(&format!(r#"data-mac="{m}""#)), "{page}");
    let (_, page) = tech
        .get_text(&format!(
            "{base}?mac={dashed}&port={f}/{s}/{p}&ont_id={}",
            ont + 1
        ))
        .await;
    assert!(
        !page.contains(&format!(r#"data-mac="{m}""#)),
        "another ONT's filter hides it"
    );

    let commands = w.fleet.devices[0]
        .state
        .lock()
        .unwrap()
        .stats()
        .commands_total;
    for (q, field) in [
        ("vlan=5000", "vlan"),
        ("port=0/1", "port"),
        ("mac=zz", "mac"),
        ("ont_id=x", "ont_id"),
    ] {
        let (status, page) = tech.get_text(&format!("{base}?{q}")).await;
        assert_eq!(status, 422, "{q}: {page}");
        assert!(field_error(&page, field).is_some(), "{q}: {page}");
    }
    assert_eq!(
        w.fleet.devices[0]
            .state
            .lock()
            .unwrap()
            .stats()
            .commands_total,
        commands,
        "a bad filter asks the OLT nothing"
    );
    let auditor = w.app.login_as(Role::Auditor).await;
    assert_eq!(
        auditor.get(&base).await.status().as_u16(),
        403,
        "a live read is for operators"
    );
}
