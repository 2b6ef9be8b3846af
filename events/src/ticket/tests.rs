use super::*;
use chrono::{Duration, TimeZone};
use cqrs_es::test::TestFramework;

use crate::DomainError;

/// The SLA, JSON and event-store round trips.
mod lifecycle;

/// A Moscow wall-clock time in the week of Monday 7 December 2026.
fn msk(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, h, m, 0).unwrap() - Duration::hours(3)
}

fn details() -> TicketDetails {
    TicketDetails {
        subscriber_id: Some("10423".into()),
        login: Some("r637_12".into()),
        address: "Московская 5 а, кв. 12".into(),
        phone: Some("+79161234567".into()),
        problem: "нет линка после грозы".into(),
        category: "no-link".into(),
        priority: Priority::Normal,
        links: TicketLinks {
            port: Some("sw-moskovskaya-5 Gi0/5".into()),
            ont_id: None,
            host_id: None,
        },
    }
}

fn opened() -> TicketEvent {
    TicketEvent::TicketOpened {
        details: details(),
        source: TicketSource::Staff,
        at: msk(7, 10, 0),
    }
}

fn state(events: Vec<TicketEvent>) -> Ticket {
    let mut t = Ticket::default();
    for e in events {
        t.apply(e);
    }
    t
}

fn decided(t: &mut Ticket, c: TicketCommand) -> Vec<TicketEvent> {
    let events = t.decide(c).unwrap();
    for e in events.clone() {
        t.apply(e);
    }
    events
}

fn status(to: TicketStatus, at: DateTime<Utc>) -> TicketCommand {
    TicketCommand::ChangeStatus { to, note: None, at }
}

fn comment(body: &str, imported: bool, id: Option<&str>, at: DateTime<Utc>) -> TicketCommand {
    TicketCommand::Comment {
        body: body.into(),
        author: if imported { "Абонент" } else { "anna" }.into(),
        imported,
        billing_comment_id: id.map(str::to_string),
        at,
    }
}

fn fields(e: TicketError) -> Vec<&'static str> {
    e.field_errors().into_iter().map(|(f, _)| f).collect()
}

#[test]
fn the_transition_table_allows_exactly_these_pairs() {
    use TicketStatus::*;
    let allowed_pairs = [
        (Open, InProgress),
        (Open, WaitingSubscriber),
        (Open, WaitingParts),
        (Open, Resolved),
        (Open, Closed),
        (InProgress, Open),
        (InProgress, WaitingSubscriber),
        (InProgress, WaitingParts),
        (InProgress, Resolved),
        (InProgress, Closed),
        (WaitingSubscriber, Open),
        (WaitingSubscriber, InProgress),
        (WaitingSubscriber, Resolved),
        (WaitingSubscriber, Closed),
        (WaitingParts, Open),
        (WaitingParts, InProgress),
        (WaitingParts, Resolved),
        (WaitingParts, Closed),
        (Resolved, Open),
        (Resolved, InProgress),
        (Resolved, Closed),
        (Closed, Open),
    ];
    for from in TicketStatus::ALL {
        for to in TicketStatus::ALL {
            assert_eq!(
                allowed(from, to),
                allowed_pairs.contains(&(from, to)),
                "{from} → {to}"
            );
        }
    }
}

#[test]
fn statuses_and_priorities_read_as_the_pages_write_them() {
    let names: Vec<String> = TicketStatus::ALL
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "open",
            "in-progress",
            "waiting-subscriber",
            "waiting-parts",
            "resolved",
            "closed"
        ]
    );
    assert!(TicketStatus::ALL
        .iter()
        .all(|s| s.as_str() == s.to_string()));
    assert_eq!(
        TicketStatus::ALL.map(TicketStatus::is_waiting),
        [false, false, true, true, false, false]
    );
    assert_eq!(
        serde_json::to_string(&Priority::Urgent).unwrap(),
        "\"urgent\""
    );
    assert!(Priority::Low < Priority::Normal && Priority::High < Priority::Urgent);
    assert_eq!(Priority::default(), Priority::Normal);
}

#[test]
fn a_ticket_opens_once_with_tidy_details_and_a_normalised_phone() {
    let mut typed = details();
    typed.phone = Some(" 8 (916) 123-45-67 ".into());
    typed.problem = "  нет линка после грозы\n".into();
    typed.links.ont_id = Some("  ".into());
    TestFramework::<Ticket>::with(())
        .given_no_previous_events()
        .when(TicketCommand::Open {
            details: typed,
            source: TicketSource::Staff,
            at: msk(7, 10, 0),
        })
        .then_expect_events(vec![opened()]);
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(TicketCommand::Open {
            details: details(),
            source: TicketSource::Staff,
            at: msk(7, 11, 0),
        })
        .then_expect_error(TicketError::AlreadyOpened);
    TestFramework::<Ticket>::with(())
        .given_no_previous_events()
        .when(comment("есть кто?", false, None, msk(7, 11, 0)))
        .then_expect_error(TicketError::NotOpened);
    assert_eq!(
        Ticket::default().decide(TicketCommand::Open {
            details: details(),
            source: TicketSource::Billing {
                billing_ticket_id: " ".into()
            },
            at: msk(7, 10, 0),
        }),
        Err(TicketError::Invalid(vec![(
            "billing_ticket_id",
            "the billing's ticket id".into()
        )]))
    );
}

#[test]
fn bad_details_are_refused_field_by_field_and_write_nothing() {
    let mut bad = details();
    bad.problem = " ".into();
    bad.address = "д".repeat(MAX_ADDRESS + 1);
    bad.phone = Some("8 916 123".into());
    bad.category = "нет линка!".into();
    bad.login = Some("x".repeat(MAX_LOGIN + 1));
    let expected = vec!["problem", "address", "category", "phone", "login"];
    let err = Ticket::default()
        .decide(TicketCommand::Open {
            details: bad.clone(),
            source: TicketSource::Staff,
            at: msk(7, 10, 0),
        })
        .unwrap_err();
    assert_eq!(fields(err), expected);
    let t = state(vec![opened()]);
    let before = t.clone();
    let err = t
        .decide(TicketCommand::Edit {
            details: bad,
            at: msk(7, 11, 0),
        })
        .unwrap_err();
    assert_eq!(fields(err), expected);
    assert_eq!(t, before);
    let mut long = details();
    long.problem = "ж".repeat(MAX_PROBLEM + 1);
    long.category = String::new();
    let err = t
        .decide(TicketCommand::Edit {
            details: long,
            at: msk(7, 11, 0),
        })
        .unwrap_err();
    assert_eq!(fields(err), vec!["problem", "category"]);
}

#[test]
fn an_edit_writes_only_the_fields_it_changed() {
    let mut edited = details();
    edited.priority = Priority::Urgent;
    edited.links.ont_id = Some("olt-1:48575443CCB59A20".into());
    edited.phone = Some("8-903-000-11-22".into());
    let changes = TicketChanges {
        priority: Some(Change {
            from: Priority::Normal,
            to: Priority::Urgent,
        }),
        ont_id: Some(Change {
            from: None,
            to: Some("olt-1:48575443CCB59A20".into()),
        }),
        phone: Some(Change {
            from: Some("+79161234567".into()),
            to: Some("+79030001122".into()),
        }),
        ..TicketChanges::default()
    };
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(TicketCommand::Edit {
            details: edited.clone(),
            at: msk(7, 11, 0),
        })
        .then_expect_events(vec![TicketEvent::TicketEdited {
            changes: changes.clone(),
            at: msk(7, 11, 0),
        }]);
    let json = serde_json::to_value(&changes).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["ont_id", "phone", "priority"],
        "unchanged fields are not written"
    );
    let mut t = state(vec![opened()]);
    t.apply(TicketEvent::TicketEdited {
        changes,
        at: msk(7, 11, 0),
    });
    assert_eq!(t.details, Some(edited.tidy()));
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(TicketCommand::Edit {
            details: details(),
            at: msk(7, 11, 0),
        })
        .then_expect_error(TicketError::Unchanged);
}

#[test]
fn assigning_names_the_assignee_and_the_same_one_again_is_no_change() {
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(TicketCommand::Assign {
            assignee: Some(" u-17 ".into()),
            at: msk(7, 10, 5),
        })
        .then_expect_events(vec![TicketEvent::TicketAssigned {
            assignee: Some("u-17".into()),
            at: msk(7, 10, 5),
        }]);
    let assigned = TicketEvent::TicketAssigned {
        assignee: Some("u-17".into()),
        at: msk(7, 10, 5),
    };
    TestFramework::<Ticket>::with(())
        .given(vec![opened(), assigned.clone()])
        .when(TicketCommand::Assign {
            assignee: Some("u-17".into()),
            at: msk(7, 10, 6),
        })
        .then_expect_error(TicketError::Unchanged);
    TestFramework::<Ticket>::with(())
        .given(vec![opened(), assigned])
        .when(TicketCommand::Assign {
            assignee: Some("".into()),
            at: msk(7, 10, 7),
        })
        .then_expect_events(vec![TicketEvent::TicketAssigned {
            assignee: None,
            at: msk(7, 10, 7),
        }]);
}

#[test]
fn the_first_move_out_of_open_is_the_first_response() {
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(TicketCommand::ChangeStatus {
            to: TicketStatus::InProgress,
            note: Some(" выехал ".into()),
            at: msk(7, 10, 20),
        })
        .then_expect_events(vec![
            TicketEvent::TicketStatusChanged {
                from: TicketStatus::Open,
                to: TicketStatus::InProgress,
                note: Some("выехал".into()),
                at: msk(7, 10, 20),
            },
            TicketEvent::TicketFirstResponded { at: msk(7, 10, 20) },
        ]);
    let mut t = state(vec![opened()]);
    decided(&mut t, status(TicketStatus::InProgress, msk(7, 10, 20)));
    decided(&mut t, status(TicketStatus::Open, msk(7, 10, 30)));
    assert_eq!(
        decided(&mut t, status(TicketStatus::Resolved, msk(7, 11, 0))).len(),
        1,
        "the first response is recorded once"
    );
    assert_eq!(t.first_response_at, Some(msk(7, 10, 20)));
    assert_eq!(
        t.decide(status(TicketStatus::Resolved, msk(7, 11, 5))),
        Err(TicketError::Unchanged)
    );
}

#[test]
fn a_closed_ticket_is_reopened_before_anything_else() {
    let mut t = state(vec![opened()]);
    decided(&mut t, status(TicketStatus::Resolved, msk(7, 12, 0)));
    decided(&mut t, status(TicketStatus::Closed, msk(7, 13, 0)));
    assert_eq!(t.resolved_at, Some(msk(7, 12, 0)), "resolved, then closed");
    let err = t
        .decide(status(TicketStatus::WaitingParts, msk(7, 14, 0)))
        .unwrap_err();
    assert_eq!(
        err,
        TicketError::Forbidden {
            from: TicketStatus::Closed,
            to: TicketStatus::WaitingParts
        }
    );
    assert_eq!(
        err.to_string(),
        "a closed ticket cannot go to waiting-parts; reopen it first"
    );
    decided(&mut t, status(TicketStatus::Open, msk(7, 14, 0)));
    assert_eq!(t.resolved_at, None, "a reopen clears it");
    let mut waiting = state(vec![opened()]);
    decided(
        &mut waiting,
        status(TicketStatus::WaitingSubscriber, msk(7, 11, 0)),
    );
    assert_eq!(
        waiting
            .decide(status(TicketStatus::WaitingParts, msk(7, 12, 0)))
            .unwrap_err()
            .to_string(),
        "a waiting-subscriber ticket cannot go to waiting-parts; take it in progress first"
    );
    let long = TicketCommand::ChangeStatus {
        to: TicketStatus::InProgress,
        note: Some("н".repeat(MAX_COMMENT + 1)),
        at: msk(7, 12, 0),
    };
    assert_eq!(fields(waiting.decide(long).unwrap_err()), vec!["note"]);
}

#[test]
fn comments_are_numbered_and_a_staff_comment_is_the_first_response() {
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(comment("  сейчас посмотрим ", false, None, msk(7, 10, 15)))
        .then_expect_events(vec![
            TicketEvent::TicketCommented {
                comment_id: 0,
                body: "сейчас посмотрим".into(),
                author: "anna".into(),
                imported: false,
                billing_comment_id: None,
                at: msk(7, 10, 15),
            },
            TicketEvent::TicketFirstResponded { at: msk(7, 10, 15) },
        ]);
    let mut t = state(vec![opened()]);
    let imported = decided(
        &mut t,
        comment("всё ещё нет", true, Some("m-1"), msk(7, 10, 1)),
    );
    assert_eq!(imported.len(), 1, "the subscriber's words are no response");
    let staff = decided(&mut t, comment("едем", false, None, msk(7, 10, 2)));
    assert!(matches!(
        staff.as_slice(),
        [
            TicketEvent::TicketCommented { comment_id: 1, .. },
            TicketEvent::TicketFirstResponded { .. }
        ]
    ));
    assert_eq!(
        decided(&mut t, comment("ещё", false, None, msk(7, 10, 3))).len(),
        1
    );
    assert_eq!(t.comments, 3);
    assert_eq!(
        fields(
            t.decide(comment(" ", false, None, msk(7, 11, 0)))
                .unwrap_err()
        ),
        vec!["body"]
    );
    let long = "к".repeat(MAX_COMMENT + 1);
    assert_eq!(
        fields(
            t.decide(comment(&long, false, None, msk(7, 11, 0)))
                .unwrap_err()
        ),
        vec!["body"]
    );
}

#[test]
fn an_imported_comment_is_taken_once() {
    let first = TicketEvent::TicketCommented {
        comment_id: 0,
        body: "не работает".into(),
        author: "Абонент".into(),
        imported: true,
        billing_comment_id: Some("m-1".into()),
        at: msk(7, 10, 1),
    };
    TestFramework::<Ticket>::with(())
        .given(vec![opened(), first.clone()])
        .when(comment("не работает", true, Some("m-1"), msk(7, 12, 0)))
        .then_expect_error(TicketError::Unchanged);
    TestFramework::<Ticket>::with(())
        .given(vec![opened(), first])
        .when(comment("и телевизор", true, Some("m-2"), msk(7, 12, 0)))
        .then_expect_events(vec![TicketEvent::TicketCommented {
            comment_id: 1,
            body: "и телевизор".into(),
            author: "Абонент".into(),
            imported: true,
            billing_comment_id: Some("m-2".into()),
            at: msk(7, 12, 0),
        }]);
}

#[test]
fn photos_and_pdfs_up_to_ten_mebibytes_are_attached_once() {
    let blob = "ab".repeat(32);
    let attach = |blob: &str, name: &str, size: u64, content_type: &str| TicketCommand::Attach {
        blob: blob.into(),
        name: name.into(),
        size,
        content_type: content_type.into(),
        at: msk(7, 15, 0),
    };
    let added = TicketEvent::TicketAttachmentAdded {
        blob: blob.clone(),
        name: "ont.jpg".into(),
        size: 812_000,
        content_type: "image/jpeg".into(),
        at: msk(7, 15, 0),
    };
    TestFramework::<Ticket>::with(())
        .given(vec![opened()])
        .when(attach(
            &blob.to_uppercase(),
            " ont.jpg ",
            812_000,
            "Image/JPEG",
        ))
        .then_expect_events(vec![added.clone()]);
    TestFramework::<Ticket>::with(())
        .given(vec![opened(), added])
        .when(attach(&blob, "again.jpg", 812_000, "image/jpeg"))
        .then_expect_error(TicketError::Unchanged);
    let t = state(vec![opened()]);
    assert!(t
        .decide(attach(&blob, "act.pdf", MAX_ATTACHMENT, "application/pdf"))
        .is_ok());
    let err = t
        .decide(attach(
            "nothex",
            &"n".repeat(MAX_FILE_NAME + 1),
            MAX_ATTACHMENT + 1,
            "application/zip",
        ))
        .unwrap_err();
    assert_eq!(fields(err), vec!["blob", "name", "size", "content_type"]);
    assert_eq!(
        fields(
            t.decide(attach(&blob, "../x.png", 0, "image/"))
                .unwrap_err()
        ),
        vec!["name", "size", "content_type"]
    );
}
