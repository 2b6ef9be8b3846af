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
    app: TestApp,
    token: String,
    fleet: Fleet,
    olt: String,
}

async fn world(kind: Kind) -> World {
    let app = spawn_app().await;
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

    fn gpon<T>(&self, f: impl FnOnce(&mut ispmon_sim::gpon::GponOlt) -> T) -> T {
        let mut st = self.fleet.devices[0].state.lock().unwrap();
        f(st.gpon_mut())
    }

    async fn profile(&self, bridge: bool) -> String {
        let (status, v) = self
            .api(
                reqwest::Method::POST,
                "/api/v1/gpon/profiles",
                Some(
                    json!({"name": "ftth", "vlan": 100, "gemport": 1, "line_profile_id": 10,
                    "service_profile_id": 10, "bridge": bridge, "onu_type": ""}),
                ),
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
    let waiting = w.gpon(|g| g.autofind_on(None).first().map(|a| (a.fsp, a.sn.clone())));
    let ((f, s, p), sn) = waiting.expect("the sample OLT has an ONT in autofind");
    let port = format!("{f}/{s}/{p}");
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
    let (_, onts) = w
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/olts/{}/onts", w.olt),
            None,
        )
        .await;
    let listed = onts["onts"].as_array().unwrap();
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
    let w = world(Kind::HuaweiSmartax).await;
    let profile = w.profile(true).await;
    w.poll().await;
    let ((f, s, p), sn) = w
        .gpon(|g| g.autofind_on(None).first().map(|a| (a.fsp, a.sn.clone())))
        .unwrap();
    let port = format!("{f}/{s}/{p}");
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
            .contains("ont confirm"),
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
    let (_, onts) = w
        .api(
            reqwest::Method::GET,
            &format!("/api/v1/olts/{}/onts?port={port}", w.olt),
            None,
        )
        .await;
    let new = onts["onts"]
        .as_array()
        .unwrap()
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
async fn a_failed_step_is_compensated_and_bad_input_changes_nothing() {
    let w = world(Kind::HuaweiSmartax).await;
    let profile = w.profile(false).await;
    w.poll().await;
    let ((f, s, p), sn) = w
        .gpon(|g| g.autofind_on(None).first().map(|a| (a.fsp, a.sn.clone())))
        .unwrap();
    let port = format!("{f}/{s}/{p}");
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

    // The service-port step fails: the ONT it added is removed again.
    w.fleet.devices[0]
        .state
        .lock()
        .unwrap()
        .fail_on("service-port", "Failure: The VLAN does not exist");
    let (status, v) = w
        .api(
            reqwest::Method::POST,
            "/api/v1/registrations",
            Some(json!({"olt_id": w.olt, "port": port, "sn": sn, "name": "petrov", "profile_id": profile})),
        )
        .await;
    assert_eq!(status, 202, "{v}");
    let job = w.wait_job(v["id"].as_str().unwrap()).await;
    w.fleet.devices[0].state.lock().unwrap().clear_faults();
    assert_eq!(job["state"], json!("failed"), "{job}");
    assert_eq!(job["steps"][2]["status"], json!("failed"), "{job}");
    assert!(
        job["failure"]
            .as_str()
            .unwrap()
            .contains("Failure: The VLAN does not exist"),
        "the OLT's own words: {job}"
    );
    assert!(
        job["compensation"].as_str().unwrap().contains("ont delete"),
        "{job}"
    );
    assert!(
        w.gpon(|g| g.ont_by_sn(&sn).is_none()),
        "no half-registered ONT stays on the OLT"
    );
    assert_eq!(w.gpon(|g| g.service_ports.len()), sps_before);
}
