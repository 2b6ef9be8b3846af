//! The tickets read model under changing SLA settings: a change recomputes
//! the open tickets (not the done ones), a ticket opened after it is judged
//! under it, and folding one event at a time or all at once gives the same
//! rows.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use cqrs_es::persist::SerializedEvent;
use cqrs_es::DomainEvent;
use ispmon_events::sla::{Calendar, Sla};
use ispmon_events::sla_settings::{SlaChange, SlaSettingsEvent};
use ispmon_events::ticket::{Priority, TicketDetails, TicketEvent, TicketSource, TicketStatus};
use ispmon_events::{Durability, EventStore, Metadata, Source};

use crate::runner::{apply_batch, open_views};

fn serialized<E: DomainEvent>(kind: &str, id: &str, seq: usize, e: &E) -> SerializedEvent {
    let meta: HashMap<String, String> = Metadata::system(Source::Cli, "test").to_map();
    SerializedEvent::new(
        id.into(),
        seq,
        kind.into(),
        e.event_type(),
        e.event_version(),
        serde_json::to_value(e).unwrap(),
        serde_json::to_value(meta).unwrap(),
    )
}

fn at(h: u32) -> chrono::DateTime<Utc> {
    // Tuesday; the default calendar is 09–18 at +180 (06–15 UTC).
    Utc.with_ymd_and_hms(2030, 3, 5, h, 0, 0).unwrap()
}

fn opened(priority: Priority, h: u32) -> TicketEvent {
    let details = TicketDetails {
        address: "Московская 5а".into(),
        problem: "no link".into(),
        category: "internet".into(),
        priority,
        ..Default::default()
    };
    let t = ispmon_events::ticket::Ticket::default();
    let mut events = t
        .decide(ispmon_events::ticket::TicketCommand::Open {
            details,
            source: TicketSource::Staff,
            at: at(h),
        })
        .unwrap();
    events.remove(0)
}

fn utc_calendar() -> SlaSettingsEvent {
    SlaSettingsEvent::SlaSettingsChanged(SlaChange {
        calendar: Some(Calendar {
            utc_offset_min: 0,
            ..Calendar::default()
        }),
        ..Default::default()
    })
}

async fn log(dir: &std::path::Path) -> EventStore {
    let store = EventStore::open(&dir.join("events.db"), Durability::Normal).unwrap();
    let t = |id: &str, seq, e: TicketEvent| serialized("Ticket", id, seq, &e);
    let s = |seq, e: SlaSettingsEvent| serialized("SlaSettings", "sla", seq, &e);
    // Opened, taken in progress (the first response) and resolved, as
    // the aggregate decides it.
    let mut t2 = ispmon_events::ticket::Ticket::default();
    cqrs_es::Aggregate::apply(&mut t2, opened(Priority::Urgent, 7));
    let mut done = Vec::new();
    for to in [TicketStatus::InProgress, TicketStatus::Resolved] {
        let c = ispmon_events::ticket::TicketCommand::ChangeStatus {
            to,
            note: None,
            at: at(7),
        };
        for e in t2.decide(c).unwrap() {
            cqrs_es::Aggregate::apply(&mut t2, e.clone());
            done.push(t("T-2", done.len() + 2, e));
        }
    }
    for batch in [
        vec![t("T-1", 1, opened(Priority::Urgent, 7))],
        vec![t("T-2", 1, opened(Priority::Urgent, 7))],
        done,
        vec![s(1, utc_calendar())],
        vec![t("T-3", 1, opened(Priority::Normal, 7))],
    ] {
        store.append(batch, None).await.unwrap();
    }
    store
}

fn column(c: &rusqlite::Connection, id: &str, col: &str) -> Option<String> {
    c.query_row(
        &format!("SELECT {col} FROM tickets WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

fn dump(c: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = c.prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                .collect();
            Ok(cells.join("|"))
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[tokio::test]
async fn a_calendar_change_recomputes_the_open_tickets_in_log_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = log(dir.path()).await;
    let events = store.since(0, 100).await.unwrap();
    let projections = crate::all();
    let (mut whole, mut cps) =
        open_views(&dir.path().join("whole.db"), &projections, false).unwrap();
    apply_batch(&mut whole, &projections, &mut cps, None, &events).unwrap();

    // T-1 was due at 07:30 under Moscow hours; with UTC hours from 09:00.
    assert_eq!(
        column(&whole, "T-1", "first_response_due").as_deref(),
        Some("2030-03-05T09:30:00Z")
    );
    assert_eq!(
        column(&whole, "T-1", "next_due").as_deref(),
        Some("2030-03-05T09:30:00Z")
    );
    // T-2 was done before: nothing awaited, its row as it was.
    assert_eq!(column(&whole, "T-2", "first_response_due"), None);
    assert_eq!(column(&whole, "T-2", "next_due").as_deref(), Some("9999"));
    // T-3 opened after the change: judged under it (normal, 4 h from 09:00).
    assert_eq!(
        column(&whole, "T-3", "first_response_due").as_deref(),
        Some("2030-03-05T13:00:00Z")
    );
    let row = crate::sla_settings::current(&whole).unwrap();
    assert_eq!((row.recomputed, row.moved), (1, 1));
    assert_eq!(row.sla.calendar.utc_offset_min, 0);
    assert_eq!(row.sla.policies, Sla::default().policies);

    let (mut single, mut cps) =
        open_views(&dir.path().join("single.db"), &projections, false).unwrap();
    for ev in &events {
        apply_batch(&mut single, &projections, &mut cps, None, &[ev]).unwrap();
    }
    for sql in [
        "SELECT * FROM tickets ORDER BY id",
        "SELECT * FROM sla_settings",
    ] {
        assert_eq!(dump(&whole, sql), dump(&single, sql), "{sql}");
    }
}

#[test]
fn recomputing_with_the_same_settings_moves_nothing() {
    let c = rusqlite::Connection::open_in_memory().unwrap();
    c.execute_batch(crate::Projection::schema(&super::TicketsProjection))
        .unwrap();
    assert_eq!(super::recompute_open(&c, &Sla::default()).unwrap(), (0, 0));
}
