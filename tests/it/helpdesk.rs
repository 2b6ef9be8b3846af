//! The billing helpdesk both ways against the emulated cabinet of the
//! shared population: its tickets imported once (a second import writes
//! nothing), the subscriber suggested by the address and linked on
//! confirmation (a bad link changes nothing), a staff reply sent back and
//! checked — a post the cabinet did not take is shown on the ticket as
//! retrying, then sent exactly once — our reply not imported back, the
//! same words in a later reply sent as a second one, and a close here
//! closing the ticket there.

use std::time::Duration;

use chrono::Utc;
use ispmon_projections::ticket_billing::{self, SendRow};
use ispmon_sim::billing::{Faults, HelpdeskFault, HelpdeskFaultKind, HelpdeskStatus, PostedWhat};
use reqwest::Method;
use serde_json::Value;

use crate::common::*;
use crate::subscribers::{world, World};

async fn import(w: &World) -> Value {
    let (status, v) = w
        .api(Method::POST, "/api/v1/billing/helpdesk/sync", None)
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn sends(w: &World, id: &str) -> Vec<SendRow> {
    let id = id.to_string();
    w.app
        .state
        .core
        .views
        .read(move |c| ticket_billing::sends(c, &id))
        .await
        .unwrap()
}

/// An import now writes nothing: our replies are not taken back as theirs.
async fn import_takes_nothing_back(w: &World) {
    let tickets = w.app.events_of("Ticket");
    let after = import(w).await;
    assert_eq!(after["comments"].as_u64(), Some(0), "{after}");
    assert_eq!(w.app.events_of("Ticket"), tickets);
}

/// Posts a staff comment on ticket `tid`; its number.
async fn comment(w: &World, tid: &str, body: &str) -> u64 {
    let r = w
        .admin
        .post_form(&format!("/tickets/{tid}/comments"), &[("body", body)])
        .await;
    assert_eq!(r.status(), 303);
    let (_, t) = w
        .api(Method::GET, &format!("/api/v1/tickets/{tid}"), None)
        .await;
    t["comments"]
        .as_array()
        .and_then(|c| c.iter().rev().find(|c| c["body"] == body))
        .and_then(|c| c["n"].as_u64())
        .unwrap_or_else(|| panic!("the comment: {t}"))
}

/// The state of the send `what` (`reply-N`, `close`) of ticket `id`.
async fn send_state(w: &World, id: &str, what: &str) -> Option<String> {
    sends(w, id)
        .await
        .into_iter()
        .find(|s| s.what == what)
        .map(|s| s.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_tickets_are_imported_once_and_replies_and_closes_reach_billing_checked() {
    let w = world().await;
    w.configure().await;
    w.sync().await;
    let ids = w.cabinet.seed_helpdesk(3);
    assert_eq!(ids.len(), 3);

    // The import, then one with nothing new: no event.
    let first = import(&w).await;
    assert_eq!(
        (first["listed"].as_u64(), first["opened"].as_u64()),
        (Some(3), Some(3)),
        "{first}"
    );
    let tickets = w.app.events_of("Ticket");
    let again = import(&w).await;
    assert_eq!(
        (
            again["opened"].as_u64(),
            again["comments"].as_u64(),
            again["status_changes"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(w.app.events_of("Ticket"), tickets);

    // The ticket: its problem the subscriber's first message, its billing
    // number shown, and the subscriber suggested from the address.
    let bid = ids[0];
    let tid = format!("billing-{bid}");
    let theirs = w.cabinet.helpdesk_ticket(bid).unwrap();
    let sub = theirs.subscriber_id.unwrap().to_string();
    let (status, t) = w
        .api(Method::GET, &format!("/api/v1/tickets/{tid}"), None)
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["problem"], theirs.messages[0].text.trim(), "{t}");
    assert!(t["subscriber_id"].is_null(), "{t}");
    let (status, page) = w.admin.get_text(&format!("/tickets/{tid}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("№{bid}")), "{page}");
    assert!(
        page.contains(&format!(r#"data-billing-id="{sub}""#)),
        "the subscriber is suggested: {page}"
    );

    // A link to nobody is refused and changes nothing; the suggestion links.
    let before = w.app.event_count();
    let r = w
        .admin
        .post_form(
            &format!("/tickets/{tid}/subscriber"),
            &[("billing_id", "no-such-one")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("choose a subscriber known from billing"),
        "{page}"
    );
    assert_eq!(w.app.event_count(), before);
    let r = w
        .admin
        .post_form(
            &format!("/tickets/{tid}/subscriber"),
            &[("billing_id", &sub)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, t) = w
        .api(Method::GET, &format!("/api/v1/tickets/{tid}"), None)
        .await;
    assert_eq!(t["subscriber_id"], sub.as_str(), "{t}");
    assert!(t["login"].as_str().is_some_and(|l| !l.is_empty()), "{t}");

    // A reply the cabinet answers 200 to but does not take: shown as
    // retrying, the cabinet's thread unchanged.
    let outbox = ispmon::helpdesk::Outbox::new(&w.app.state);
    w.cabinet.set_faults(Faults {
        helpdesk: Some(HelpdeskFault {
            kind: HelpdeskFaultKind::NotTaken,
            count: Some(1),
        }),
        ..w.cabinet.faults()
    });
    let reply = "Мастер придёт завтра с 10 до 12";
    let n = comment(&w, &tid, reply).await;
    let key = format!("reply-{n}");
    assert!(
        eventually(Duration::from_secs(20), || async {
            outbox.run_once().await.unwrap();
            send_state(&w, &tid, &key).await.as_deref() == Some(ticket_billing::RETRYING)
        })
        .await,
        "the failed send is recorded: {:?}",
        sends(&w, &tid).await
    );
    let (_, page) = w.admin.get_text(&format!("/tickets/{tid}")).await;
    assert!(
        page.contains("not sent to billing yet — retrying"),
        "{page}"
    );
    let in_thread = |w: &World| {
        w.cabinet
            .helpdesk_ticket(bid)
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.text == reply)
            .count()
    };
    assert_eq!(in_thread(&w), 0);
    // The dashboard lists the send that is not done, linked to its ticket.
    let (_, home) = w.admin.get_text("/").await;
    let unsent = home
        .split(r#"id="billing-unsent""#)
        .nth(1)
        .unwrap_or_else(|| panic!("no list of unsent replies: {home}"));
    assert!(
        unsent.contains(&format!(r#"href="/tickets/{tid}""#)) && unsent.contains("retrying"),
        "{unsent}"
    );

    // The retry, once due: sent, and once only however often it runs.
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(
        eventually(Duration::from_secs(20), || async {
            outbox.run_once_at(later).await.unwrap();
            send_state(&w, &tid, &key).await.as_deref() == Some(ticket_billing::SENT)
        })
        .await,
        "the retry is sent: {:?}",
        sends(&w, &tid).await
    );
    outbox
        .run_once_at(later + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(in_thread(&w), 1);
    let replies: Vec<bool> = w
        .cabinet
        .helpdesk_posts()
        .into_iter()
        .filter(|p| p.what == PostedWhat::Reply(reply.to_string()))
        .map(|p| p.taken)
        .collect();
    assert_eq!(
        replies,
        vec![false, true],
        "one spoiled post, then one taken"
    );
    let (_, page) = w.admin.get_text(&format!("/tickets/{tid}")).await;
    assert!(page.contains("sent to billing"), "{page}");
    let (_, home) = w.admin.get_text("/").await;
    assert!(
        !home.contains("billing-unsent"),
        "nothing left unsent: {home}"
    );

    // The next import does not take our reply back as theirs.
    import_takes_nothing_back(&w).await;

    // The same words again, later, are a second reply: sent, not taken for
    // the first one already in the thread.
    let second = comment(&w, &tid, reply).await;
    assert_ne!(second, n);
    let key2 = format!("reply-{second}");
    assert!(
        eventually(Duration::from_secs(20), || async {
            outbox.run_once().await.unwrap();
            send_state(&w, &tid, &key2).await.as_deref() == Some(ticket_billing::SENT)
        })
        .await,
        "the second reply is sent: {:?}",
        sends(&w, &tid).await
    );
    assert_eq!(in_thread(&w), 2, "both replies are in the billing's thread");
    let taken = w
        .cabinet
        .helpdesk_posts()
        .into_iter()
        .filter(|p| p.what == PostedWhat::Reply(reply.to_string()) && p.taken)
        .count();
    assert_eq!(taken, 2);
    import_takes_nothing_back(&w).await;

    // Closed here: closed there, checked, recorded.
    let r = w
        .admin
        .post_form(
            &format!("/tickets/{tid}/status"),
            &[("status", "closed"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        eventually(Duration::from_secs(20), || async {
            outbox.run_once().await.unwrap();
            send_state(&w, &tid, "close").await.as_deref() == Some(ticket_billing::SENT)
        })
        .await,
        "the close is sent: {:?}",
        sends(&w, &tid).await
    );
    assert_eq!(
        w.cabinet.helpdesk_ticket(bid).unwrap().status,
        HelpdeskStatus::Closed
    );
    // A ticket opened by staff sends nothing; the billing's others are untouched.
    for other in &ids[1..] {
        assert_eq!(
            w.cabinet.helpdesk_ticket(*other).unwrap().status,
            HelpdeskStatus::Open
        );
    }
    let closes = w
        .cabinet
        .helpdesk_posts()
        .into_iter()
        .filter(|p| p.what == PostedWhat::Close)
        .count();
    assert_eq!(closes, 1);

    // Reopened here and closed again: billing has no reopen and its ticket
    // is still closed, so nothing more is posted and nothing is left
    // waiting or retrying.
    for status in ["open", "closed"] {
        let r = w
            .admin
            .post_form(
                &format!("/tickets/{tid}/status"),
                &[("status", status), ("note", "")],
            )
            .await;
        assert_eq!(r.status(), 303, "{status}");
    }
    outbox
        .run_once_at(later + chrono::Duration::hours(4))
        .await
        .unwrap();
    let posts = w.cabinet.helpdesk_posts();
    assert_eq!(
        posts.iter().filter(|p| p.what == PostedWhat::Close).count(),
        1,
        "{posts:?}"
    );
    assert_eq!(
        w.cabinet.helpdesk_ticket(bid).unwrap().status,
        HelpdeskStatus::Closed
    );
    assert_eq!(
        send_state(&w, &tid, "close").await.as_deref(),
        Some(ticket_billing::SENT)
    );
    let (_, home) = w.admin.get_text("/").await;
    assert!(!home.contains("billing-unsent"), "{home}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billing_that_is_not_set_up_fails_the_import_with_a_reason_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as(ispmon_events::values::Role::Admin).await;
    let token = admin.api_token("hd").await;
    let before = app.event_count();
    let (status, v) = api_call(
        &app.base,
        &token,
        Method::POST,
        "/api/v1/billing/helpdesk/sync",
        None,
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("billing is not configured"), "{v}");
    assert_eq!(app.event_count(), before);
}
