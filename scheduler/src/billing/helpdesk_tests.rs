use super::*;

const LIST: &str = "<html><body><div id=\"content\">\r\n<h2>Техподдержка</h2>\r\n\
<TABLE id=\"stat_table\" class=\"hdsk\">\r\n\
<thead><tr><th>Дата</th><th>№</th><th>Тема</th><th>Автор</th><th>Статус</th></tr></thead>\r\n\
<tbody>\r\n<tr class=\"row0\">\r\n\t<td>04.08.2024 19:29:31</td>\r\n\
\t<td><a href=\"/cabinet/helpdesk?id=83154\">83154</a></td>\r\n\
\t<td><a title=\"Открыть\" href=\"/cabinet/helpdesk?id=83154\">Московская 5&nbsp;а</a></td>\r\n\
\t<td>Московская 5 а</td>\r\n\t<td><font color=red> Открыто </font></td>\r\n</tr>\r\n</tbody>\r\n\
<TBODY><TR><TD>05.08.2024 09:00:01</TD><TD><A HREF=\"/cabinet/helpdesk?foo=1&amp;id=83157\">#83157</A></TD>\
<TD><A HREF=\"/cabinet/helpdesk?id=83157\">Ленина 1 &lt;офис&gt;</A></TD><TD></TD>\
<TD><span style=\"color:orange\">Ожидает\n ответа</span></TD></TR></TBODY>\r\n\
<tbody><tr><td>06.08.2024 10:00:00</td><td><a href=\"?id=83160\">83160</a></td><td><a>Мира 3</a></td><td>x</td><td>Закрыто</td></tr></tbody>\
</TABLE></div></body></html>";

#[test]
fn the_list_is_read_by_meaning_whatever_its_markup() {
    let rows = parse_helpdesk_list(LIST, "/cabinet/helpdesk").unwrap();
    assert_eq!(
        rows,
        vec![
            HelpdeskEntry {
                id: "83154".into(),
                date: "04.08.2024 19:29:31".into(),
                subject: "Московская 5 а".into(),
                status: HelpdeskStatus::Open,
            },
            HelpdeskEntry {
                id: "83157".into(),
                date: "05.08.2024 09:00:01".into(),
                subject: "Ленина 1 <офис>".into(),
                status: HelpdeskStatus::AwaitingReply,
            },
            HelpdeskEntry {
                id: "83160".into(),
                date: "06.08.2024 10:00:00".into(),
                subject: "Мира 3".into(),
                status: HelpdeskStatus::Closed,
            },
        ]
    );
}

#[test]
fn an_empty_list_is_empty_and_a_page_without_the_table_is_an_error() {
    let empty = "<table id=\"stat_table\"><thead><tr><th>Дата</th></tr></thead></table>";
    assert_eq!(
        parse_helpdesk_list(empty, "/cabinet/helpdesk").unwrap(),
        vec![]
    );
    let e = parse_helpdesk_list(
        "<div class=\"ideco_error\">Нет доступа</div>",
        "/cabinet/helpdesk",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "/cabinet/helpdesk: unexpected page: no table#stat_table (the ticket list)"
    );
    let short = "<table id=\"stat_table\"><tr><td>1</td><td>2</td></tr></table>";
    let e = parse_helpdesk_list(short, "/cabinet/helpdesk").unwrap_err();
    assert!(e.to_string().contains("five cells in row 1"), "{e}");
    let no_id = "<table id=\"stat_table\"><tr><td>d</td><td>—</td><td>s</td><td></td><td>Открыто</td></tr></table>";
    let e = parse_helpdesk_list(no_id, "/cabinet/helpdesk").unwrap_err();
    assert!(e.to_string().contains("a ticket id link in row 1"), "{e}");
}

const TICKET: &str = "<html><body>\r\n<div class=\"path\"><a href=\"/cabinet/helpdesk\">Техподдержка</a></div>\r\n\
<div class=\"hdsk_main\">\r\n<h1>Московская 5а (Заявка №83154)</h1>\r\n\
<p class=\"hdsk_status\">Статус: <b>Ожидает ответа</b></p>\r\n<ul>\r\n\
<li><div>Нет интернета &amp; телефона<br>\r\nс утра &laquo;совсем&raquo;<br>\r\n\
<span class=\"hdsk_sender\">Московская 5а&nbsp;04.08.2024 19:29:31</span></div></li>\r\n\
<LI class=\"hdsk_staff\"><DIV>Проверим линию.<BR>\n<BR>\nМастер придёт завтра.<br>\n<i>Техподдержка 05.08.2024 09:10:00</i>\n</DIV></LI>\r\n\
<li><div>Спасибо<br>Московская 5а 05.08.2024 10:00:00<br>\n</div></li>\r\n\
</ul>\r\n</div></body></html>";

#[test]
fn a_thread_is_read_with_its_senders_times_and_line_breaks() {
    let t = parse_helpdesk_ticket(TICKET, "/cabinet/helpdesk?id=83154", "83154").unwrap();
    assert_eq!(t.id, "83154");
    assert_eq!(t.subject, "Московская 5а");
    assert_eq!(t.status, Some(HelpdeskStatus::AwaitingReply));
    let got: Vec<(&str, &str, &str)> = t
        .messages
        .iter()
        .map(|m| (m.sender.as_str(), m.at.as_str(), m.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Московская 5а",
                "04.08.2024 19:29:31",
                "Нет интернета & телефона\nс утра «совсем»"
            ),
            (
                "Техподдержка",
                "05.08.2024 09:10:00",
                "Проверим линию.\n\nМастер придёт завтра."
            ),
            ("Московская 5а", "05.08.2024 10:00:00", "Спасибо"),
        ]
    );
    // Stable ids: the same page gives the same ids, different messages differ.
    let again = parse_helpdesk_ticket(TICKET, "p", "83154").unwrap();
    assert_eq!(t.messages, again.messages);
    assert_eq!(
        t.messages[2].id,
        message_id("83154", "Московская 5а", "05.08.2024 10:00:00", "Спасибо")
    );
    assert_ne!(t.messages[0].id, t.messages[2].id);
    assert_eq!(t.messages[0].id.len(), 32);
}

#[test]
fn the_same_words_twice_in_the_same_second_are_two_messages_with_their_own_ids() {
    let li = "<li><div>Спасибо\nМосковская 5а 05.08.2024 10:00:00</div></li>";
    let page = format!(
        "<div class=\"hdsk_main\"><h1>Московская 5а (Заявка №83154)</h1><ul>{li}{li}{li}</ul></div>"
    );
    let t = parse_helpdesk_ticket(&page, "p", "83154").unwrap();
    let ids: Vec<&str> = t.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids[0],
        message_id("83154", "Московская 5а", "05.08.2024 10:00:00", "Спасибо")
    );
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    // Stable: the thread read again (and grown) gives the same ids.
    let more = page.replace(
        "</ul>",
        "<li><div>Ещё\nТехподдержка 05.08.2024 10:01:00</div></li></ul>",
    );
    let again = parse_helpdesk_ticket(&more, "p", "83154").unwrap();
    assert_eq!(&again.messages[..3], &t.messages[..]);
}

#[test]
fn a_ticket_page_lacking_its_parts_names_what_is_missing() {
    let page = "/cabinet/helpdesk?id=83154";
    let cases = [
        ("<div class=\"ideco_error\">Заявка не найдена</div>", "div.hdsk_main"),
        ("<div class=\"hdsk_main\"><ul></ul></div>", "<h1>"),
        ("<div class=\"hdsk_main\"><h1>Московская 5а</h1></div>", "ticket number"),
        (
            "<div class=\"hdsk_main\"><h1>X (Заявка №83155)</h1></div>",
            "ticket 83154 (the page shows ticket 83155)",
        ),
        (
            "<div class=\"hdsk_main\"><h1>X (Заявка №83154)</h1><ul><li><div>текст<br>без даты</div></li></ul></div>",
            "the sender and date line of message 1",
        ),
    ];
    for (html, missing) in cases {
        let e = parse_helpdesk_ticket(html, page, "83154").unwrap_err();
        assert!(e.to_string().starts_with(page), "{e}");
        assert!(e.to_string().contains(missing), "{missing}: {e}");
    }
    // A ticket without messages yet is no error.
    let bare = "<div class=\"hdsk_main\"><h1>X (Заявка № 83154)</h1></div>";
    let t = parse_helpdesk_ticket(bare, page, "83154").unwrap();
    assert!(t.messages.is_empty());
    assert_eq!(t.status, None);
}

#[test]
fn statuses_are_read_in_russian_and_an_error_box_is_found() {
    assert_eq!(HelpdeskStatus::parse(" ОТКРЫТО "), HelpdeskStatus::Open);
    assert_eq!(HelpdeskStatus::parse("Закрыта"), HelpdeskStatus::Closed);
    assert_eq!(
        HelpdeskStatus::parse("В  работе"),
        HelpdeskStatus::Other("В работе".into())
    );
    assert_eq!(
        page_error("<div class=\"ideco_error\"> Ошибка базы\nданных </div>").as_deref(),
        Some("Ошибка базы данных")
    );
    assert_eq!(page_error(TICKET), None);
    assert!(same_text("a \r\n b ", "a\nb"));
    assert!(!same_text("a b", "ab"));
}

/// The scraper against the emulated cabinet of `sim/`.
mod against_the_emulator {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use ispmon_sim::billing::{
        self as sim, BillingConfig, BillingServer, Faults, HelpdeskFault, HelpdeskFaultKind,
        PathKind, PostedWhat, ServerErrors,
    };
    use ispmon_sim::{Population, PopulationSize};

    use crate::billing::{BillingError, BillingSource, CabinetConfig, CabinetSource};

    async fn cabinet() -> (BillingServer, CabinetSource) {
        let pop = Population::generate(31, PopulationSize::demo());
        let server = sim::start(&pop, BillingConfig::for_population(&pop))
            .await
            .unwrap();
        let mut config = CabinetConfig::new(server.url(""), "admin", "carbon-secret");
        config.backoff = Duration::from_millis(1);
        (server, CabinetSource::new(config).unwrap())
    }

    #[tokio::test]
    async fn tickets_and_threads_are_read_and_a_reply_is_checked_in_the_thread() {
        let (s, src) = cabinet().await;
        let ids = s.seed_helpdesk(3);
        let list = src.helpdesk_list().await.unwrap();
        assert_eq!(list.len(), 3);
        let id = ids[0].to_string();
        let t = src.helpdesk_ticket(&id).await.unwrap();
        let want = s.helpdesk_ticket(ids[0]).unwrap();
        assert_eq!(t.subject, want.subject);
        assert_eq!(t.messages.len(), 1);
        assert_eq!(t.messages[0].text, want.messages[0].text);
        assert_eq!(t.messages[0].sender, want.messages[0].sender);

        let m = src
            .helpdesk_reply(&id, "Мастер придёт\nзавтра", &BTreeSet::new())
            .await
            .unwrap();
        assert_eq!(m.sender, sim::STAFF_SENDER);
        // Asked again (a retry after a lost answer): not sent twice.
        let again = src
            .helpdesk_reply(&id, "Мастер придёт\r\nзавтра", &BTreeSet::new())
            .await
            .unwrap();
        assert_eq!(again, m);
        // The same words once more, the first reply recorded as ours: a
        // second reply, posted and found as a message of its own.
        let ours: BTreeSet<String> = [m.id.clone()].into();
        let second = src
            .helpdesk_reply(&id, "Мастер придёт\nзавтра", &ours)
            .await
            .unwrap();
        assert_ne!(second.id, m.id);
        let thread = src.helpdesk_ticket(&id).await.unwrap();
        assert_eq!(thread.messages.len(), 3, "{thread:?}");
        src.helpdesk_close(&id).await.unwrap();
        src.helpdesk_close(&id).await.unwrap();
        let posts = s.helpdesk_posts();
        assert_eq!(posts.len(), 3, "{posts:?}");
        assert_eq!(posts[2].what, PostedWhat::Close);

        // A create for a subscriber.
        let who = s.subscribers()[5].clone();
        let created = src
            .helpdesk_create(&who.id.to_string(), "Проверка", "Нет связи")
            .await
            .unwrap();
        assert_eq!(created.subject, "Проверка");
        assert_eq!(
            s.helpdesk_ticket(created.id.parse().unwrap())
                .unwrap()
                .subscriber_id,
            Some(who.id)
        );
    }

    #[tokio::test]
    async fn a_post_answering_200_without_effect_or_with_an_error_is_a_failure() {
        let (s, src) = cabinet().await;
        let id = s.seed_helpdesk(1)[0].to_string();
        for kind in [HelpdeskFaultKind::NotTaken, HelpdeskFaultKind::ErrorText] {
            s.set_faults(Faults {
                helpdesk: Some(HelpdeskFault {
                    kind,
                    count: Some(1),
                }),
                ..Faults::default()
            });
            let e = src
                .helpdesk_reply(&id, "ответ", &BTreeSet::new())
                .await
                .unwrap_err();
            match kind {
                HelpdeskFaultKind::NotTaken => {
                    assert!(matches!(e, BillingError::NotTaken { .. }), "{e}")
                }
                HelpdeskFaultKind::ErrorText => {
                    assert!(matches!(e, BillingError::Refused { .. }), "{e}");
                    assert!(e.to_string().contains("Ошибка базы данных"), "{e}");
                }
            }
        }
        s.set_faults(Faults {
            helpdesk: Some(HelpdeskFault {
                kind: HelpdeskFaultKind::NotTaken,
                count: Some(1),
            }),
            ..Faults::default()
        });
        let e = src.helpdesk_close(&id).await.unwrap_err();
        assert!(e.to_string().contains("did not take the close"), "{e}");
        // The faults are spent: both go through, each taken once.
        src.helpdesk_reply(&id, "ответ", &BTreeSet::new())
            .await
            .unwrap();
        src.helpdesk_close(&id).await.unwrap();
        let taken: Vec<bool> = s.helpdesk_posts().iter().map(|p| p.taken).collect();
        assert_eq!(taken, [false, false, false, true, true]);
    }

    #[tokio::test]
    async fn a_500_on_a_post_is_not_repeated_and_an_expired_session_logs_in_again() {
        let (s, src) = cabinet().await;
        let id = s.seed_helpdesk(1)[0].to_string();
        src.helpdesk_list().await.unwrap();
        s.drop_sessions();
        // Expired: logs in again and reads.
        assert_eq!(src.helpdesk_ticket(&id).await.unwrap().messages.len(), 1);
        assert_eq!(s.counters().logins, 2);
        // The 2nd helpdesk request from now on (the post) answers 500 once.
        s.set_faults(Faults {
            server_errors: Some(ServerErrors {
                kind: Some(PathKind::Helpdesk),
                every: 2,
                count: Some(1),
            }),
            ..Faults::default()
        });
        let e = src
            .helpdesk_reply(&id, "ответ", &BTreeSet::new())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            BillingError::Http {
                page: format!("/cabinet/helpdesk?id={id}"),
                status: 500
            }
        );
        assert!(
            s.helpdesk_posts().is_empty(),
            "the 500 came before the post was taken"
        );
        // A bad id is refused before anything is asked.
        let before = s.counters().requests;
        assert!(src.helpdesk_ticket("12; drop").await.is_err());
        assert!(src.helpdesk_reply("", "x", &BTreeSet::new()).await.is_err());
        assert_eq!(s.counters().requests, before);
    }
}
