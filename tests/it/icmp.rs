//! The ICMP board, hosts and folders through the web, and the settings form.

use ispmon_events::values::Role;

use crate::common::*;

mod board;

pub(crate) fn select_text(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>())
        .collect()
}

/// The host count the sidebar shows next to the folder (or state) `name`.
fn folder_count(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let link = scraper::Selector::parse(".sidebar a").unwrap();
    let label = scraper::Selector::parse("span:first-child").unwrap();
    let count = scraper::Selector::parse("span.count").unwrap();
    let text = |e: Option<scraper::ElementRef>| e.map(|e| e.text().collect::<String>());
    doc.select(&link)
        .find(|a| text(a.select(&label).next()).is_some_and(|t| t.trim() == name))
        .and_then(|a| text(a.select(&count).next()))
        .map(|t| t.trim().to_string())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn admin_adds_hosts_in_folders_and_everyone_sees_the_board() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin.post_form("/icmp/folders", &[("name", "Core")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let folder = location(&r).trim_start_matches("/icmp?folder=").to_string();
    let r = admin
        .post_form(
            "/icmp/hosts",
            &[
                ("ip", "127.0.0.1"),
                ("name", "core-1"),
                ("folder", &folder),
                ("tags", "core, lab"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let host = location(&r);
    let r = admin
        .post_form(
            "/icmp/hosts",
            &[("ip", "::1"), ("name", "core-v6"), ("parent", "127.0.0.1")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    let noc = app.login_as(Role::Noc).await;
    let (status, board) = noc.get_text("/icmp").await;
    assert_eq!(status, 200);
    let rows = select_text(&board, "#hosts-table tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .any(|r| r.contains("core-1") && r.contains("127.0.0.1") && r.contains("pending")));
    assert_eq!(
        folder_count(&board, "Core").as_deref(),
        Some("1"),
        "the Core folder counts its one host"
    );
    assert!(
        !board.contains("action=\"/icmp/hosts\""),
        "noc cannot add hosts"
    );
    let (_, in_folder) = noc.get_text(&format!("/icmp?view={folder}")).await;
    assert_eq!(select_text(&in_folder, "#hosts-table tbody tr").len(), 1);
    let (status, page) = noc.get_text(&host).await;
    assert_eq!(status, 200);
    assert!(page.contains("core-1"));
}

#[tokio::test]
async fn bad_host_input_is_refused_with_messages_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    admin
        .post_form("/icmp/hosts", &[("ip", "127.0.0.1"), ("name", "one")])
        .await;
    let before = app.event_count();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            &[("ip", "127.0.0.300"), ("name", "x")],
            "ip",
            "not an IPv4 or IPv6 address",
        ),
        (&[("ip", "127.0.0.1"), ("name", "dup")], "ip", "exists"),
        (
            &[("ip", "127.0.0.2"), ("name", "")],
            "name",
            "1 to 100 characters",
        ),
        (
            &[("ip", "127.0.0.2"), ("name", "x"), ("parent", "127.9.9.9")],
            "parent",
            "no host",
        ),
        (
            &[("ip", "127.0.0.2"), ("name", "x"), ("tags", "a/b")],
            "tags",
            "tag",
        ),
    ];
    for (fields, field, message) in cases {
        let r = admin.post_form("/icmp/hosts", fields).await;
        assert_eq!(r.status().as_u16(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        let shown = field_error(&html, field);
        assert!(
            shown.as_deref().is_some_and(|m| m.contains(message)),
            "{fields:?}: expected '{message}' next to the {field} field, found {shown:?}"
        );
    }
    assert_eq!(app.event_count(), before);
}

#[tokio::test]
async fn deleting_a_folder_moves_or_deletes_its_hosts_as_chosen() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let mut folders = Vec::new();
    for (name, ip) in [("A", "127.0.1.1"), ("B", "127.0.2.1")] {
        let r = admin.post_form("/icmp/folders", &[("name", name)]).await;
        let f = location(&r).trim_start_matches("/icmp?folder=").to_string();
        admin
            .post_form("/icmp/hosts", &[("ip", ip), ("name", name), ("folder", &f)])
            .await;
        folders.push(f);
    }
    let before = app.event_count();
    let r = admin
        .post_form(
            &format!("/icmp/folders/{}/delete", folders[0]),
            &[("hosts", "sideways")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(app.event_count(), before, "a bad choice changes nothing");
    admin
        .post_form(
            &format!("/icmp/folders/{}/delete", folders[0]),
            &[("hosts", "move")],
        )
        .await;
    admin
        .post_form(
            &format!("/icmp/folders/{}/delete", folders[1]),
            &[("hosts", "delete")],
        )
        .await;
    let (_, none) = admin.get_text("/icmp?view=none").await;
    let rows = select_text(&none, "#hosts-table tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("127.0.1.1"));
    let (_, all) = admin.get_text("/icmp").await;
    assert!(!all.contains("127.0.2.1"));
    let names = select_text(&all, ".sidebar a span:first-child");
    assert!(!names.iter().any(|n| n == "A" || n == "B"), "{names:?}");
}

#[tokio::test]
async fn icmp_settings_are_validated_per_field() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let (status, page) = admin.get_text("/admin/icmp/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"60\""), "defaults shown");
    let before = app.event_count();
    let good = [
        ("sweep_interval_s", "30"),
        ("probes_per_host", "3"),
        ("probe_gap_ms", "1000"),
        ("concurrency", "200"),
        ("timeout_s", "2"),
        ("failed_rounds_before_down", "2"),
        ("loss_threshold_pct", "20"),
        ("latency_threshold_ms", "200"),
    ];
    let mut bad = good.to_vec();
    bad[0].1 = "5";
    bad[4].1 = "abc";
    let r = admin.post_form("/admin/icmp/settings", &bad).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let shown = field_error(&html, "timeout_s");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("enter a number")),
        "next to the timeout: {shown:?}"
    );
    assert_eq!(app.event_count(), before);
    let mut range = good.to_vec();
    range[0].1 = "5";
    let r = admin.post_form("/admin/icmp/settings", &range).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let shown = field_error(&html, "sweep_interval_s");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("must be from 10 to 600 s")),
        "next to the sweep interval: {shown:?}"
    );
    assert_eq!(field_error(&html, "timeout_s"), None, "{html}");
    assert_eq!(app.event_count(), before);
    let r = admin.post_form("/admin/icmp/settings", &good).await;
    assert_eq!(r.status().as_u16(), 200);
    let (_, page) = admin.get_text("/admin/icmp/settings").await;
    assert!(page.contains("value=\"30\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_now_pings_a_loopback_host_and_brings_it_up() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin
        .post_form("/icmp/hosts", &[("ip", "127.0.0.1"), ("name", "lo")])
        .await;
    let host = location(&r);
    let r = admin.post_form(&format!("{host}/check"), &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = admin.get_text(&host).await;
    let doc = scraper::Html::parse_document(&page);
    let rows = scraper::Selector::parse("#host-history tbody tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    let history: Vec<Vec<String>> = doc
        .select(&rows)
        .map(|r| r.select(&cell).map(|c| c.text().collect()).collect())
        .collect();
    assert!(
        history
            .iter()
            .any(|r| r.len() == 4 && r[1] == "up" && r[2].ends_with(" ms")),
        "a row in state up with its RTT: {history:?}"
    );
    let row = app
        .state
        .core
        .views
        .read(|c| ispmon_projections::hosts::by_ip(c, "127.0.0.1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, ispmon_events::host::HostState::Up);
    assert!(row.last_avg_ms.is_some_and(|ms| ms >= 0.0), "RTT recorded");
    let events = app.state.core.store.since(0, 1000).await.unwrap();
    let up = events
        .iter()
        .find(|e| e.event_type == "HostCameUp")
        .expect("HostCameUp logged");
    assert_eq!(up.meta().source, ispmon_events::Source::Scheduler);

    let noc = app.login_as(Role::Installer).await;
    assert_eq!(
        noc.post_form(&format!("{host}/check"), &[])
            .await
            .status()
            .as_u16(),
        403
    );
    let r = admin
        .post_form("/icmp/check", &[("scope", "sideways")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_records_telemetry_and_the_host_page_draws_it() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin
        .post_form("/icmp/hosts", &[("ip", "::1"), ("name", "lo6")])
        .await;
    let host = location(&r);
    let (_, before) = admin.get_text(&host).await;
    assert!(before.contains("No samples in this range yet."));
    admin.post_form(&format!("{host}/check"), &[]).await;
    for range in ["24h", "7d", "1y"] {
        let (status, page) = admin.get_text(&format!("{host}?range={range}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("<svg class=\"chart\""), "{range}");
        assert!(
            !page.contains("No samples in this range yet."),
            "{range}: the sample is drawn"
        );
    }
    let (_, board) = admin.get_text("/icmp").await;
    let doc = scraper::Html::parse_document(&board);
    let cells = scraper::Selector::parse("#hosts-table tbody tr td").unwrap();
    let row: Vec<String> = doc
        .select(&cells)
        .map(|c| c.text().collect::<String>().trim().to_string())
        .collect();
    assert!(
        row.iter().any(|c| c.ends_with(" ms") && c != "— ms") && row.iter().any(|c| c == "0 %"),
        "latest RTT and loss on the board: {row:?}"
    );
}

#[tokio::test]
async fn csv_import_previews_refuses_bad_files_and_exports_what_it_imported() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let good = "ip,name,folder,parent,tags,notes\n127.0.4.1,gw,Core,,core,\n127.0.4.2,sw,Core,127.0.4.1,,\"floor 2, rack 1\"\n";
    let mixed = format!("{good}127.0.4.999,bad,,,,\n");
    let before = app.event_count();
    let r = admin
        .post_form("/icmp/import", &[("csv", &mixed), ("mode", "preview")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let line4 = select_text(&html, r#"tr[data-line="4"]"#);
    assert!(
        line4.len() == 1 && line4[0].contains("not an IPv4"),
        "the error is on line 4: {line4:?}"
    );
    let r = admin
        .post_form("/icmp/import", &[("csv", &mixed), ("mode", "apply")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("nothing was applied"));
    assert_eq!(app.event_count(), before, "a bad file changes nothing");
    let r = admin
        .post_form("/icmp/import", &[("csv", &mixed), ("mode", "apply_good")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("2 hosts imported."));
    let csv = admin.get("/icmp/export.csv").await.text().await.unwrap();
    assert!(csv.starts_with("ip,name,folder,parent,tags,notes"));
    assert!(
        csv.contains("127.0.4.2,sw,Core,127.0.4.1,,\"floor 2, rack 1\""),
        "{csv}"
    );
    let again = admin
        .post_form("/icmp/import", &[("csv", good), ("mode", "apply")])
        .await;
    assert_eq!(
        again.status().as_u16(),
        422,
        "existing addresses are refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_api_creates_edits_checks_and_deletes_hosts() {
    let app = spawn_app().await;
    let out = ispmon(&["token", "create", "admin"], app.data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let http = client();
    let url = |p: &str| format!("{}{p}", app.base);
    let get_json = |u: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let r = http.get(u).bearer_auth(token).send().await.unwrap();
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let before = app.event_count();
    let r = http
        .post(url("/api/v1/hosts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ip": "nope", "name": "x"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = format!("{:?}", r.headers());
    let body: serde_json::Value = r
        .json()
        .await
        .unwrap_or_else(|e| panic!("{status} {headers}: {e}"));
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("not an IPv4"));
    assert_eq!(app.event_count(), before);

    let r = http
        .post(url("/api/v1/hosts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ip": "127.0.0.1", "name": "lo", "tags": ["core"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let host: serde_json::Value = r.json().await.unwrap();
    let id = host["id"].as_str().unwrap().to_string();
    assert_eq!(host["tags"], serde_json::json!(["core"]));
    let dup = http
        .post(url("/api/v1/hosts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ip": "127.0.0.1", "name": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status().as_u16(), 422);

    let r = http
        .patch(url(&format!("/api/v1/hosts/{id}")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "loopback"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["name"],
        "loopback"
    );

    let r = http
        .post(url("/api/v1/sweeps"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"scope": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let h: serde_json::Value = get_json(url(&format!("/api/v1/hosts/{id}"))).await;
    assert_eq!(h["state"], "up");
    let s: serde_json::Value = get_json(url(&format!("/api/v1/hosts/{id}/samples"))).await;
    assert_eq!(s["samples"].as_array().unwrap().len(), 1);
    let list: serde_json::Value = http
        .get(url("/api/v1/hosts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["hosts"].as_array().unwrap().len(), 1);

    let r = http
        .delete(url(&format!("/api/v1/hosts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let r = http
        .get(url(&format!("/api/v1/hosts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = http.get(url("/api/v1/hosts")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "no token, no answer");
}
