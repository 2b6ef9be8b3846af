//! The board in pages: order (problems first), paging, filters, the empty
//! state, bad query values, and live updates of the rows on screen.

use ispmon_events::host::{HostCommand, HostDetails, Judgement, RoundSample};
use ispmon_events::values::Role;

use super::select_text;
use crate::common::*;

/// Adds a host through the commands; returns its id.
pub async fn add_host(app: &TestApp, ip: &str, name: &str, folder: Option<&str>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let details = HostDetails {
        name: name.into(),
        folder: folder.map(String::from),
        ..Default::default()
    };
    let add = HostCommand::Add {
        ip: ip.into(),
        details,
    };
    app.state
        .core
        .commands
        .host(&id, add, &app.meta())
        .await
        .unwrap();
    id
}

/// Records one sweep round that brings `id` to `state` (`up`, `degraded`,
/// `down` or `unreachable`).
pub async fn set_state(app: &TestApp, id: &str, state: &str) {
    let answered = RoundSample {
        sent: 1,
        received: 1,
        loss_pct: 0.0,
        min_ms: Some(1.0),
        avg_ms: Some(1.0),
        max_ms: Some(1.0),
        jitter_ms: Some(0.0),
    };
    let sample = match state {
        "up" => answered,
        "degraded" => RoundSample {
            avg_ms: Some(5_000.0),
            ..answered
        },
        "down" | "unreachable" => RoundSample {
            sent: 1,
            received: 0,
            loss_pct: 100.0,
            min_ms: None,
            avg_ms: None,
            max_ms: None,
            jitter_ms: None,
        },
        other => panic!("no round makes a host {other}"),
    };
    let round = HostCommand::RecordRound {
        sample,
        failed_rounds: 1,
        parent_down: state == "unreachable",
        judgement: Judgement {
            failed_rounds_before_down: 1,
            loss_threshold_pct: 20.0,
            latency_threshold_ms: 200.0,
        },
    };
    app.state
        .core
        .commands
        .host(id, round, &app.meta())
        .await
        .unwrap();
}

/// The names in the board's table, in order.
fn names(page: &str) -> Vec<String> {
    select_text(page, "#hosts-table tbody tr td:nth-child(2)")
}

fn summary(page: &str) -> String {
    select_text(page, "#board-summary").join("")
}

#[tokio::test]
async fn problems_come_first_and_page_two_goes_on_where_page_one_ended() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..120 {
        let name = format!("h{i:03}");
        ids.push(add_host(&app, &format!("127.0.5.{}", i + 1), &name, None).await);
    }
    set_state(&app, &ids[100], "down").await;
    set_state(&app, &ids[101], "unreachable").await;
    set_state(&app, &ids[50], "degraded").await;
    set_state(&app, &ids[7], "down").await;
    app.state
        .core
        .commands
        .host(&ids[7], HostCommand::Pause, &app.meta())
        .await
        .unwrap();
    let noc = app.login_as(Role::Noc).await;

    let (status, first) = noc.get_text("/icmp?per=50").await;
    assert_eq!(status, 200);
    let rows = names(&first);
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[..4], ["h100", "h101", "h050", "h000"], "{rows:?}");
    assert!(
        rows.iter().position(|n| n == "h007") > rows.iter().position(|n| n == "h006"),
        "a paused host is not a problem: {rows:?}"
    );
    assert_eq!(summary(&first), "Showing 1–50 of 120");
    let pager = select_text(&first, "#board-pager a").join(" ");
    assert!(
        pager.contains('2') && pager.contains('3') && pager.contains("Next"),
        "{pager}"
    );

    let (_, second) = noc.get_text("/icmp?per=50&page=2").await;
    let rows = names(&second);
    assert_eq!(rows.len(), 50);
    assert_eq!(
        rows[..4],
        ["h047", "h048", "h049", "h051"],
        "page 2 starts after the last row of page 1, without h050 (degraded, on page 1)"
    );
    assert_eq!(summary(&second), "Showing 51–100 of 120");

    let (status, beyond) = noc.get_text("/icmp?per=50&page=99").await;
    assert_eq!(status, 200, "a page past the end shows the last page");
    assert_eq!(summary(&beyond), "Showing 101–120 of 120");
    assert_eq!(names(&beyond).last().map(String::as_str), Some("h119"));
    assert_eq!(select_text(&beyond, "#board-pager .current").join(""), "3");

    let (_, default) = noc.get_text("/icmp").await;
    assert_eq!(names(&default).len(), 100, "100 rows a page unless chosen");
}

#[tokio::test]
async fn the_board_filters_by_folder_state_and_search_and_says_when_nothing_matches() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin.post_form("/icmp/folders", &[("name", "Core")]).await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let core = location.trim_start_matches("/icmp?folder=").to_string();
    let core1 = add_host(&app, "127.0.6.1", "core-1", Some(&core)).await;
    let core2 = add_host(&app, "127.0.6.2", "core-2", Some(&core)).await;
    let edge1 = add_host(&app, "127.0.7.1", "edge-1", None).await;
    add_host(&app, "127.0.7.2", "Edge-2", None).await;
    set_state(&app, &core1, "down").await;
    set_state(&app, &core2, "up").await;
    set_state(&app, &edge1, "degraded").await;

    let cases: &[(&str, &[&str])] = &[
        ("", &["core-1", "edge-1", "core-2", "Edge-2"]),
        (&format!("folder={core}"), &["core-1", "core-2"]),
        ("folder=none", &["edge-1", "Edge-2"]),
        ("state=problems", &["core-1", "edge-1"]),
        ("state=down", &["core-1"]),
        ("state=pending", &["Edge-2"]),
        (&format!("folder={core}&state=up"), &["core-2"]),
        ("q=edge", &["edge-1", "Edge-2"]),
        ("q=127.0.6.", &["core-1", "core-2"]),
        ("state=problems&q=EDGE", &["edge-1"]),
        ("view=down", &["core-1"]),
    ];
    for (query, want) in cases {
        let (status, page) = admin.get_text(&format!("/icmp?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(names(&page), *want, "{query}");
        assert_eq!(
            summary(&page),
            format!("Showing 1–{n} of {n}", n = want.len()),
            "{query}"
        );
    }

    let (_, page) = admin.get_text("/icmp?state=problems").await;
    let sidebar = select_text(&page, ".sidebar a");
    for (label, n) in [
        ("problems", "2"),
        ("Core", "2"),
        ("No folder", "2"),
        ("All", "4"),
    ] {
        assert!(
            sidebar
                .iter()
                .any(|a| a.starts_with(label) && a.ends_with(n)),
            "{label} {n} in {sidebar:?}"
        );
    }
    assert_eq!(
        select_text(&page, ".sidebar a.active span:first-child"),
        ["problems", "All folders"]
    );

    let (status, none) = admin.get_text("/icmp?q=no-such-host").await;
    assert_eq!(status, 200);
    assert!(names(&none).is_empty());
    let empty = select_text(&none, "p.empty").join("");
    assert!(
        empty.contains("No hosts match these filters.") && empty.contains("Show all hosts"),
        "{empty}"
    );
}

#[tokio::test]
async fn a_bad_page_number_page_size_or_unknown_state_is_a_400_with_the_reason() {
    let app = spawn_app().await;
    add_host(&app, "127.0.8.1", "one", None).await;
    let noc = app.login_as(Role::Noc).await;
    let cases = [
        ("state=sideways", "unknown state filter 'sideways'"),
        ("page=0", "page '0' is not a whole number from 1"),
        ("page=two", "page 'two' is not a whole number from 1"),
        ("per=7", "rows per page must be 50, 100 or 200"),
    ];
    for (query, message) in cases {
        for path in ["/icmp", "/icmp/changes"] {
            let (status, body) = noc.get_text(&format!("{path}?{query}")).await;
            assert_eq!(status, 400, "{path}?{query}");
            assert!(body.contains(message), "{path}?{query}: {body}");
        }
    }
}

/// The poller's URL on a board page, as the browser would follow it.
fn poller(page: &str) -> String {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse("#icmp-live").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("hx-get"))
        .expect("the board polls for changes")
        .to_string()
}

#[tokio::test]
async fn the_live_endpoint_sends_only_changed_rows_on_screen_and_a_notice_for_problems_elsewhere() {
    let app = spawn_app().await;
    let on1 = add_host(&app, "127.0.3.1", "on-1", None).await;
    let on2 = add_host(&app, "127.0.3.2", "on-2", None).await;
    let off1 = add_host(&app, "127.0.3.3", "off-1", None).await;
    let off2 = add_host(&app, "127.0.3.4", "off-2", None).await;
    let admin = app.login_as(Role::Admin).await;
    let (_, page) = admin.get_text("/icmp?q=on-").await;
    assert_eq!(names(&page), ["on-1", "on-2"]);
    let live = poller(&page);
    let (_, problems) = admin.get_text("/icmp?state=problems").await;
    let problems_live = poller(&problems);

    for id in [&on1, &off1] {
        admin
            .post_form(&format!("/icmp/hosts/{id}/pause"), &[])
            .await;
    }
    set_state(&app, &off2, "down").await;

    let (status, fragment) = admin.get_text(&live).await;
    assert_eq!(status, 200);
    // Table rows outside a table are dropped by an HTML parser: count raw.
    assert_eq!(
        fragment.matches("<tr id=\"host-").count(),
        1,
        "only the changed row on screen: {fragment}"
    );
    assert!(fragment.contains(&format!("<tr id=\"host-{on1}\"")));
    assert!(fragment.contains("paused") && fragment.contains("hx-swap-oob=\"true\""));
    assert!(!fragment.contains(&on2) && !fragment.contains(&off1) && !fragment.contains(&off2));
    assert!(
        fragment.contains("id=\"icmp-sidebar\" hx-swap-oob=\"true\""),
        "the counts follow the change"
    );
    assert!(
        !fragment.contains("id=\"icmp-notice\""),
        "off-2 is down but not in this view (search on-)"
    );

    let next = poller(&fragment);
    let (_, quiet) = admin.get_text(&next).await;
    assert!(
        !quiet.contains("<tr") && !quiet.contains("icmp-sidebar"),
        "nothing changed since the last poll: {quiet}"
    );
    assert!(
        quiet.contains("id=\"icmp-live\""),
        "the poller renews itself"
    );

    let (_, fragment) = admin.get_text(&problems_live).await;
    assert_eq!(fragment.matches("<tr id=\"host-").count(), 0, "{fragment}");
    let notice = select_text(&fragment, "#icmp-notice").join("");
    assert!(
        notice.contains("1 hosts changed state outside this page.") && notice.contains("Refresh"),
        "a new problem in this view is announced, not inserted: {fragment}"
    );
}

#[tokio::test]
async fn the_dashboard_lists_the_ten_hosts_down_longest_with_the_count_and_a_link_to_all() {
    let app = spawn_app().await;
    for i in 0..14 {
        let id = add_host(
            &app,
            &format!("127.0.9.{}", i + 1),
            &format!("d{i:02}"),
            None,
        )
        .await;
        set_state(&app, &id, if i % 2 == 0 { "down" } else { "unreachable" }).await;
    }
    add_host(&app, "127.0.9.99", "fine", None).await;
    let noc = app.login_as(Role::Noc).await;
    let (status, home) = noc.get_text("/").await;
    assert_eq!(status, 200);
    let rows = select_text(&home, "#down-hosts tbody tr td:nth-child(2)");
    assert_eq!(rows.len(), 10, "{rows:?}");
    assert_eq!(rows[0], "d00", "down longest first");
    assert!(select_text(&home, "h2")
        .iter()
        .any(|h| h == "Down hosts (14)"));
    assert!(home.contains(r#"<a href="/icmp?state=down">All of them on the board (14)</a>"#));
    let (_, board) = noc.get_text("/icmp?state=down").await;
    assert_eq!(names(&board).len(), 14);
}

/// The board and the dashboard are kept rendered between changes (see
/// `src/memo.rs`); every kind of change shows on the next request: a state
/// change (an event), a round of telemetry (no event), and a new host.
#[tokio::test]
async fn the_board_and_the_dashboard_show_every_change_on_the_next_request() {
    let app = spawn_app().await;
    let id = add_host(&app, "127.0.9.1", "edge-1", None).await;
    set_state(&app, &id, "up").await;
    let noc = app.login_as(Role::Noc).await;
    let rtt = |page: &str| select_text(page, "#hosts-table tbody tr td:nth-child(5)");
    let state = |page: &str| select_text(page, "#hosts-table tbody tr td:nth-child(1)");
    let (_, first) = noc.get_text("/icmp").await;
    let (_, again) = noc.get_text("/icmp").await;
    assert_eq!(state(&first), ["up"]);
    assert_eq!(state(&again), ["up"]);
    let (_, home) = noc.get_text("/").await;
    assert!(select_text(&home, "h2")
        .iter()
        .any(|h| h == "Down hosts (0)"));

    set_state(&app, &id, "down").await;
    let (_, board) = noc.get_text("/icmp").await;
    assert_eq!(state(&board), ["down"], "a state change shows at once");
    let (_, home) = noc.get_text("/").await;
    assert!(
        select_text(&home, "h2")
            .iter()
            .any(|h| h == "Down hosts (1)"),
        "{:?}",
        select_text(&home, "h2")
    );

    let sample = RoundSample {
        sent: 1,
        received: 1,
        loss_pct: 0.0,
        min_ms: Some(7.25),
        avg_ms: Some(7.25),
        max_ms: Some(7.25),
        jitter_ms: Some(0.0),
    };
    let now = chrono::Utc::now().timestamp();
    app.state
        .core
        .telemetry
        .record(now, vec![(id.clone(), sample)])
        .await
        .unwrap();
    let (_, board) = noc.get_text("/icmp").await;
    assert_eq!(rtt(&board), ["7.25 ms"], "telemetry shows at once");

    add_host(&app, "127.0.9.2", "edge-2", None).await;
    let (_, board) = noc.get_text("/icmp").await;
    assert_eq!(
        names(&board),
        ["edge-1", "edge-2"],
        "a new host shows at once"
    );
}
