use super::*;
use crate::sla::default_policies;

#[test]
fn a_ticket_that_waited_overnight_is_due_later_by_its_wait() {
    let cal = Calendar::default();
    let policy = default_policies()[&Priority::Normal]; // 4 h / 24 h
    let mut t = state(vec![opened()]); // Monday 10:00
    decided(&mut t, comment("смотрим", false, None, msk(7, 10, 30)));
    decided(
        &mut t,
        status(TicketStatus::WaitingSubscriber, msk(7, 16, 0)),
    );
    assert_eq!(t.pauses, vec![(msk(7, 16, 0), None)]);
    let waiting = t.sla(&cal, &policy, msk(8, 10, 0));
    assert_eq!(
        waiting,
        SlaState {
            first_response_due: Some(msk(7, 14, 0)),
            resolution_due: None,
            first_response_breached: false,
            resolution_breached: false,
            paused: true,
        },
        "while the subscriber is awaited the due time is not known"
    );
    decided(&mut t, status(TicketStatus::InProgress, msk(8, 12, 0)));
    assert_eq!(t.pauses, vec![(msk(7, 16, 0), Some(msk(8, 12, 0)))]);
    // Six hours ran on Monday; 18 are left from Tuesday noon: Tuesday 6,
    // Wednesday 9, Thursday 3.
    let resumed = t.sla(&cal, &policy, msk(8, 13, 0));
    assert_eq!(resumed.resolution_due, Some(msk(10, 12, 0)));
    assert!(!resumed.paused && !resumed.resolution_breached);
    assert!(
        t.sla(&cal, &policy, msk(10, 12, 1)).resolution_breached,
        "unresolved past the due time"
    );
    decided(&mut t, status(TicketStatus::Resolved, msk(10, 11, 0)));
    let resolved = t.sla(&cal, &policy, msk(14, 9, 0));
    assert!(
        !resolved.resolution_breached,
        "resolved in time stays in time"
    );
    assert_eq!(t.resolved_at, Some(msk(10, 11, 0)));
}

#[test]
fn a_late_first_response_is_breached_and_an_unopened_ticket_has_no_sla() {
    let cal = Calendar::default();
    let policy = default_policies()[&Priority::Urgent]; // 30 min / 4 h
    let mut t = state(vec![opened()]);
    assert!(t.sla(&cal, &policy, msk(7, 10, 31)).first_response_breached);
    decided(&mut t, status(TicketStatus::InProgress, msk(7, 11, 0)));
    let sla = t.sla(&cal, &policy, msk(7, 11, 1));
    assert_eq!(sla.first_response_due, Some(msk(7, 10, 30)));
    assert!(sla.first_response_breached && !sla.resolution_breached);
    assert_eq!(
        Ticket::default().sla(&cal, &policy, msk(7, 11, 0)),
        SlaState {
            first_response_due: None,
            resolution_due: None,
            first_response_breached: false,
            resolution_breached: false,
            paused: false,
        }
    );
    assert!(crate::registry::kind("Ticket").is_some());
}

#[test]
fn every_event_and_the_state_survive_the_store_as_json() {
    let mut t = state(vec![opened()]);
    let mut events = vec![opened()];
    let mut edited = details();
    edited.login = None;
    for c in [
        TicketCommand::Edit {
            details: edited,
            at: msk(7, 10, 1),
        },
        TicketCommand::Assign {
            assignee: Some("u-1".into()),
            at: msk(7, 10, 2),
        },
        comment("звонил с 8 916 123-45-67", true, Some("m-9"), msk(7, 10, 3)),
        status(TicketStatus::WaitingParts, msk(7, 10, 4)),
        TicketCommand::Attach {
            blob: "0f".repeat(32),
            name: "акт.pdf".into(),
            size: 1,
            content_type: "application/pdf".into(),
            at: msk(7, 10, 5),
        },
    ] {
        events.extend(decided(&mut t, c));
    }
    let types: Vec<String> = events.iter().map(DomainEvent::event_type).collect();
    assert_eq!(
        types,
        [
            "TicketOpened",
            "TicketEdited",
            "TicketAssigned",
            "TicketCommented",
            "TicketStatusChanged",
            "TicketFirstResponded",
            "TicketAttachmentAdded"
        ]
    );
    for e in &events {
        let json = serde_json::to_string(e).unwrap();
        assert_eq!(
            &serde_json::from_str::<TicketEvent>(&json).unwrap(),
            e,
            "{json}"
        );
    }
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Ticket>(&json).unwrap(), t);
    assert!(json.contains("\"waiting-parts\""), "{json}");
}

#[tokio::test]
async fn a_ticket_goes_through_the_event_store_and_the_registry_folds_it() {
    use crate::store::{Durability, EventStore, SqliteRepository};
    use crate::{Metadata, Source};
    use cqrs_es::persist::PersistedEventStore;
    use cqrs_es::{AggregateError, CqrsFramework};

    let dir = tempfile::tempdir().unwrap();
    let store = EventStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
    let fw = CqrsFramework::<Ticket, _>::new(
        PersistedEventStore::new_aggregate_store(SqliteRepository::new(store.clone())),
        vec![],
        (),
    );
    let meta = Metadata::system(Source::Scheduler, "billing-sync").to_map();
    let import = || comment("не работает", true, Some("m-1"), msk(7, 10, 1));
    for c in [
        TicketCommand::Open {
            details: details(),
            source: TicketSource::Billing {
                billing_ticket_id: "4711".into(),
            },
            at: msk(7, 10, 0),
        },
        import(),
        comment("едем", false, None, msk(7, 10, 20)),
        status(TicketStatus::WaitingParts, msk(7, 11, 0)),
    ] {
        fw.execute_with_metadata("t-1", c, meta.clone())
            .await
            .unwrap();
    }
    let again = fw
        .execute_with_metadata("t-1", import(), meta.clone())
        .await;
    assert!(
        matches!(
            again,
            Err(AggregateError::UserError(TicketError::Unchanged))
        ),
        "the import ran twice and wrote the comment once"
    );
    fw.execute_with_metadata("t-1", comment("ждём ONT", false, None, msk(7, 11, 5)), meta)
        .await
        .unwrap();
    let stored = store.aggregate_events("Ticket", "t-1", None).await.unwrap();
    assert_eq!(
        stored.len(),
        6,
        "opened, three comments, first response, waiting"
    );
    let TicketEvent::TicketCommented { comment_id, .. } = stored[5].decode().unwrap() else {
        panic!("a comment last");
    };
    assert_eq!(comment_id, 2, "a reloaded ticket counts each comment once");
    let states = (crate::registry::kind("Ticket").unwrap().fold)(&stored).unwrap();
    let last: Ticket = serde_json::from_value(states.last().unwrap().clone()).unwrap();
    assert_eq!(last.comments, 3);
    assert_eq!(last.first_response_at, Some(msk(7, 10, 20)));
    assert_eq!(last.pauses, vec![(msk(7, 11, 0), None)]);
    assert_eq!(last.status, TicketStatus::WaitingParts);
}
