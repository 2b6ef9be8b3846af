//! The emulated helpdesk: pages in the facts' shapes, behind the login,
//! controls, and the faults a scraper must notice.

use super::*;

fn tickets_in_list(page: &str) -> usize {
    page.matches("<tbody>").count() + page.matches("<TBODY>").count()
}

#[tokio::test]
async fn the_helpdesk_lists_shows_and_takes_replies_and_closes_behind_the_login() {
    let (_, s) = demo(21).await;
    let ids = s.seed_helpdesk(3);
    assert_eq!(ids.len(), 3);
    let c = client();

    // Without a session: the login form in place.
    let page = get(&c, &s, "/cabinet/helpdesk").await;
    assert!(page.body.contains("cab_password"), "{}", page.body);

    log_in(&c, &s).await;
    let list = get(&c, &s, "/cabinet/helpdesk").await;
    assert!(list.body.contains("<table id=\"stat_table\""));
    assert_eq!(tickets_in_list(&list.body), 3, "{}", list.body);
    let first = s.helpdesk_ticket(ids[0]).unwrap();
    assert!(list
        .body
        .contains(&format!("?id={}\">{}</a>", first.id, first.id)));
    assert!(list.body.contains("Открыто"));
    assert_eq!(first.status, HelpdeskStatus::Open);
    let subscriber = s.subscriber_by_id(first.subscriber_id.unwrap()).unwrap();
    assert_eq!(
        first.subject, subscriber.display_name,
        "the address is the subject"
    );

    let one = get(&c, &s, &format!("/cabinet/helpdesk?id={}", first.id)).await;
    let plain = text(&one.body);
    assert!(one.body.contains("class=\"hdsk_main\""));
    assert!(
        plain.contains(&format!("(Заявка №{})", first.id)),
        "{plain}"
    );
    assert!(plain.contains(&first.messages[0].at));

    // A reply, in cp1251, is taken and shown; the status moves.
    let body = format!(
        "text={}",
        encode_form_value("Проверим линию сегодня & перезвоним")
    );
    let answer = post(&c, &s, &format!("/cabinet/helpdesk?id={}", first.id), body).await;
    assert_eq!(answer.status, 200);
    assert!(text(&answer.body).contains("Проверим линию сегодня & перезвоним"));
    let after = s.helpdesk_ticket(first.id).unwrap();
    assert_eq!(after.messages.len(), 2);
    assert_eq!(after.messages[1].sender, STAFF_SENDER);
    assert_eq!(after.status, HelpdeskStatus::AwaitingReply);

    // Close.
    post(
        &c,
        &s,
        &format!("/cabinet/helpdesk?id={}", first.id),
        "status=10".into(),
    )
    .await;
    assert_eq!(
        s.helpdesk_ticket(first.id).unwrap().status,
        HelpdeskStatus::Closed
    );
    let posts = s.helpdesk_posts();
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|p| p.taken && p.ticket_id == first.id));
    assert_eq!(posts[1].what, PostedWhat::Close);

    // Bad posts change nothing.
    let empty = post(
        &c,
        &s,
        &format!("/cabinet/helpdesk?id={}", ids[1]),
        "text=+".into(),
    )
    .await;
    assert!(empty.body.contains("ideco_error"));
    let unknown = post(&c, &s, "/cabinet/helpdesk?id=1", "status=10".into()).await;
    assert!(unknown.body.contains("ideco_error"));
    assert_eq!(s.helpdesk_ticket(ids[1]).unwrap().messages.len(), 1);
    assert_eq!(s.helpdesk_posts().len(), 2);
}

#[tokio::test]
async fn a_ticket_is_created_for_the_selected_subscriber() {
    let (_, s) = demo(22).await;
    let c = client();
    log_in(&c, &s).await;
    let who = s.subscribers()[3].clone();

    // No subscriber selected yet: refused.
    let body = format!("subj=x&text={}", encode_form_value("нет связи"));
    let refused = post(&c, &s, "/cabinet/helpdesk", body.clone()).await;
    assert!(refused.body.contains("ideco_error"));
    assert!(s.helpdesk_tickets().is_empty());

    let form = get(&c, &s, &format!("/cabinet/helpdesk?filter_id={}", who.id)).await;
    assert!(form.body.contains("name=\"subj\""), "{}", form.body);
    let body = format!(
        "subj={}&text={}",
        encode_form_value(&who.display_name),
        encode_form_value("Нет связи\r\nс утра")
    );
    let page = post(&c, &s, "/cabinet/helpdesk", body).await;
    let t = &s.helpdesk_tickets()[0];
    assert_eq!(page.url, "/cabinet/helpdesk", "redirected to the ticket");
    assert!(text(&page.body).contains(&format!("Заявка №{}", t.id)));
    assert_eq!(t.subscriber_id, Some(who.id));
    assert_eq!(t.messages[0].text, "Нет связи\nс утра");
    assert_eq!(t.messages[0].sender, who.display_name);
}

#[tokio::test]
async fn spoiled_posts_answer_200_without_taking_effect_then_work() {
    let (_, s) = demo(23).await;
    let id = s.seed_helpdesk(1)[0];
    let c = client();
    log_in(&c, &s).await;
    let path = format!("/cabinet/helpdesk?id={id}");
    s.set_faults(Faults {
        helpdesk: Some(HelpdeskFault {
            kind: HelpdeskFaultKind::ErrorText,
            count: Some(1),
        }),
        ..Faults::default()
    });
    let a = post(&c, &s, &path, "text=one".into()).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("ideco_error"));
    s.set_faults(Faults {
        helpdesk: Some(HelpdeskFault {
            kind: HelpdeskFaultKind::NotTaken,
            count: Some(1),
        }),
        ..Faults::default()
    });
    let b = post(&c, &s, &path, "status=10".into()).await;
    assert_eq!(b.status, 200);
    assert!(!b.body.contains("ideco_error"));
    assert_eq!(s.helpdesk_ticket(id).unwrap().status, HelpdeskStatus::Open);
    // The count is spent: the next post is taken.
    post(&c, &s, &path, "text=two".into()).await;
    let t = s.helpdesk_ticket(id).unwrap();
    assert_eq!(
        t.messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()[1..],
        ["two"]
    );
    let taken: Vec<bool> = s.helpdesk_posts().iter().map(|p| p.taken).collect();
    assert_eq!(taken, [false, false, true]);

    // 500s and expiry reach the helpdesk too.
    s.set_faults(Faults {
        server_errors: Some(ServerErrors {
            kind: Some(PathKind::Helpdesk),
            every: 1,
            count: Some(1),
        }),
        ..Faults::default()
    });
    assert_eq!(get(&c, &s, "/cabinet/helpdesk").await.status, 500);
    assert_eq!(get(&c, &s, "/cabinet/helpdesk").await.status, 200);
    s.drop_sessions();
    assert!(get(&c, &s, &path).await.body.contains("cab_password"));
    assert!(s.counters().of(PathKind::Helpdesk) >= 6);
}

#[tokio::test]
async fn billing_side_messages_show_in_the_thread_and_move_the_status() {
    let (_, s) = demo(24).await;
    let id = s.seed_helpdesk(1)[0];
    assert!(s.add_helpdesk_message(id, "Оператор Иванова", "Мастер будет <завтра>", true));
    assert_eq!(
        s.helpdesk_ticket(id).unwrap().status,
        HelpdeskStatus::AwaitingReply
    );
    assert!(s.add_helpdesk_message(id, "Абонент", "Спасибо", false));
    assert_eq!(s.helpdesk_ticket(id).unwrap().status, HelpdeskStatus::Open);
    assert!(!s.add_helpdesk_message(1, "x", "y", false));
    let c = client();
    log_in(&c, &s).await;
    let page = get(&c, &s, &format!("/cabinet/helpdesk?id={id}")).await;
    assert!(
        page.body.contains("Мастер будет &lt;завтра&gt;"),
        "{}",
        page.body
    );
    assert_eq!(
        page.body.matches("<div>").count() + page.body.matches("<DIV>").count(),
        3
    );
}
