//! Devices and CSV import through the pages and the API: CRUD, validation
//! (bad input changes nothing), SSH keys; passwords never show up in
//! events, pages or API output.

use ispmon_events::values::Role;
use serde_json::{json, Value};

use crate::common::*;

const SECRET: &str = "Sw1tch-Secret-42";

fn device_fields<'a>(
    name: &'a str,
    dialect: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("address", "127.0.0.1"),
        ("transport", "telnet"),
        ("port", "2323"),
        ("dialect", dialect),
        ("roles", "switch"),
        ("roles", "router"),
        ("login", "admin"),
        ("password", password),
        ("enable_password", "En4ble-Secret"),
        ("tags", "core, north"),
    ]
}

/// Every place a secret must never appear: the event log (payload and
/// metadata) and the read models.
async fn assert_secret_nowhere(app: &TestApp, secret: &str) {
    let conn = rusqlite::Connection::open(app.events_path()).unwrap();
    let hits: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE instr(payload, ?1) > 0 OR instr(metadata, ?1) > 0",
            [secret],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 0, "{secret} is in the event log");
    let views = rusqlite::Connection::open(app.data.path().join("views.db")).unwrap();
    let dump: Vec<String> = views
        .prepare("SELECT * FROM devices")
        .unwrap()
        .query_map([], |r| {
            let mut s = String::new();
            for i in 0..r.as_ref().column_count() {
                if let Ok(v) = r.get::<_, String>(i) {
                    s.push_str(&v);
                }
            }
            Ok(s)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !dump.iter().any(|row| row.contains(secret)),
        "{secret} is in the read model"
    );
}

#[tokio::test]
async fn an_admin_adds_edits_and_retires_a_device_and_its_password_stays_secret() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin
        .post_form("/devices", &device_fields("sw-core-1", "cisco-ios", SECRET))
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = location.trim_start_matches("/devices/").to_string();
    let (status, page) = admin.get_text(&location).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("sw-core-1") && page.contains("Cisco IOS") && page.contains("127.0.0.1:2323")
    );
    assert!(
        page.contains("switch, router") || page.contains("router, switch"),
        "roles shown"
    );
    assert!(!page.contains(SECRET) && !page.contains("En4ble-Secret"));
    let (_, list) = admin.get_text("/devices?q=core").await;
    assert!(list.contains("sw-core-1"));
    let (_, list) = admin.get_text("/devices?q=nothing-like-it").await;
    assert!(!list.contains("sw-core-1") && list.contains("No devices"));

    // Edit with a blank password keeps it; a new one rotates it (an event
    // without the secret).
    let mut fields = device_fields("sw-core-1b", "huawei-vrp", "");
    fields.retain(|(k, _)| *k != "enable_password");
    let r = admin.post_form(&location, &fields).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let rotated = "Rotated-Secret-77";
    let mut fields = device_fields("sw-core-1b", "huawei-vrp", rotated);
    fields.retain(|(k, _)| *k != "enable_password");
    let r = admin.post_form(&location, &fields).await;
    assert_eq!(r.status().as_u16(), 303);
    let d = app
        .state
        .core
        .views
        .read({
            let id = id.clone();
            move |c| ispmon_projections::devices::get(c, &id)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.name.as_str(), d.dialect.as_str()),
        ("sw-core-1b", "huawei-vrp")
    );
    let stored = app
        .state
        .core
        .secrets
        .get(&ispmon_events::secrets::SecretRef(d.password_ref.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, rotated.as_bytes(), "the rotated password is sealed");
    // The old name is free again, the new one is taken.
    let r = admin
        .post_form(
            "/devices",
            &device_fields("SW-CORE-1B", "cisco-ios", "x-pass"),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "name");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("a device with this name exists")),
        "next to the name: {shown:?}"
    );
    let r = admin
        .post_form(
            "/devices",
            &device_fields("sw-core-1", "cisco-ios", "x-pass"),
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    let r = admin.post_form(&format!("{location}/retire"), &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = admin.get_text(&location).await;
    let doc = scraper::Html::parse_document(&page);
    let badge = scraper::Selector::parse("h1 .badge").unwrap();
    let badges: Vec<String> = doc.select(&badge).map(|b| b.text().collect()).collect();
    assert_eq!(
        badges,
        vec!["retired".to_string()],
        "the title says retired"
    );
    let r = admin
        .post_form(&location, &device_fields("sw-core-1b", "cisco-ios", ""))
        .await;
    assert_eq!(
        r.status().as_u16(),
        422,
        "a retired device cannot be edited"
    );

    for secret in [SECRET, "En4ble-Secret", rotated, "x-pass"] {
        assert_secret_nowhere(&app, secret).await;
    }
    let (_, audit) = admin.get_text(&format!("/audit/entity/Device/{id}")).await;
    assert!(audit.contains("DevicePasswordRotated") && !audit.contains(rotated));
}

#[tokio::test]
async fn bad_device_input_gets_clear_errors_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let before = app.event_count();
    // The form, the field whose message is expected, the message.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            device_fields("sw", "junos", SECRET),
            "dialect",
            "unknown dialect",
        ),
        (
            {
                let mut f = device_fields("sw", "cisco-ios", SECRET);
                f[1] = ("address", "127.0.0.300");
                f
            },
            "address",
            "neither an IP address nor a host name",
        ),
        (
            device_fields("sw", "cisco-ios", ""),
            "password",
            "a password is required",
        ),
        (
            {
                let mut f = device_fields("sw", "cisco-ios", SECRET);
                f[3] = ("port", "99999");
                f
            },
            "port",
            "the port must be a number",
        ),
        (
            {
                let mut f = device_fields("sw", "cisco-ios", SECRET);
                f.push(("pull_schedule", "every night"));
                f
            },
            "pull_schedule",
            "not a cron expression",
        ),
        (
            {
                let mut f = device_fields("sw", "cisco-ios", SECRET);
                f.retain(|(k, _)| *k != "login");
                f
            },
            "login",
            "a login of 1 to 64 characters is required",
        ),
    ];
    for (fields, field, message) in cases {
        let r = admin.post_htmx("/devices", &fields).await;
        assert_eq!(r.status().as_u16(), 422);
        let body = r.text().await.unwrap();
        let shown = field_error(&body, field);
        assert!(
            shown.as_deref().is_some_and(|m| m.contains(message)),
            "expected “{message}” next to the {field} field, found {shown:?}"
        );
        assert!(!body.contains(SECRET), "the password is not echoed back");
    }
    assert_eq!(app.event_count(), before, "nothing changed");
    let (_, list) = admin.get_text("/devices").await;
    assert!(list.contains("No devices yet"));
}

#[tokio::test]
async fn the_devices_api_creates_patches_lists_and_retires_without_echoing_passwords() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let send = |method: reqwest::Method, path: &str, body: Value| {
        admin
            .client
            .request(method, format!("{}{path}", admin.base))
            .header("x-csrf-token", &admin.csrf)
            .json(&body)
            .send()
    };
    let body = json!({
        "name": "olt-1", "address": "127.0.0.1", "port": 2300, "transport": "telnet",
        "dialect": "huawei-smartax", "roles": ["olt"], "login": "root", "password": SECRET,
    });
    let r = send(reqwest::Method::POST, "/api/v1/devices", body.clone())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let text = r.text().await.unwrap();
    assert!(!text.contains(SECRET));
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["roles"], json!(["olt"]));
    assert_eq!(created["has_enable_password"], json!(false));

    let before = app.event_count();
    for (bad, msg) in [
        (json!({"dialect": "junos"}), "unknown dialect"),
        (json!({"address": ""}), "an address is required"),
        (json!({"colour": "red"}), "unknown field"),
    ] {
        let r = send(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            bad,
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let t = r.text().await.unwrap();
        assert!(t.contains(msg), "{msg} in {t}");
    }
    let r = send(reqwest::Method::POST, "/api/v1/devices", body.clone())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422, "duplicate name");
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("password");
    missing["name"] = json!("olt-2");
    let r = send(reqwest::Method::POST, "/api/v1/devices", missing)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422, "missing credentials");
    assert_eq!(app.event_count(), before, "bad input changed nothing");

    let r = send(
        reqwest::Method::PATCH,
        &format!("/api/v1/devices/{id}"),
        json!({"name": "olt-north", "enable_password": "Another-Secret-9"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["name"], json!("olt-north"));
    assert_eq!(
        patched["dialect"],
        json!("huawei-smartax"),
        "unchanged fields kept"
    );
    assert_eq!(patched["has_enable_password"], json!(true));

    let (status, list) = admin.get_text("/api/v1/devices").await;
    assert_eq!(status, 200);
    assert!(
        list.contains("olt-north") && !list.contains(SECRET) && !list.contains("Another-Secret-9")
    );
    let (status, versions) = admin
        .get_text(&format!("/api/v1/devices/{id}/configs"))
        .await;
    assert_eq!((status, versions.as_str()), (200, r#"{"versions":[]}"#));
    let (status, _) = admin
        .get_text(&format!("/api/v1/devices/{id}/configs/1"))
        .await;
    assert_eq!(status, 404);

    let r = send(
        reqwest::Method::DELETE,
        &format!("/api/v1/devices/{id}"),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, list) = admin.get_text("/api/v1/devices").await;
    assert!(
        !list.contains("olt-north"),
        "retired devices leave the list"
    );
    assert_secret_nowhere(&app, SECRET).await;
    assert_secret_nowhere(&app, "Another-Secret-9").await;
}

#[tokio::test]
async fn a_device_csv_is_checked_row_by_row_and_applied_only_when_all_rows_are_good() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let bad = "name,address,transport,port,dialect,login,password,tags\n\
               sw-a,127.0.0.1,telnet,2301,dlink-des,admin,pw-a-secret,access\n\
               sw-b,127.0.0.1,ssh,2302,junos,admin,pw-b,access\n";
    let before = app.event_count();
    let r = admin
        .post_form("/devices/import", &[("csv", bad), ("mode", "apply")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("nothing was applied"), "{body}");
    let doc = scraper::Html::parse_document(&body);
    let row = |line: &str| -> String {
        let sel = scraper::Selector::parse(&format!(r#"tr[data-line="{line}"]"#)).unwrap();
        doc.select(&sel)
            .map(|r| r.text().collect::<String>())
            .collect()
    };
    assert!(row("3").contains("unknown dialect"), "line 3: {}", row("3"));
    assert!(
        !row("2").contains("unknown dialect"),
        "line 2: {}",
        row("2")
    );
    assert_eq!(app.event_count(), before);
    let good = bad.replace("junos", "zyxel");
    let r = admin
        .post_form("/devices/import", &[("csv", &good), ("mode", "preview")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(app.event_count(), before, "a preview changes nothing");
    let r = admin
        .post_form("/devices/import", &[("csv", &good), ("mode", "apply")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("2 devices added"));
    let (_, list) = admin.get_text("/devices?q=access").await;
    assert!(list.contains("sw-a") && list.contains("sw-b"));
    assert_secret_nowhere(&app, "pw-a-secret").await;
}

#[tokio::test]
async fn an_ssh_key_can_replace_the_password_and_never_shows() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ispmon-test", "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen (openssh-client) runs");
    assert!(out.status.success());
    let key = std::fs::read_to_string(&path).unwrap();
    let body: String = key.lines().nth(2).unwrap().to_string();
    let before = app.event_count();
    let mut fields = device_fields("key-only", "cisco-ios", "");
    fields.push(("ssh_key", "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n"));
    let r = admin.post_form("/devices", &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("not a usable SSH private key"));
    assert_eq!(app.event_count(), before, "a bad key changes nothing");
    let mut fields = device_fields("key-only", "cisco-ios", "");
    fields.push(("ssh_key", &key));
    let r = admin.post_form("/devices", &fields).await;
    assert_eq!(r.status().as_u16(), 303, "a key instead of a password");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = admin.get_text(&location).await;
    let listing = std::process::Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&listing.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(page.contains(&fp), "the public fingerprint is shown");
    let (_, api) = admin.get_text("/api/v1/devices").await;
    assert!(api.contains(&fp));
    for text in [&page, &api] {
        assert!(!text.contains(&body) && !text.contains("PRIVATE KEY"));
    }
    assert_secret_nowhere(&app, &body).await;
    // Removing the only credential is refused.
    let mut fields = device_fields("key-only", "cisco-ios", "");
    fields.push(("clear_ssh_key", "true"));
    let r = admin.post_form(&location, &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("needs its key"));
}

#[tokio::test]
async fn a_management_mac_is_taken_in_any_notation_and_a_bad_or_taken_one_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let mut fields = device_fields("sw-mac-1", "cisco-ios", SECRET);
    fields.push(("mgmt_mac", "AABB.CCDD.EEFF"));
    let r = admin.post_form("/devices", &fields).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = admin.get_text(&location).await;
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("dd.mgmt-mac").unwrap();
    let shown: Vec<String> = doc.select(&sel).map(|e| e.text().collect()).collect();
    assert_eq!(
        shown,
        ["aa:bb:cc:dd:ee:ff"],
        "stored in lower-case colon form"
    );

    let before = app.event_count();
    let mut bad = device_fields("sw-mac-1", "cisco-ios", "");
    bad.push(("mgmt_mac", "aa-bb-cc-dd-ee-zz"));
    let r = admin.post_htmx(&location, &bad).await;
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "mgmt_mac");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("“aa-bb-cc-dd-ee-zz” is not a MAC address")),
        "next to the MAC: {shown:?}"
    );
    let mut taken = device_fields("sw-mac-2", "cisco-ios", SECRET);
    taken.push(("mgmt_mac", "aabbccddeeff"));
    let r = admin.post_htmx("/devices", &taken).await;
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "mgmt_mac");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("sw-mac-1 already has this MAC address")),
        "{shown:?}"
    );
    assert_eq!(app.event_count(), before, "bad MACs changed nothing");

    // The API: created, kept on a patch of another field, refused, cleared.
    let send = |method: reqwest::Method, path: String, body: Value| {
        admin
            .client
            .request(method, format!("{}{path}", admin.base))
            .header("x-csrf-token", &admin.csrf)
            .json(&body)
            .send()
    };
    let r = send(
        reqwest::Method::POST,
        "/api/v1/devices".into(),
        json!({
            "name": "nas-mac", "address": "127.0.0.1", "port": 2200, "dialect": "mikrotik",
            "roles": ["nas"], "login": "admin", "password": SECRET, "mgmt_mac": "00-1A-2B-3C-4D-5E",
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["mgmt_mac"], "00:1a:2b:3c:4d:5e");
    let path = format!("/api/v1/devices/{}", created["id"].as_str().unwrap());
    let r = send(
        reqwest::Method::PATCH,
        path.clone(),
        json!({"tags": ["edge"]}),
    )
    .await
    .unwrap();
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["mgmt_mac"], "00:1a:2b:3c:4d:5e", "kept");
    let before = app.event_count();
    let r = send(
        reqwest::Method::PATCH,
        path.clone(),
        json!({"mgmt_mac": "00:1a"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("is not a MAC address"));
    assert_eq!(app.event_count(), before);
    let r = send(
        reqwest::Method::PATCH,
        path.clone(),
        json!({"mgmt_mac": ""}),
    )
    .await
    .unwrap();
    let cleared: Value = r.json().await.unwrap();
    assert!(cleared["mgmt_mac"].is_null(), "{cleared}");
    let (_, got) = admin.get_text(&path).await;
    let got: Value = serde_json::from_str(&got).unwrap();
    assert!(got["mgmt_mac"].is_null());
}

#[tokio::test]
async fn a_switch_may_have_its_own_fdb_interval_and_empty_follows_the_setting() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let shown = |page: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(page);
        let sel = scraper::Selector::parse("dd.fdb-interval").unwrap();
        doc.select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    };
    let before = app.event_count();
    let mut fields = device_fields("sw-fdb-1", "cisco-ios", SECRET);
    fields.push(("fdb_interval_min", "0"));
    let r = admin.post_htmx("/devices", &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    let error = field_error(&r.text().await.unwrap(), "fdb_interval_min");
    assert_eq!(
        error.as_deref(),
        Some(
            "the FDB interval is a whole number of minutes from 1 to 1440, \
             or empty for the Search Port setting"
        )
    );
    assert_eq!(app.event_count(), before, "nothing registered");

    fields.pop();
    fields.push(("fdb_interval_min", "5"));
    let r = admin.post_form("/devices", &fields).await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = admin.get_text(&location).await;
    assert_eq!(shown(&page), ["5 min"]);
    fields.pop();
    fields.retain(|(k, _)| *k != "password" && *k != "enable_password");
    let r = admin.post_form(&location, &fields).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = admin.get_text(&location).await;
    assert_eq!(shown(&page), ["15 min (the Search Port setting)"]);

    let path = location.replacen("/devices/", "/api/v1/devices/", 1);
    let patch = |body: Value| {
        admin
            .client
            .patch(format!("{}{path}", admin.base))
            .header("x-csrf-token", &admin.csrf)
            .json(&body)
            .send()
    };
    let r = patch(json!({"fdb_interval_min": 30})).await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fdb_interval_min"], 30);
    let r = patch(json!({"name": "sw-fdb-one"})).await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fdb_interval_min"], 30, "kept when not given");
    let before = app.event_count();
    let r = patch(json!({"fdb_interval_min": 2000})).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(app.event_count(), before);
    let r = patch(json!({"fdb_interval_min": null})).await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(body["fdb_interval_min"].is_null(), "{body}");
}
