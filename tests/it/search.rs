//! Search Port against the emulated population (switches of every vendor
//! behind aggregations and a core, subscribers behind access ports, a
//! NAS): the MAC tables collected through the CLI sessions, the edge port
//! found first, uplinks seen through, a move written as one event, a steady
//! recollection as none, a switch down changing nothing, the API.

use ispmon_events::values::Role;
use ispmon_scheduler::fdb::job::JOB_NAME;
use ispmon_scheduler::Scope;
use ispmon_sim::{Fault, Fleet, LivePopulation, Population, Subscriber};
use serde_json::Value;

use super::icmp::select_text;
use crate::common::*;

struct World {
    app: TestApp,
    _fleet: Fleet,
    live: LivePopulation,
}

async fn world() -> World {
    let app = spawn_app().await;
    let (fleet, live) = LivePopulation::start(ispmon::demo::demo_population())
        .await
        .unwrap();
    ispmon::demo::seed_population(&app.state.core, live.population(), &fleet)
        .await
        .unwrap();
    World {
        app,
        _fleet: fleet,
        live,
    }
}

impl World {
    /// Pulls every config (the trunks come from them), then collects every
    /// switch; the job's summary.
    async fn collect_all(&self) -> String {
        let s = &self.app.state.scheduler;
        s.run(
            ispmon_scheduler::config_pull::job::JOB_NAME,
            Scope::All,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        self.recollect().await
    }

    async fn recollect(&self) -> String {
        self.app
            .state
            .scheduler
            .run(JOB_NAME, Scope::All, None)
            .await
            .unwrap()
            .unwrap()
    }

    async fn poll_nas(&self) -> String {
        self.app
            .state
            .scheduler
            .run(ispmon_scheduler::nas::job::JOB_NAME, Scope::All, None)
            .await
            .unwrap()
            .unwrap()
    }

    fn events_of(&self, kind: &str) -> u64 {
        let conn = rusqlite::Connection::open(self.app.events_path()).unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = ?1",
            [kind],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn population(&self) -> &Population {
        self.live.population()
    }

    /// A subscriber alone on its port, in the tables.
    fn lone(&self, skip: usize) -> Subscriber {
        self.population()
            .subscribers
            .iter()
            .filter(|s| s.in_fdb && s.devices.is_empty())
            .nth(skip)
            .cloned()
            .expect("the population has lone subscribers")
    }

    fn mac_events(&self) -> u64 {
        self.events_of("Mac")
    }

    /// The Mac events after the first `skip`: (MAC, payload).
    fn mac_events_after(&self, skip: u64) -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(self.app.events_path()).unwrap();
        let mut q = conn
            .prepare(
                "SELECT aggregate_id, payload FROM events WHERE aggregate_type = 'Mac'
                 ORDER BY seq LIMIT -1 OFFSET ?1",
            )
            .unwrap();
        q.query_map([skip as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

/// The MAC in Cisco's dotted notation, as a technician might paste it.
fn dotted(mac: &str) -> String {
    let hex: String = mac.chars().filter(|c| *c != ':').collect();
    format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribers_mac_is_found_at_its_access_port_first_and_a_move_is_one_event() {
    let w = world().await;
    let summary = w.collect_all().await;
    assert!(summary.contains("0 failed"), "{summary}");
    let sub = w.lone(0);
    let access = &w.population().access_switches()[sub.access];
    let port = w.population().port_name(&sub).to_string();

    let tech = w.app.login_as(Role::Technician).await;
    let (status, page) = tech
        .get_text(&format!("/search?q={}", dotted(&sub.mac).to_uppercase()))
        .await;
    assert_eq!(status, 200);
    let edge = select_text(&page, "#edge dd");
    assert!(edge[0].starts_with(&access.name), "{edge:?}");
    assert_eq!(edge[1], port, "{edge:?}");
    assert_eq!(edge[4], "the only MAC", "{edge:?}");
    let also = select_text(&page, "#also-seen li").join("\n");
    assert!(
        also.contains("agg-") && also.contains(" in config)"),
        "seen through the aggregation's downlink, a trunk in its config: {also}"
    );
    assert!(also.contains("(uplink: "), "{also}");

    // Re-check live: the switch is asked now.
    let device = {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse(r#"input[name="device"]"#).unwrap();
        doc.select(&sel)
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_string()
    };
    let recheck = |mac: String, device: String| {
        let tech = &tech;
        async move {
            let r = tech
                .post_htmx("/search/recheck", &[("mac", &mac), ("device", &device)])
                .await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, said) = recheck(sub.mac.clone(), device.clone()).await;
    assert_eq!(status, 200);
    assert!(
        said.contains("lists it now on") && said.contains(&port),
        "{said}"
    );
    let (status, said) = recheck("aa:bb:cc".into(), device.clone()).await;
    assert_eq!(status, 400, "{said}");

    // A steady recollection writes nothing.
    let before = w.mac_events();
    assert!(before > 0);
    w.recollect().await;
    assert_eq!(w.mac_events(), before, "nothing moved: no events");

    // One subscriber moves to a free port of another access switch.
    let mut w = w;
    let to = (sub.access + 1) % w.population().access_switches().len();
    let taken: Vec<u16> = w
        .population()
        .subscribers
        .iter()
        .filter(|s| s.access == to)
        .map(|s| s.port)
        .collect();
    let free = (1..=20u16).find(|p| !taken.contains(p)).unwrap();
    w.live.move_subscriber(&sub.login, to, free).unwrap();
    w.recollect().await;
    assert_eq!(
        w.mac_events(),
        before + 1,
        "one move ({} to access {to} port {free}), one event; written: {:?}",
        sub.mac,
        w.mac_events_after(before)
    );
    let moved = w.population().subscriber(&sub.login).unwrap().clone();
    let (_, page) = tech.get_text(&format!("/search?q={}", sub.mac)).await;
    let edge = select_text(&page, "#edge dd");
    assert!(
        edge[0].starts_with(&w.population().access_switches()[to].name),
        "{edge:?}"
    );
    assert_eq!(edge[1], w.population().port_name(&moved));
    let history = select_text(&page, "#mac-history tr");
    assert_eq!(history.len(), 2, "{history:?}");
    let (_, said) = recheck(sub.mac.clone(), device).await;
    assert!(
        said.contains("does not list this MAC"),
        "the old switch: {said}"
    );

    // The API says the same, edge first.
    let r = tech
        .get(&format!("/api/v1/macs/{}", dotted(&sub.mac)))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["mac"], sub.mac.as_str());
    assert_eq!(body["locations"][0]["edge"], true);
    assert_eq!(
        body["locations"][0]["port"],
        w.population().port_name(&moved)
    );
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
    let trunk = body["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["uplink"]["reason"] == "trunk")
        .unwrap_or_else(|| panic!("seen through a trunk: {body}"));
    assert!(
        ["trunk", "hybrid"].contains(&trunk["uplink"]["detail"].as_str().unwrap()),
        "the mode the config gives: {trunk}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_that_fails_changes_nothing_and_the_others_are_still_found() {
    let w = world().await;
    w.collect_all().await;
    let a = w.lone(0);
    let b = w
        .population()
        .subscribers
        .iter()
        .find(|s| s.in_fdb && s.devices.is_empty() && s.access != a.access)
        .cloned()
        .unwrap();
    let before = w.mac_events();
    let down = &w.population().access_switches()[a.access].name;
    w.live.state(down).unwrap().lock().unwrap().fault = Fault::Garbage;
    let summary = w.recollect().await;
    assert!(summary.contains("1 failed"), "{summary}");
    assert_eq!(w.mac_events(), before, "a failed collection moves nothing");
    let tech = w.app.login_as(Role::Noc).await;
    for s in [&a, &b] {
        let (_, page) = tech.get_text(&format!("/search?q={}", s.mac)).await;
        let edge = select_text(&page, "#edge dd");
        assert_eq!(
            edge.get(1).map(String::as_str),
            Some(w.population().port_name(s)),
            "{}: {edge:?}",
            s.login
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_answers_bad_macs_ips_and_names_and_the_api_validates() {
    let w = world().await;
    w.collect_all().await;
    let tech = w.app.login_as(Role::Technician).await;
    let (status, page) = tech.get_text("/search?q=aa:bb:cc:dd:ee:f").await;
    assert_eq!(status, 200);
    assert!(
        select_text(&page, "#search-results .error-box")
            .join("")
            .contains("is not a MAC address"),
        "{page}"
    );
    let (_, page) = tech.get_text("/search?q=agg-").await;
    let devices = select_text(&page, "#search-devices tr td:first-child");
    assert!(
        devices.iter().filter(|d| d.starts_with("agg-")).count() >= 2,
        "{devices:?}"
    );
    let (_, page) = tech.get_text("/search?q=nothing-like-this").await;
    assert!(page.contains("Nothing found."));

    let r = tech.get("/api/v1/macs/not-a-mac").await;
    assert_eq!(r.status().as_u16(), 400);
    let r = tech
        .get("/api/v1/locate?mac=aabbccddeeff&at=yesterday")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let sub = w.lone(1);
    let now = chrono::Utc::now().to_rfc3339();
    let r = tech
        .get(&format!(
            "/api/v1/locate?mac={}&at={}",
            sub.mac,
            urlencoding::encode(&now)
        ))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["location"]["port"], w.population().port_name(&sub));
    let r = tech
        .get(&format!(
            "/api/v1/locate?mac={}&at=2000-01-01T00:00:00Z",
            sub.mac
        ))
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(body["location"].is_null(), "not seen in 2000: {body}");
    let r = tech.get("/api/v1/search?q=").await;
    assert_eq!(r.status().as_u16(), 400);
    let r = tech.get(&format!("/api/v1/search?q={}", sub.mac)).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["kind"], "mac");
    assert_eq!(
        body["results"][0]["location"]["port"],
        w.population().port_name(&sub)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admins_port_mark_beats_the_rules_and_bad_marks_change_nothing() {
    let w = world().await;
    w.collect_all().await;
    let admin = w.app.login_as(Role::Admin).await;
    let token = admin.api_token("marks").await;
    let sub = w.lone(0);
    let access = w.population().access_switches()[sub.access].name.clone();
    let id_of = |name: String| {
        let views = w.app.state.core.views.clone();
        async move {
            views
                .read(move |c| ispmon_projections::devices::by_name(c, &name))
                .await
                .unwrap()
                .unwrap()
                .device_id
        }
    };
    let id = id_of(access).await;
    let nas = id_of(w.population().nas_devices()[0].name.clone()).await;
    let port = w.population().port_name(&sub).to_string();
    let http = client();
    let put = |device: &str, port: &str, body: &'static str| {
        http.put(format!(
            "{}/api/v1/devices/{device}/ports/{}",
            w.app.base,
            urlencoding::encode(port)
        ))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
    };
    let edge_port = || async {
        let body: Value = http
            .get(format!("{}/api/v1/macs/{}", w.app.base, sub.mac))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["edge"] == true)
            .map(|l| l["port"].as_str().unwrap().to_string())
    };
    assert_eq!(edge_port().await.as_deref(), Some(port.as_str()));

    let before = w.app.event_count();
    for (device, body, why) in [
        (id.as_str(), r#"{"role":"sideways"}"#, "an unknown role"),
        (id.as_str(), r#"{"role":""}"#, "no role"),
        (
            nas.as_str(),
            r#"{"role":"uplink"}"#,
            "a NAS is not a switch",
        ),
    ] {
        let r = put(device, &port, body).await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{why}");
    }
    let r = put("no-such-device", &port, r#"{"role":"uplink"}"#)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(w.app.event_count(), before, "bad marks change nothing");

    // Marked an uplink, the subscriber's own port is no edge any more.
    let r = put(&id, &port, r#"{"role":"uplink"}"#).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    w.recollect().await;
    assert_eq!(edge_port().await, None);
    // The device page lists the port with the admin's mark and why.
    let (_, page) = admin.get_text(&format!("/devices/{id}")).await;
    let row = select_text(&page, "#fdb-ports tbody tr")
        .into_iter()
        .find(|r| r.starts_with(&port))
        .unwrap_or_default();
    assert!(
        row.contains("marked uplink by an admin") && row.ends_with("uplink"),
        "{row}"
    );
    assert!(select_text(&page, "table.collections td")
        .iter()
        .any(|c| c == "ok"));
    // Back to auto: the rules decide again, and it is the edge.
    let r = put(&id, &port, r#"{"role":"auto"}"#).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    w.recollect().await;
    assert_eq!(edge_port().await.as_deref(), Some(port.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_of_any_length_leads_to_its_port_and_who_had_an_ip_is_one_query() {
    let mut w = world().await;
    let long = ispmon_sim::population::LONG_LOGIN;
    if !w.population().subscriber(long).unwrap().online {
        // Dialling in puts its MAC back in the tables too.
        w.live.start_session(long).unwrap();
    }
    w.collect_all().await;
    let summary = w.poll_nas().await;
    assert!(summary.contains("0 failed"), "{summary}");
    let logins = w.events_of("Login");
    assert!(logins > 0);
    w.poll_nas().await;
    assert_eq!(w.events_of("Login"), logins, "a steady poll writes nothing");

    let sub = w.population().subscriber(long).cloned().unwrap();
    assert!(sub.online && sub.in_fdb, "the population keeps it online");
    let tech = w.app.login_as(Role::Technician).await;
    let (status, page) = tech
        .get_text(&format!("/search?q={}", urlencoding::encode(long)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&page, "h2.login"), [long], "all 45 characters");
    let edge = select_text(&page, "#edge dd");
    assert_eq!(
        edge.get(1).map(String::as_str),
        Some(w.population().port_name(&sub)),
        "{edge:?}"
    );
    assert!(select_text(&page, "dd.online")
        .join("")
        .contains("online since"));

    // "Who had IP X at time T", and "where was login L at T".
    let now = urlencoding::encode(&chrono::Utc::now().to_rfc3339()).into_owned();
    let r = tech
        .get(&format!("/api/v1/sessions?ip={}&at={now}", sub.ip))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["sessions"][0]["login"], long, "{body}");
    assert_eq!(body["sessions"][0]["mac"], sub.mac.as_str());
    let r = tech
        .get(&format!(
            "/api/v1/locate?login={}&at={now}",
            urlencoding::encode(long)
        ))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["location"]["port"],
        w.population().port_name(&sub),
        "{body}"
    );
    let r = tech
        .get(&format!("/api/v1/sessions?ip=not-an-ip&at={now}"))
        .await;
    assert_eq!(r.status().as_u16(), 400);

    // The same on the page, at a time.
    // A second on, as the field has whole seconds (the MAC was located a
    // fraction of this second ago).
    let at = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let (_, page) = tech
        .get_text(&format!("/search?q={}&at={at}", urlencoding::encode(long)))
        .await;
    assert_eq!(
        select_text(&page, "#located strong.port"),
        [w.population().port_name(&sub)],
        "{page}"
    );
    let (_, page) = tech
        .get_text(&format!("/search?q={}&at={at}", sub.ip))
        .await;
    assert_eq!(select_text(&page, "#located strong.login"), [long]);
    let (_, page) = tech.get_text(&format!("/search?q={long}&at=soon")).await;
    assert!(select_text(&page, "#search-results-wrap .error-box")
        .join("")
        .contains("is not a time"));

    // The subscriber hangs up: offline, last seen, and the IP is nobody's.
    w.live.drop_session(long).unwrap();
    w.poll_nas().await;
    let (_, page) = tech
        .get_text(&format!("/search?q={}", urlencoding::encode(long)))
        .await;
    assert!(
        select_text(&page, "dd.online").join("").contains("offline"),
        "{page}"
    );
    let later =
        urlencoding::encode(&(chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339())
            .into_owned();
    let r = tech
        .get(&format!("/api/v1/sessions?ip={}&at={later}", sub.ip))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["sessions"].as_array().unwrap().len(), 0, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_nas_down_leaves_the_search_working() {
    let w = world().await;
    w.collect_all().await;
    w.poll_nas().await;
    let nas = w.population().nas_devices()[0].name.clone();
    w.live.state(&nas).unwrap().lock().unwrap().fault = Fault::Garbage;
    let r = w
        .app
        .state
        .scheduler
        .run(ispmon_scheduler::nas::job::JOB_NAME, Scope::All, None)
        .await
        .unwrap();
    assert!(r.is_err(), "the only NAS failed: {r:?}");
    let sub = w
        .population()
        .subscribers
        .iter()
        .find(|s| s.online && s.in_fdb)
        .cloned()
        .unwrap();
    let tech = w.app.login_as(Role::Technician).await;
    let (_, page) = tech
        .get_text(&format!("/search?q={}", urlencoding::encode(&sub.login)))
        .await;
    let edge = select_text(&page, "#edge dd");
    assert_eq!(
        edge.get(1).map(String::as_str),
        Some(w.population().port_name(&sub)),
        "searched from the sessions last seen: {edge:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_without_trunks_in_its_config_knows_its_uplink_by_the_devices_seen_there() {
    let w = world().await;
    w.collect_all().await;
    let p = w.population();
    let sw = p
        .access_switches()
        .iter()
        .find(|a| !a.trunks_marked)
        .cloned()
        .expect("the population has one access switch with unmarked trunks");
    let names: Vec<String> = p
        .devices
        .iter()
        .filter(|d| d.name != sw.name)
        .map(|d| d.name.clone())
        .collect();
    let name = sw.name.clone();
    let d = w
        .app
        .state
        .core
        .views
        .read(move |c| ispmon_projections::devices::by_name(c, &name))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.mgmt_mac.as_deref(), Some(sw.mgmt_mac.as_str()));

    // The device page: each uplink with the neighbour seen through it.
    let admin = w.app.login_as(Role::Admin).await;
    let (_, page) = admin.get_text(&format!("/devices/{}", d.device_id)).await;
    assert_eq!(
        select_text(&page, "dd.mgmt-mac"),
        [sw.mgmt_mac.as_str()],
        "the page shows the switch's own MAC"
    );
    let rows = select_text(&page, "#fdb-ports tbody tr");
    for up in &sw.uplinks {
        let row = rows
            .iter()
            .find(|r| r.starts_with(up.as_str()))
            .unwrap_or_else(|| panic!("{up} listed: {rows:?}"));
        assert!(
            names
                .iter()
                .any(|n| row.contains(&format!("{n} seen here"))),
            "{up} is an uplink because a known device is seen there: {row}"
        );
    }

    // The NAS's MAC, seen on that uplink, is not placed at it.
    let nas_mac = &p.nas_devices()[0].mgmt_mac;
    let body: Value = admin
        .get(&format!("/api/v1/macs/{nas_mac}"))
        .await
        .json()
        .await
        .unwrap();
    let here = body["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["device_id"] == d.device_id.as_str() && l["port"] == sw.uplinks[0].as_str())
        .cloned()
        .unwrap_or_else(|| panic!("seen on {}'s uplink: {body}", sw.name));
    assert_eq!(here["edge"], false, "{here}");
    assert_eq!(here["uplink"]["reason"], "known_device", "{here}");
    let seen = here["uplink"]["detail"].as_str().unwrap();
    assert!(names.iter().any(|n| n == seen), "{here}");
    // The Russian page says the same with the same name.
    let r = admin
        .post_form("/account/locale", &[("locale", "ru")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = admin.get_text(&format!("/devices/{}", d.device_id)).await;
    let rows = select_text(&page, "#fdb-ports tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains(&format!("{seen} виден здесь"))),
        "{rows:?}"
    );
}

/// The Search Port settings form's fields with every value in range.
const GOOD_SETTINGS: [(&str, &str); 5] = [
    ("fdb_interval_min", "10"),
    ("miss_limit", "3"),
    ("uplink_threshold", "20"),
    ("nas_interval_s", "30"),
    ("sightings_keep_days", "14"),
];

#[tokio::test]
async fn search_port_settings_are_validated_per_field_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let (status, page) = admin.get_text("/admin/search/settings").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"name="fdb_interval_min" value="15""#),
        "defaults shown: {page}"
    );
    let (_, home) = admin.get_text("/").await;
    assert!(
        home.contains(r#"href="/admin/search/settings""#),
        "in the admin's menu"
    );
    let noc = app.login_as(Role::Noc).await;
    assert_eq!(
        noc.get("/admin/search/settings").await.status().as_u16(),
        403
    );

    let before = app.event_count();
    let mut bad = GOOD_SETTINGS.to_vec();
    bad[0].1 = "0";
    bad[4].1 = "a month";
    let r = admin.post_form("/admin/search/settings", &bad).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        field_error(&html, "sightings_keep_days").as_deref(),
        Some("enter a whole number")
    );
    let mut range = GOOD_SETTINGS.to_vec();
    range[3].1 = "5";
    let r = admin.post_form("/admin/search/settings", &range).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        field_error(&html, "nas_interval_s").as_deref(),
        Some("must be a whole number from 15 to 3600 s")
    );
    assert_eq!(field_error(&html, "fdb_interval_min"), None);
    assert!(
        html.contains(r#"value="5""#),
        "what was typed is shown again"
    );
    let r = noc
        .post_form("/admin/search/settings", &GOOD_SETTINGS)
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.event_count(), before, "refused input changed nothing");

    let r = admin
        .post_form("/admin/search/settings", &GOOD_SETTINGS)
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("Saved."));
    assert_eq!(app.event_count(), before + 1, "one FdbSettingsChanged");
    let r = admin
        .post_form("/admin/search/settings", &GOOD_SETTINGS)
        .await;
    assert!(r.text().await.unwrap().contains("Nothing changed."));
    assert_eq!(app.event_count(), before + 1);
    let (_, page) = admin.get_text("/admin/search/settings").await;
    assert!(page.contains(r#"name="uplink_threshold" value="20""#));
    assert!(page.contains("Last changed"), "{page}");
    let (_, audit) = admin.get_text("/audit/entity/FdbSettings/fdb").await;
    assert!(audit.contains("FdbSettingsChanged"), "audited: {audit}");

    // The poller and the collector read what is in force now.
    let nas = app.state.nas.settings().await.unwrap();
    assert_eq!((nas.nas_interval_s, nas.sightings_keep_days), (30, 14));
    let fdb = app.state.fdb.settings().await.unwrap();
    assert_eq!((fdb.fdb_interval_min, fdb.uplink_threshold), (10, 20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raised_uplink_threshold_makes_a_busy_access_port_an_edge_at_the_next_collection() {
    let w = world().await;
    w.collect_all().await;
    let p = w.population();
    let tables = p.mac_tables();
    let macs_on = |s: &Subscriber| {
        let t = &tables[p.access_device_index(s.access)];
        t.iter()
            .filter(|r| r.port == p.port_name(s))
            .map(|r| r.mac.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let busy = p
        .subscribers
        .iter()
        .find(|s| s.in_fdb && (9..=20).contains(&macs_on(s)))
        .cloned()
        .expect("a basement switch behind one access port");
    let n = macs_on(&busy);
    let admin = w.app.login_as(Role::Admin).await;
    let edge_port = || async {
        let body: Value = admin
            .get(&format!("/api/v1/macs/{}", busy.mac))
            .await
            .json()
            .await
            .unwrap();
        body["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["edge"] == true)
            .map(|l| l["port"].as_str().unwrap().to_string())
    };
    assert_eq!(edge_port().await, None, "more than 8 MACs: an uplink");
    let r = admin
        .post_form("/admin/search/settings", &GOOD_SETTINGS)
        .await;
    assert_eq!(r.status().as_u16(), 200);
    w.recollect().await;
    assert_eq!(
        edge_port().await.as_deref(),
        Some(w.population().port_name(&busy)),
        "{n} MACs are under the new threshold of 20"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sightings_past_their_retention_are_pruned_and_the_macs_stay_where_they_were() {
    let w = world().await;
    w.collect_all().await;
    let sub = w.lone(0);
    let other = w
        .population()
        .subscribers
        .iter()
        .find(|s| s.in_fdb && s.devices.is_empty() && s.access != sub.access)
        .cloned()
        .unwrap();
    let access = w.population().access_switches()[sub.access].name.clone();
    let id = w
        .app
        .state
        .core
        .views
        .read(move |c| ispmon_projections::devices::by_name(c, &access))
        .await
        .unwrap()
        .unwrap()
        .device_id;
    // The access switch was last read 31 days ago (the default keeps 30).
    let telemetry = rusqlite::Connection::open(w.app.data.path().join("telemetry.db")).unwrap();
    let month_ago = chrono::Utc::now().timestamp_millis() - 31 * 24 * 3600 * 1000;
    let aged = telemetry
        .execute(
            "UPDATE fdb_sightings SET last_seen = ?1 WHERE device_id = ?2",
            rusqlite::params![month_ago, id],
        )
        .unwrap();
    assert!(aged > 0);
    let events = w.app.event_count();

    let said = w
        .app
        .state
        .scheduler
        .run(ispmon_scheduler::fdb::prune::JOB_NAME, Scope::Due, None)
        .await
        .unwrap()
        .unwrap();
    assert!(said.starts_with(&format!("{aged} sightings")), "{said}");
    assert_eq!(w.app.event_count(), events, "the prune writes no events");

    let tech = w.app.login_as(Role::Technician).await;
    let locations = |mac: String| {
        let tech = &tech;
        async move {
            let body: Value = tech
                .get(&format!("/api/v1/macs/{mac}"))
                .await
                .json()
                .await
                .unwrap();
            body["locations"].as_array().unwrap().clone()
        }
    };
    let found = locations(sub.mac.clone()).await;
    assert_eq!(found[0]["edge"], true, "still where it was: {found:?}");
    assert_eq!(found[0]["port"], w.population().port_name(&sub));
    assert!(
        !found[1..].iter().any(|l| l["device_id"] == id.as_str()),
        "its pruned sighting is gone: {found:?}"
    );
    assert!(found.len() > 1, "the uplinks' sightings stay: {found:?}");
    let fresh = locations(other.mac.clone()).await;
    assert!(
        fresh.len() > 1 && fresh[0]["edge"] == true,
        "another switch's fresh sightings stay: {fresh:?}"
    );
    let (_, page) = tech.get_text(&format!("/devices/{id}")).await;
    assert!(
        select_text(&page, "#fdb-ports").is_empty(),
        "no port statuses left for the switch"
    );
}
