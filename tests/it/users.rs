//! Admin user management, the account page, the audit pages, languages.

use ispmon_events::values::Role;

use crate::common::*;

fn select_text(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>())
        .collect()
}

#[tokio::test]
async fn admin_creates_a_user_through_the_htmx_form_and_gets_a_fragment() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let r = admin
        .post_htmx(
            "/admin/users",
            &[
                ("login", "Olga"),
                ("role", "noc"),
                ("locale", "ru"),
                ("password", "olga-password"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<html"), "htmx gets a fragment");
    assert!(html.contains("User created. olga"));
    assert!(html.contains(r#"data-login="olga""#));
    let olga = app.login("olga", "olga-password").await;
    let (_, home) = olga.get_text("/").await;
    assert!(
        home.contains("Добро пожаловать"),
        "olga's language is Russian"
    );
}

#[tokio::test]
async fn bad_user_input_gets_field_messages_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    app.create_user("taken", Role::Noc).await;
    let before = app.event_count();
    // The form, the field whose message is expected, the message.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            &[
                ("login", "1bad"),
                ("role", "noc"),
                ("password", "long-enough-1"),
            ],
            "login",
            "login must start with a letter",
        ),
        (
            &[
                ("login", "a b"),
                ("role", "noc"),
                ("password", "long-enough-1"),
            ],
            "login",
            "login may contain only",
        ),
        (
            &[
                ("login", "fine"),
                ("role", "boss"),
                ("password", "long-enough-1"),
            ],
            "role",
            "unknown role",
        ),
        (
            &[("login", "fine"), ("role", "noc"), ("password", "short")],
            "password",
            "at least 8 characters",
        ),
        (
            &[
                ("login", "fine"),
                ("role", "noc"),
                ("locale", "de"),
                ("password", "long-enough-1"),
            ],
            "locale",
            "unknown language",
        ),
        (
            &[
                ("login", "Taken"),
                ("role", "noc"),
                ("password", "long-enough-1"),
            ],
            "login",
            "already taken",
        ),
    ];
    for (fields, field, message) in cases {
        let r = admin.post_htmx("/admin/users", fields).await;
        assert_eq!(r.status().as_u16(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        let shown = field_error(&html, field);
        assert!(
            shown.as_deref().is_some_and(|m| m.contains(message)),
            "{fields:?}: expected '{message}' next to the {field} field, found {shown:?}"
        );
    }
    assert_eq!(app.event_count(), before);
    let (_, page) = admin.get_text("/admin/users").await;
    assert!(!page.contains(r#"data-login="fine""#));
}

#[tokio::test]
async fn admin_changes_role_disables_enables_and_resets_a_password() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_user("anna", Role::Noc).await;
    let r = admin
        .post_htmx(&format!("/admin/users/{id}/role"), &[("role", "auditor")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = admin
        .post_htmx(&format!("/admin/users/{id}/role"), &[("role", "auditor")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("already has this role"));
    let r = admin
        .post_htmx(&format!("/admin/users/{id}/password"), &[("password", "x")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("at least 8 characters"));
    let r = admin
        .post_htmx(
            &format!("/admin/users/{id}/password"),
            &[("password", "new-anna-password")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let anna = app.login("anna", "new-anna-password").await;
    assert_eq!(
        anna.get("/audit/events").await.status().as_u16(),
        200,
        "auditor now"
    );
    admin
        .post_htmx(&format!("/admin/users/{id}/disable"), &[])
        .await;
    let (_, list) = admin.get_text("/admin/users?q=ann").await;
    let row = select_text(&list, r#"#users-table tr[data-login="anna"]"#);
    assert!(
        row.len() == 1 && row[0].contains("disabled"),
        "anna's row says disabled: {row:?}"
    );
    let r = admin
        .post_htmx(&format!("/admin/users/{id}/disable"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("already disabled"));
    admin
        .post_htmx(&format!("/admin/users/{id}/enable"), &[])
        .await;
    app.login("anna", "new-anna-password").await;
    let r = admin.get("/admin/users/no-such-user").await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn admin_cannot_disable_themself() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.user_id("admin").await;
    let before = app.event_count();
    let r = admin
        .post_htmx(&format!("/admin/users/{id}/disable"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("cannot disable yourself"));
    assert_eq!(app.event_count(), before);
}

#[tokio::test]
async fn the_user_list_searches_sorts_and_pages() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    for i in 0..55 {
        app.create_user(&format!("user{i:02}"), Role::Installer)
            .await;
    }
    let (_, page1) = admin.get_text("/admin/users").await;
    assert_eq!(select_text(&page1, "#users-table tbody tr").len(), 50);
    assert!(page1.contains("1 / 2"));
    let (_, page2) = admin.get_text("/admin/users?page=2").await;
    assert_eq!(select_text(&page2, "#users-table tbody tr").len(), 6);
    let (_, found) = admin.get_text("/admin/users?q=user5").await;
    assert_eq!(select_text(&found, "#users-table tbody tr").len(), 5);
    let (_, none) = admin.get_text("/admin/users?q=zzz").await;
    assert!(none.contains("No users match."));
}

#[tokio::test]
async fn a_user_changes_language_and_password() {
    let app = spawn_app().await;
    app.create_user("tech", Role::Technician).await;
    let tech = app.login("tech", PASSWORD).await;
    let r = tech.post_form("/account/locale", &[("locale", "ru")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = tech.get_text("/account").await;
    assert!(page.contains("Мой профиль"));
    let r = tech.post_form("/account/locale", &[("locale", "fr")]).await;
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "locale");
    assert!(
        shown
            .as_deref()
            .is_some_and(|m| m.contains("unknown language")),
        "next to the language: {shown:?}"
    );

    let r = tech
        .post_htmx(
            "/account/password",
            &[("current", "wrong"), ("password", "brand-new-pass")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    // In the user's language (Russian since the change above).
    let shown = field_error(&r.text().await.unwrap(), "current");
    assert_eq!(
        shown.as_deref(),
        Some("Текущий пароль неверен."),
        "next to the current password"
    );
    let r = tech
        .post_htmx(
            "/account/password",
            &[("current", PASSWORD), ("password", "brand-new-pass")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let mut again = app.anonymous();
    assert_eq!(again.log_in("tech", PASSWORD).await.status().as_u16(), 401);
    app.login("tech", "brand-new-pass").await;
}

#[tokio::test]
async fn the_anonymous_login_page_follows_accept_language() {
    let app = spawn_app().await;
    let r = client()
        .get(format!("{}/login", app.base))
        .header("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Войти"));
}

#[tokio::test]
async fn the_change_log_filters_and_masks_secrets() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_user("anna", Role::Noc).await;
    admin
        .post_form(
            &format!("/admin/users/{id}/role"),
            &[("role", "technician")],
        )
        .await;
    let auditor = app.login_as(Role::Auditor).await;

    let (status, all) = auditor.get_text("/audit/events").await;
    assert_eq!(status, 200);
    assert!(all.contains("UserRoleChanged"));
    assert!(all.contains("•••"), "password references are masked");

    let (_, by_type) = auditor
        .get_text("/audit/events?event_type=UserRoleChanged")
        .await;
    let rows = select_text(&by_type, "table.events tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("admin") && rows[0].contains("technician"));

    let (_, by_actor) = auditor.get_text("/audit/events?actor=admin").await;
    let doc = scraper::Html::parse_document(&by_actor);
    let who = scraper::Selector::parse("table.events tbody tr span.who").unwrap();
    let actors: Vec<String> = doc
        .select(&who)
        .map(|e| e.text().next().unwrap_or_default().trim().to_string())
        .collect();
    assert!(!actors.is_empty(), "the admin's events are listed");
    assert!(actors.iter().all(|a| a == "admin"), "{actors:?}");

    let (_, by_entity) = auditor
        .get_text(&format!(
            "/audit/events?aggregate_type=User&aggregate_id={id}"
        ))
        .await;
    assert_eq!(select_text(&by_entity, "table.events tbody tr").len(), 2);

    let (_, future) = auditor.get_text("/audit/events?from=2999-01-01").await;
    assert!(future.contains("No events match."));
    let (_, bad) = auditor.get_text("/audit/events?from=yesterday").await;
    assert!(bad.contains("is not a date and time"));
}

#[tokio::test]
async fn the_change_log_pages_backwards() {
    let app = spawn_app().await;
    for i in 0..60 {
        app.create_user(&format!("p{i:02}"), Role::Noc).await;
    }
    let auditor = app.login_as(Role::Auditor).await;
    let (_, first) = auditor.get_text("/audit/events").await;
    let doc = scraper::Html::parse_document(&first);
    let next = doc
        .select(&scraper::Selector::parse("a[rel=next]").unwrap())
        .next()
        .expect("an Older link")
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    let (_, second) = auditor.get_text(&next).await;
    let seqs = |html: &str| -> Vec<u64> {
        let d = scraper::Html::parse_document(html);
        d.select(&scraper::Selector::parse("tr[data-seq]").unwrap())
            .map(|e| e.value().attr("data-seq").unwrap().parse().unwrap())
            .collect()
    };
    let (a, b) = (seqs(&first), seqs(&second));
    assert_eq!(a.len(), 50);
    assert!(
        a.iter().min() > b.iter().max(),
        "older page holds older events"
    );
}

#[tokio::test]
async fn the_timeline_shows_field_diffs_and_state_as_of_rebuilds_the_past() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_user("anna", Role::Noc).await;
    let between = ispmon_events::store::now_rfc3339();
    admin
        .post_form(&format!("/admin/users/{id}/role"), &[("role", "auditor")])
        .await;
    let auditor = app.login_as(Role::Auditor).await;

    let (status, timeline) = auditor.get_text(&format!("/audit/entity/User/{id}")).await;
    assert_eq!(status, 200);
    let diffs = select_text(&timeline, "table.diff tbody tr");
    assert!(
        diffs
            .iter()
            .any(|r| r.contains("role") && r.contains("noc") && r.contains("auditor")),
        "{diffs:?}"
    );
    assert!(!timeline.contains("$argon2"));

    let (_, past) = auditor
        .get_text(&format!(
            "/audit/state?kind=User&id={id}&at={}",
            urlencoding::encode(&between)
        ))
        .await;
    let rows = select_text(&past, "#state-table tr");
    assert!(
        rows.iter().any(|r| r.contains("role") && r.contains("noc")),
        "{rows:?}"
    );
    let (_, now) = auditor
        .get_text(&format!("/audit/state?kind=User&id={id}"))
        .await;
    assert!(select_text(&now, "#state-table tr")
        .iter()
        .any(|r| r.contains("role") && r.contains("auditor")));
    let (_, before_birth) = auditor
        .get_text(&format!("/audit/state?kind=User&id={id}&at=2000-01-01"))
        .await;
    assert!(before_birth.contains("did not exist"));
    assert_eq!(
        auditor.get("/audit/entity/Nope/x").await.status().as_u16(),
        404
    );
}

#[tokio::test]
async fn bad_input_on_every_form_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_user("anna", Role::Noc).await;
    let before = app.event_count();
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/admin/users/{id}/role"), vec![("role", "emperor")]),
        (format!("/admin/users/{id}/role"), vec![("role", "noc")]),
        (
            format!("/admin/users/{id}/password"),
            vec![("password", "short")],
        ),
        (format!("/admin/users/{id}/enable"), vec![]),
        (
            "/admin/users/no-such-id/role".to_string(),
            vec![("role", "admin")],
        ),
        ("/account/locale".to_string(), vec![("locale", "klingon")]),
        (
            "/account/password".to_string(),
            vec![("current", "wrong"), ("password", "long-enough-1")],
        ),
        (
            "/account/password".to_string(),
            vec![("current", ADMIN_PASSWORD), ("password", "short")],
        ),
        ("/account/tokens".to_string(), vec![("name", "   ")]),
        (
            "/account/tokens/0000000000000000/revoke".to_string(),
            vec![],
        ),
        ("/admin/sessions/no-such-session/revoke".to_string(), vec![]),
    ];
    for (path, fields) in &cases {
        let r = admin.post_htmx(path, fields).await;
        let status = r.status().as_u16();
        assert!(
            matches!(status, 404 | 422),
            "{path} {fields:?} answered {status}"
        );
        assert_eq!(
            app.event_count(),
            before,
            "{path} {fields:?} appended events"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_of_one_user_each_get_an_answer_and_nothing_is_lost() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let admin = std::sync::Arc::new(admin);
    let before = app.event_count();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            let locale = if i % 2 == 0 { "ru" } else { "en" };
            let r = admin
                .post_form("/account/locale", &[("locale", locale)])
                .await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            (status, body)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            303 => ok += 1,
            409 => assert!(
                body.contains("reload") || body.contains("обновите"),
                "a conflict says to reload: {body}"
            ),
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!(
        app.event_count(),
        before + ok,
        "one event per success, none for conflicts"
    );
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_disabled() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let admin_id = app.user_id("admin").await;
    let before = app.event_count();
    let r = admin
        .post_htmx(&format!("/admin/users/{admin_id}/role"), &[("role", "noc")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("last active admin"));
    assert_eq!(app.event_count(), before);
    app.create_user("second", Role::Admin).await;
    let r = admin
        .post_htmx(&format!("/admin/users/{admin_id}/role"), &[("role", "noc")])
        .await;
    assert_eq!(r.status().as_u16(), 200, "another admin exists now");
}
