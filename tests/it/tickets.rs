//! Repair tickets end to end: opened from the subscriber card (pre-filled,
//! the phone normalised), the subscriber found from a phone in the text,
//! the page with the SLA and the subscriber beside it, statuses through
//! the allowed moves only, assignment and comments, the API with its
//! filters; bad input and forbidden moves change nothing.

use ispmon_events::values::Role;
use serde_json::{json, Value};

use crate::common::*;

pub(crate) const SUB: &str = "7001";

pub(crate) async fn seed_subscriber(app: &TestApp) {
    use ispmon_events::subscriber::{BillingFolder, BillingView, SubscriberCommand};
    let fields = [
        ("login", "petrov_a"),
        ("full_name", "Петров Алексей"),
        ("address", "Московская 5а, кв. 12"),
        ("phones", "8 (916) 123-45-67"),
    ];
    let view = BillingView {
        folder: BillingFolder {
            id: "1".into(),
            name: "Центр".into(),
        },
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        status: "Активен".into(),
        blocked: None,
    };
    app.state
        .core
        .commands
        .subscriber(SUB, SubscriberCommand::Sync { view }, &app.meta())
        .await
        .unwrap();
}

fn ticket_events(app: &TestApp) -> u64 {
    app.events_of("Ticket")
}

fn new_ticket_id(location: &str) -> String {
    location
        .strip_prefix("/tickets/")
        .unwrap_or_else(|| panic!("redirected to the ticket: {location}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_from_the_subscriber_card_is_prefilled_moves_through_its_statuses_and_keeps_its_sla(
) {
    let app = spawn_app().await;
    seed_subscriber(&app).await;
    let tech = app.login_as(Role::Technician).await;
    app.create_user("ivanova", Role::Noc).await;

    // The card links to a new ticket, which comes filled in.
    let (_, card) = tech.get_text(&format!("/subscribers/{SUB}")).await;
    assert!(
        card.contains(&format!("/tickets/new?subscriber_id={SUB}")),
        "{card}"
    );
    let (status, form) = tech
        .get_text(&format!("/tickets/new?subscriber_id={SUB}"))
        .await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"value="petrov_a""#), "{form}");
    assert!(
        form.contains(r#"value="+79161234567""#),
        "the phone is normalised: {form}"
    );
    assert!(form.contains("Московская 5а, кв. 12"));

    // Bad input: each field named, nothing recorded.
    let before = ticket_events(&app);
    for (fields, field) in [
        (vec![("problem", ""), ("address", "x")], "problem"),
        (vec![("problem", "no link"), ("phone", "12-34")], "phone"),
        (
            vec![("problem", "no link"), ("priority", "asap")],
            "priority",
        ),
        (
            vec![("problem", "no link"), ("category", "a/b")],
            "category",
        ),
    ] {
        let r = tech.post_form("/tickets", &fields).await;
        assert_eq!(r.status().as_u16(), 422, "{field}");
        let page = r.text().await.unwrap();
        assert!(field_error(&page, field).is_some(), "{field}: {page}");
    }
    assert_eq!(ticket_events(&app), before, "bad input records nothing");

    let r = tech
        .post_form(
            "/tickets",
            &[
                ("subscriber_id", SUB),
                ("login", "petrov_a"),
                ("address", "Московская 5а, кв. 12"),
                ("phone", "8 916 123 45 67"),
                ("problem", "Нет интернета с утра, ONT мигает красным"),
                ("category", "no-internet"),
                ("priority", "high"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let id = new_ticket_id(r.headers()["location"].to_str().unwrap());
    let (status, page) = tech.get_text(&format!("/tickets/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("+79161234567"), "{page}");
    assert!(page.contains(r#"id="ticket-subscriber""#) && page.contains("petrov_a"));
    assert!(
        page.contains("first response by") && page.contains("resolution by"),
        "the SLA due times are shown: {page}"
    );

    // The API shows the due times and filters.
    let token = app.login_as(Role::Admin).await.api_token("tickets").await;
    let api = |m: reqwest::Method, p: String, b: Option<Value>| {
        let (base, token) = (app.base.clone(), token.clone());
        async move { api_call(&base, &token, m, &p, b).await }
    };
    let (status, t) = api(reqwest::Method::GET, format!("/api/v1/tickets/{id}"), None).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["status"], json!("open"));
    assert_eq!(t["priority"], json!("high"));
    assert!(
        t["first_response_due"].is_string() && t["resolution_due"].is_string(),
        "{t}"
    );
    assert_eq!(t["breached"], json!(false));
    // By due time: due within a year, not past due, not due an hour ago.
    let listed = |v: &Value| {
        v["tickets"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .any(|t| t["id"] == json!(id))
    };
    let at = |d: chrono::Duration| (chrono::Utc::now() + d).to_rfc3339();
    for (query, want) in [
        (
            format!("due_before={}", at(chrono::Duration::days(365))),
            true,
        ),
        (
            format!("due_before={}", at(-chrono::Duration::hours(1))),
            false,
        ),
        ("breached=true".to_string(), false),
        ("breached=false".to_string(), true),
    ] {
        let query = query.replace('+', "%2B");
        let (status, v) = api(
            reqwest::Method::GET,
            format!("/api/v1/tickets?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{query}: {v}");
        assert_eq!(listed(&v), want, "{query}: {v}");
    }
    for (query, says) in [
        ("due_before=yesterday", "RFC 3339"),
        ("breached=maybe", "true or false"),
        ("breached=true&due_before=2026-01-01T00:00:00Z", "not both"),
    ] {
        let (status, v) = api(
            reqwest::Method::GET,
            format!("/api/v1/tickets?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}: {v}");
        assert!(v.to_string().contains(says), "{query}: {v}");
    }

    // Moves: open → in-progress (the first response), waiting for the
    // subscriber (the clock pauses), resolved, closed; a closed ticket
    // cannot wait for parts.
    let r = tech
        .post_form(
            &format!("/tickets/{id}/status"),
            &[("status", "in-progress"), ("note", "")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, t) = api(reqwest::Method::GET, format!("/api/v1/tickets/{id}"), None).await;
    assert!(t["first_response_at"].is_string(), "{t}");
    assert_eq!(
        t["first_response_due"],
        Value::Null,
        "answered: no first-response due"
    );
    let r = tech
        .post_form(
            &format!("/tickets/{id}/status"),
            &[
                ("status", "waiting-subscriber"),
                ("note", "не берёт трубку"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, t) = api(reqwest::Method::GET, format!("/api/v1/tickets/{id}"), None).await;
    assert_eq!(t["paused"], json!(true), "{t}");
    assert_eq!(
        t["resolution_due"],
        Value::Null,
        "the clock stands while it waits: {t}"
    );
    for to in ["resolved", "closed"] {
        let (status, t) = api(
            reqwest::Method::PATCH,
            format!("/api/v1/tickets/{id}"),
            Some(json!({"status": to})),
        )
        .await;
        assert_eq!(status, 200, "{to}: {t}");
        assert_eq!(t["status"], json!(to));
    }
    let before = ticket_events(&app);
    let r = tech
        .post_form(
            &format!("/tickets/{id}/status"),
            &[("status", "waiting-parts")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("reopen it first"), "{page}");
    let (status, v) = api(
        reqwest::Method::PATCH,
        format!("/api/v1/tickets/{id}"),
        Some(json!({"status": "on-hold"})),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(ticket_events(&app), before, "refused moves record nothing");
    let (status, _) = api(
        reqwest::Method::PATCH,
        format!("/api/v1/tickets/{id}"),
        Some(json!({"status": "open", "note": "снова нет связи"})),
    )
    .await;
    assert_eq!(status, 200, "a closed ticket reopens");

    // Assignment (to a user that exists) and comments.
    let r = tech
        .post_form(
            &format!("/tickets/{id}/assign"),
            &[("assignee", "nobody_here")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let r = tech
        .post_form(&format!("/tickets/{id}/assign"), &[("assignee", "ivanova")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = tech
        .post_form(&format!("/tickets/{id}/comments"), &[("body", "")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let (status, _) = api(
        reqwest::Method::POST,
        format!("/api/v1/tickets/{id}/comments"),
        Some(json!({"body": "Выезд завтра 10:00"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, t) = api(reqwest::Method::GET, format!("/api/v1/tickets/{id}"), None).await;
    assert_eq!(t["assignee"], json!("ivanova"));
    assert_eq!(t["comments"][0]["body"], json!("Выезд завтра 10:00"), "{t}");
    assert!(
        t["history"].as_array().unwrap().len() >= 6,
        "opened, four moves, a reopen, an assignment: {t}"
    );
    let (_, mine) = api(
        reqwest::Method::GET,
        "/api/v1/tickets?assignee=ivanova".into(),
        None,
    )
    .await;
    assert_eq!(mine["tickets"].as_array().unwrap().len(), 1, "{mine}");
    let (_, closed) = api(
        reqwest::Method::GET,
        "/api/v1/tickets?status=closed".into(),
        None,
    )
    .await;
    assert_eq!(closed["tickets"].as_array().unwrap().len(), 0, "{closed}");
    let (status, _) = api(
        reqwest::Method::GET,
        "/api/v1/tickets?status=lost".into(),
        None,
    )
    .await;
    assert_eq!(status, 400);

    // The list shows it; an auditor reads but cannot open tickets.
    let (_, list) = tech.get_text("/tickets").await;
    assert!(list.contains(&format!(r#"data-id="{id}""#)), "{list}");
    let auditor = app.login_as(Role::Auditor).await;
    assert_eq!(auditor.get("/tickets").await.status().as_u16(), 200);
    assert_eq!(
        auditor
            .post_form("/tickets", &[("problem", "x")])
            .await
            .status()
            .as_u16(),
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_in_the_problem_text_suggests_the_subscriber_and_a_click_links_them() {
    let app = spawn_app().await;
    seed_subscriber(&app).await;
    let tech = app.login_as(Role::Technician).await;
    let text = "звонил с +7 916 123-45-67, нет связи";
    let (status, html) = tech
        .get_text(&format!(
            "/tickets/suggest?problem={}",
            urlencoding::encode(text)
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("+79161234567"),
        "the phone is recognised: {html}"
    );
    assert!(
        html.contains(&format!(r#"data-billing-id="{SUB}""#)),
        "the subscriber with that phone is suggested: {html}"
    );
    // Taking the suggestion keeps the text and fills in the subscriber.
    let (_, form) = tech
        .get_text(&format!(
            "/tickets/new?subscriber_id={SUB}&problem={}",
            urlencoding::encode(text)
        ))
        .await;
    assert!(
        form.contains(r#"value="petrov_a""#) && form.contains("нет связи"),
        "{form}"
    );
    // A login typed in the text finds them too; nonsense finds nobody.
    let (_, html) = tech
        .get_text("/tickets/suggest?problem=petrov_a%20no%20link")
        .await;
    assert!(
        html.contains(&format!(r#"data-billing-id="{SUB}""#)),
        "{html}"
    );
    let (_, html) = tech.get_text("/tickets/suggest?problem=qwerty").await;
    assert!(!html.contains("data-billing-id"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_opens_from_a_host_and_the_dashboard_counts_the_active_ones() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let token = admin.api_token("tickets").await;
    let (status, host) = api_call(
        &app.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/hosts",
        Some(json!({"ip": "127.0.0.9", "name": "agg-7"})),
    )
    .await;
    assert_eq!(status, 201, "{host}");
    let host = host["id"].as_str().unwrap().to_string();
    let (_, page) = admin.get_text(&format!("/icmp/hosts/{host}")).await;
    assert!(
        page.contains(&format!("/tickets/new?host_id={host}")),
        "{page}"
    );
    let (_, form) = admin
        .get_text(&format!("/tickets/new?host_id={host}"))
        .await;
    assert!(
        form.contains("agg-7 (127.0.0.9)") && form.contains(r#"value="node-down""#),
        "{form}"
    );
    let (_, home) = admin.get_text("/").await;
    assert!(home.contains(r#"id="stat-tickets""#), "{home}");
    let (status, v) = api_call(
        &app.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/tickets",
        Some(
            json!({"problem": "agg-7 down", "address": "agg-7 (127.0.0.9)", "host_id": host,
            "category": "node-down", "priority": "urgent"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = api_call(
        &app.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/tickets",
        Some(json!({"problem": "", "priority": "urgent"})),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("problem"), "{v}");
    // The command answered once the read models had it: the next
    // dashboard is of the new data version.
    let (_, home) = admin.get_text("/").await;
    let doc = scraper::Html::parse_document(&home);
    let n = scraper::Selector::parse("#stat-tickets .n").unwrap();
    let count: String = doc.select(&n).flat_map(|e| e.text()).collect();
    assert_eq!(count, "1", "the dashboard counts the open ticket: {home}");
    assert!(home.contains(r#"id="stat-breached""#));
}

/// A photo from the field is attached (recognised by its bytes, not by
/// what the browser says) and served back as what it is; a file that is
/// neither a photo nor a PDF is refused and nothing is stored or recorded.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_is_attached_and_served_and_other_files_are_refused() {
    let app = spawn_app().await;
    let tech = app.login_as(Role::Technician).await;
    let r = tech
        .post_form(
            "/tickets",
            &[("problem", "Обрыв в подъезде"), ("address", "Ленина 3")],
        )
        .await;
    let id = new_ticket_id(r.headers()["location"].to_str().unwrap());
    let upload = |name: &'static str, ctype: &'static str, bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name)
            .mime_str(ctype)
            .unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        tech.client
            .post(format!(
                "{}/tickets/{id}/attachments?_csrf={}",
                tech.base, tech.csrf
            ))
            .multipart(form)
            .send()
    };
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend_from_slice(b"field photo of the cable");
    let r = upload("IMG_0042.jpg", "image/jpeg", jpeg.clone())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = tech.get_text(&format!("/tickets/{id}")).await;
    assert!(page.contains("IMG_0042.jpg"), "{page}");
    let href = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("#ticket-attachments a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("the photo is listed");
    let r = tech.get(&href).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg);

    let events = ticket_events(&app);
    let blobs = files_in(&app.data.path().join("blobs"));
    // An HTML page that calls itself a PNG is not one.
    let r = upload(
        "evil.png",
        "image/png",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(field_error(&r.text().await.unwrap(), "file").is_some());
    assert_eq!(ticket_events(&app), events, "nothing recorded");
    assert_eq!(
        files_in(&app.data.path().join("blobs")),
        blobs,
        "nothing stored"
    );
    let auditor = app.login_as(Role::Auditor).await;
    assert_eq!(
        auditor.get(&href).await.status().as_u16(),
        200,
        "staff read the photo"
    );
}

/// Files under `dir`, at any depth.
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        files_in(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
