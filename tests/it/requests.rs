//! Connection requests end to end: opened from the subscriber card into a
//! folder of the board, labelled, given an installer, a visit (warned past
//! the area's cap) and a checklist from a template; the installer works
//! their day (sees their visits, not the board; ticks, writes, attaches a
//! photo, marks done); done hands over to a GPON registration; two users
//! reordering at once lose no move; deleting a folder hands its requests
//! on; bad input changes nothing.

use ispmon_events::values::Role;
use serde_json::{json, Value};

use crate::common::*;
use crate::tickets::{seed_subscriber, SUB};

fn request_events(app: &TestApp) -> u64 {
    let c = rusqlite::Connection::open(app.events_path()).unwrap();
    c.query_row(
        "SELECT COUNT(*) FROM events WHERE aggregate_type IN ('Request', 'RequestBoard')",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn located(r: &reqwest::Response, prefix: &str) -> String {
    let l = r.headers()["location"].to_str().unwrap();
    l.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("redirected to {prefix}…: {l}"))
        .to_string()
}

async fn new_folder(s: &Session, name: &str) -> String {
    let r = s.post_form("/requests/folders", &[("name", name)]).await;
    assert_eq!(r.status().as_u16(), 303, "folder {name}");
    located(&r, "/requests?folder=")
}

fn texts(page: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn ids(page: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("data-id").map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_from_the_card_is_scheduled_worked_by_its_installer_and_handed_over_to_a_registration(
) {
    let app = spawn_app().await;
    seed_subscriber(&app).await;
    let desk = app.login_as(Role::Noc).await;
    app.create_user("montazh_ivan", Role::Installer).await;
    app.create_user("montazh_oleg", Role::Installer).await;
    let folder = new_folder(&desk, "Новые подключения").await;

    // The card offers a new request, which comes filled in.
    let (_, card) = desk.get_text(&format!("/subscribers/{SUB}")).await;
    assert!(
        card.contains(&format!("/requests/new?subscriber_id={SUB}")),
        "{card}"
    );
    let (status, form) = desk
        .get_text(&format!("/requests/new?subscriber_id={SUB}"))
        .await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"value="petrov_a""#), "{form}");
    assert!(form.contains(r#"value="+79161234567""#), "{form}");

    // Bad input: each field named, nothing recorded.
    let before = request_events(&app);
    for (fields, field) in [
        (vec![("name", ""), ("address", "x")], "name"),
        (vec![("name", "Иванов"), ("phone", "12-34")], "phone"),
        (vec![("name", "Иванов"), ("sn", "XYZ")], "sn"),
        (vec![("name", "Иванов"), ("port", "0/a/1")], "port"),
        (vec![("name", "Иванов"), ("folder", "f-nowhere")], "folder"),
    ] {
        let r = desk.post_form("/requests", &fields).await;
        assert_eq!(r.status().as_u16(), 422, "{field}");
        let page = r.text().await.unwrap();
        assert!(field_error(&page, field).is_some(), "{field}: {page}");
    }
    assert_eq!(request_events(&app), before, "bad input records nothing");

    let open = |name: &'static str| {
        let folder = folder.clone();
        let desk = &desk;
        async move {
            let r = desk
                .post_form(
                    "/requests",
                    &[
                        ("name", name),
                        ("subscriber_id", SUB),
                        ("login", "petrov_a"),
                        ("address", "Московская 5а, кв. 12"),
                        ("phone", "8 916 123-45-67"),
                        ("area", "Центр"),
                        ("sn", "48575443-CCB59A20"),
                        ("port", "0/ 1/3"),
                        ("folder", &folder),
                        ("message", "Хочет 500 Мбит, дома после 18"),
                    ],
                )
                .await;
            assert_eq!(r.status().as_u16(), 303, "{name}");
            located(&r, "/requests/")
        }
    };
    let id = open("Подключение: Петров").await;
    let other = open("Подключение: Петров (дача)").await;
    let unassigned = open("Подключение: сосед").await;

    let (_, page) = desk.get_text(&format!("/requests/{id}")).await;
    assert!(
        page.contains("Хочет 500 Мбит"),
        "the first message is the thread: {page}"
    );
    assert!(page.contains("для всех"), "the old default label: {page}");
    let (_, board) = desk.get_text(&format!("/requests?folder={folder}")).await;
    assert_eq!(
        ids(&board, "#request-list .request-card"),
        vec![id.clone(), other.clone(), unassigned.clone()],
        "new requests go to the end of their folder"
    );

    // Label, installer, visit; past the cap of the area the day warns.
    let r = desk
        .post_form(
            &format!("/requests/{id}/label"),
            &[("text", "Для Ивана"), ("colour", "dodgerblue")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = desk
        .post_form(
            &format!("/requests/{id}/label"),
            &[("text", "x"), ("colour", "hotpink")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422, "a colour outside the palette");
    let r = desk
        .post_form(
            "/requests/settings/caps",
            &[("area", "центр"), ("cap", "1")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = desk
        .post_form("/requests/settings/caps", &[("area", ""), ("cap", "many")])
        .await;
    assert_eq!(r.status().as_u16(), 422, "a cap is a number");
    let today = ispmon::requests::today().to_string();
    for (rid, from, to) in [(&id, "10:00", "12:00"), (&other, "14:00", "16:00")] {
        let r = desk
            .post_form(
                &format!("/requests/{rid}/installer"),
                &[("installer", "montazh_ivan")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        let r = desk
            .post_form(
                &format!("/requests/{rid}/visit"),
                &[("date", &today), ("from", from), ("to", to)],
            )
            .await;
        let status = r.status().as_u16();
        let page = r.text().await.unwrap();
        if rid == &id {
            assert_eq!(status, 303, "the first visit is within the cap");
        } else {
            assert_eq!(status, 200);
            let warning = texts(&page, "#cap-warning").join(" ");
            assert!(
                warning.contains("montazh_ivan") && warning.contains("cap is 1"),
                "the second visit of the day in Центр is past the cap: {page}"
            );
        }
    }
    let r = desk
        .post_form(
            &format!("/requests/{id}/visit"),
            &[("date", "31.12.2026"), ("from", "18:00"), ("to", "09:00")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(field_error(&page, "date").is_some(), "{page}");
    let r = desk
        .post_form(
            &format!("/requests/{id}/installer"),
            &[("installer", "nobody_here")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422, "an installer is a user");

    // A checklist from a template.
    let r = desk
        .post_form(
            "/requests/settings/templates",
            &[
                ("name", "GPON"),
                (
                    "items",
                    "Протянуть кабель\nУстановить ONT\nПроверить скорость",
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = desk
        .post_form(
            &format!("/requests/{id}/checklist"),
            &[("template", "GPON")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = desk
        .post_form(
            &format!("/requests/{id}/checklist"),
            &[("template", "ADSL")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422, "no such template");

    // The installer's day: their visits in order, not the board, not others'.
    let ivan = app.login("montazh_ivan", PASSWORD).await;
    assert_eq!(ivan.get("/requests").await.status().as_u16(), 403);
    assert_eq!(ivan.get("/requests/settings").await.status().as_u16(), 403);
    let (status, day) = ivan.get_text("/visits").await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&day, "#visit-list .visit"),
        vec![id.clone(), other.clone()]
    );
    assert!(day.contains("yandex.ru/maps/?text="), "a map link: {day}");
    assert_eq!(
        ivan.get(&format!("/requests/{unassigned}"))
            .await
            .status()
            .as_u16(),
        403,
        "another's request"
    );
    let r = ivan
        .post_form(
            &format!("/requests/{unassigned}/messages"),
            &[("body", "я тут")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = ivan
        .post_form(
            &format!("/requests/{id}/label"),
            &[("text", "x"), ("colour", "red")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403, "labels are the desk's");

    let (_, page) = ivan.get_text(&format!("/requests/{id}")).await;
    assert_eq!(texts(&page, "#request-checklist li").len(), 3, "{page}");
    let r = ivan
        .post_form(&format!("/requests/{id}/checklist/0"), &[("done", "1")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = ivan
        .post_form(&format!("/requests/{id}/checklist/7"), &[("done", "1")])
        .await;
    assert_eq!(r.status().as_u16(), 422, "no such item");
    let r = ivan
        .post_form(
            &format!("/requests/{id}/messages"),
            &[("body", "На месте, тяну кабель")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"the ONT on the wall");
    let part = reqwest::multipart::Part::bytes(png)
        .file_name("ont.png")
        .mime_str("image/png")
        .unwrap();
    let r = ivan
        .client
        .post(format!(
            "{}/requests/{id}/attachments?_csrf={}",
            ivan.base, ivan.csrf
        ))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = ivan
        .post_form(&format!("/requests/{id}/status"), &[("status", "done")])
        .await;
    assert_eq!(r.status().as_u16(), 303);

    let (_, page) = ivan.get_text(&format!("/requests/{id}")).await;
    assert_eq!(texts(&page, "#request-status"), vec!["done"]);
    assert!(
        page.contains("ont.png") && page.contains("На месте, тяну кабель"),
        "{page}"
    );
    assert!(
        texts(&page, "#request-checklist li")
            .iter()
            .any(|t| t.starts_with('☑')),
        "{page}"
    );

    // Done offers the registration, pre-filled; starting it keeps the link.
    let (_, page) = desk.get_text(&format!("/requests/{id}")).await;
    let doc = scraper::Html::parse_document(&page);
    let href = doc
        .select(&scraper::Selector::parse("#handover a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_else(|| panic!("done offers the registration: {page}"))
        .to_string();
    assert!(
        href.starts_with("/gpon/register?")
            && href.contains("sn=48575443CCB59A20")
            && href.contains("port=0%2F1%2F3")
            && href.contains(&format!("request_id={id}"))
            && href.contains("name=petrov_a"),
        "{href}"
    );
    let (status, register) = desk.get_text(&href).await;
    assert_eq!(status, 200);
    assert!(
        register.contains(&format!(r#"name="request_id" value="{id}""#)),
        "{register}"
    );
    assert!(
        register.contains(r#"value="48575443CCB59A20""#),
        "{register}"
    );
    ispmon::requests::link_registration(&app.state, &id, "job-from-request", &app.meta())
        .await
        .unwrap();
    let (_, page) = desk.get_text(&format!("/requests/{id}")).await;
    assert!(texts(&page, "#request-registration")
        .join("")
        .contains("job-from-request"));
    assert!(
        !page.contains(r#"id="handover""#),
        "once linked the offer is gone: {page}"
    );

    // The card lists the subscriber's requests; the dashboard counts them.
    let (_, card) = desk.get_text(&format!("/subscribers/{SUB}")).await;
    assert_eq!(texts(&card, "#subscriber-requests li").len(), 3, "{card}");
    let (_, home) = desk.get_text("/").await;
    assert!(
        texts(&home, "#today-visits tr")
            .iter()
            .any(|t| t.contains("montazh_ivan")),
        "{home}"
    );
    assert_eq!(
        texts(&home, "#stat-requests .n"),
        vec!["1"],
        "the unassigned one awaits its reply: {home}"
    );

    // The API reads what the pages did.
    let token = desk.api_token("requests").await;
    let (status, v) = api_call(
        &app.base,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/requests/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], json!("done"));
    assert_eq!(v["label"], json!("Для Ивана"));
    assert_eq!(v["colour"], json!("DodgerBlue"));
    assert_eq!(v["installer"], json!("montazh_ivan"));
    assert_eq!(v["registration_job"], json!("job-from-request"));
    assert_eq!(v["checklist"][0]["done"], json!(true));
    assert_eq!(v["messages"].as_array().unwrap().len(), 2);
    let (status, v) = api_call(
        &app.base,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/requests?installer=montazh_ivan&visit_date={today}&status=any"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["total"], json!(2));
}

async fn api(
    app: &TestApp,
    token: &str,
    m: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    api_call(&app.base, token, m, path, body).await
}

async fn order(app: &TestApp, token: &str, folder: &str) -> Vec<String> {
    let (status, v) = api(
        app,
        token,
        reqwest::Method::GET,
        &format!("/api/v1/requests?folder={folder}&status=any"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_users_reordering_at_once_lose_no_move_and_a_deleted_folder_hands_its_requests_on() {
    let app = spawn_app().await;
    let anna = app.login_as(Role::Noc).await;
    let boris = app.login_as(Role::Technician).await;
    let a = new_folder(&anna, "Частный сектор").await;
    let b = new_folder(&anna, "Многоэтажки").await;
    let (ta, tb) = (anna.api_token("a").await, boris.api_token("b").await);
    let mut id = std::collections::HashMap::new();
    for (name, folder) in [
        ("r0", &a),
        ("r1", &a),
        ("r2", &a),
        ("r3", &a),
        ("r4", &a),
        ("rb", &b),
    ] {
        let (status, v) = api(
            &app,
            &ta,
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(json!({"name": name, "address": "Садовая 1", "folder": folder})),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        id.insert(name, v["id"].as_str().unwrap().to_string());
    }
    assert_eq!(order(&app, &ta, &a).await, ["r0", "r1", "r2", "r3", "r4"]);

    // Anna puts r4 on top while Boris puts r0 after r2: both land.
    let mv = |token: &str, who: &str, body: Value| {
        let (base, token, path) = (
            app.base.clone(),
            token.to_string(),
            format!("/api/v1/requests/{}/move", id[who]),
        );
        async move { api_call(&base, &token, reqwest::Method::POST, &path, Some(body)).await }
    };
    let (x, y) = tokio::join!(
        mv(&ta, "r4", json!({"folder": a, "position": 0})),
        mv(&tb, "r0", json!({"folder": a, "after": id["r2"]})),
    );
    assert_eq!((x.0, y.0), (200, 200), "{x:?} {y:?}");
    assert_eq!(order(&app, &ta, &a).await, ["r4", "r1", "r2", "r0", "r3"]);

    // Both into the same gap at once (right after r4): both land there.
    let (x, y) = tokio::join!(
        mv(&ta, "r3", json!({"folder": a, "after": id["r4"]})),
        mv(&tb, "r2", json!({"folder": a, "after": id["r4"]})),
    );
    assert_eq!((x.0, y.0), (200, 200), "{x:?} {y:?}");
    let now = order(&app, &ta, &a).await;
    assert_eq!(now[0], "r4");
    let mut gap = now[1..3].to_vec();
    gap.sort();
    assert_eq!(gap, ["r2", "r3"], "{now:?}");
    assert_eq!(now[3..], ["r1", "r0"], "nobody else moved: {now:?}");

    // Bad moves are refused and change nothing.
    let before = request_events(&app);
    for body in [
        json!({"folder": "f-nowhere"}),
        json!({"folder": a, "after": id["rb"]}),
        json!({"folder": a, "after": id["r1"], "position": "x"}),
    ] {
        let (status, v) = mv(&ta, "r1", body.clone()).await;
        assert!(matches!(status, 400 | 422), "{body}: {status} {v}");
    }
    let (status, _) = mv(&ta, "r1", json!({"folder": a, "after": id["r1"]})).await;
    assert_eq!(status, 422, "after itself");
    assert_eq!(request_events(&app), before);
    assert_eq!(order(&app, &ta, &a).await, now);

    // Deleting a folder asks where its requests go; they go there in order.
    let (status, page) = anna.get_text(&format!("/requests/folders/{a}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="move_to""#), "{page}");
    let r = anna
        .post_form(&format!("/requests/folders/{a}/delete"), &[("move_to", &a)])
        .await;
    assert_eq!(r.status().as_u16(), 422, "not into itself");
    let r = anna
        .post_form(
            &format!("/requests/folders/{a}/delete"),
            &[("move_to", "f-nowhere")],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        422,
        "not into a folder that is not there"
    );
    assert_eq!(
        request_events(&app),
        before,
        "refused deletions change nothing"
    );
    let r = anna
        .post_form(&format!("/requests/folders/{a}/delete"), &[("move_to", &b)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let mut expected = vec!["rb".to_string()];
    expected.extend(now.iter().cloned());
    assert_eq!(order(&app, &ta, &b).await, expected);
    let (_, board) = anna.get_text("/requests").await;
    assert!(
        !board.contains("Частный сектор"),
        "the folder is gone: {board}"
    );
    // Each request itself moved, not only its row: a rebuild agrees.
    let (status, v) = api(
        &app,
        &ta,
        reqwest::Method::GET,
        &format!("/api/v1/requests/{}", id["r0"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["folder"], json!(b));
    assert!(
        v["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["what"] == json!(format!("moved to folder {b}"))),
        "{v}"
    );
    let out = ispmon(&["verify"], app.data.path());
    assert!(
        out.status.success(),
        "a fresh replay gives the same board: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
