//! SLA due-time recomputation: 100,000 tickets (90% open, the rest
//! resolved) in a fresh read model, then a calendar change recomputes the
//! due times of every open ticket — each one's folded state read, judged
//! under the new calendar, its due columns rewritten — in one transaction,
//! as the tickets projection does on an `SlaSettingsChanged`. The reference
//! in the same run: as many plain row updates (`UPDATE tickets SET
//! next_due = ? WHERE id = ?`) in one transaction.
//!
//! The log is written through the event store's writer in large appends
//! and folded by `replay_into`, so the rows are the projection's own.
//!
//! Run: `cargo bench --bench sla`; `BENCH_TICKETS=<n>` changes the count.

// Linked for its global allocator (mimalloc), as the server runs with it.
extern crate ispmon;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, DomainEvent};
use ispmon_events::sla::{Calendar, Sla};
use ispmon_events::ticket::{
    Priority, Ticket, TicketCommand, TicketDetails, TicketSource, TicketStatus,
};
use ispmon_events::{Durability, EventStore, Metadata, Source};

fn serialized(id: &str, seq: usize, e: &ispmon_events::ticket::TicketEvent) -> SerializedEvent {
    let meta: HashMap<String, String> = Metadata::system(Source::Cli, "bench").to_map();
    SerializedEvent::new(
        id.into(),
        seq,
        "Ticket".into(),
        e.event_type(),
        e.event_version(),
        serde_json::to_value(e).unwrap(),
        serde_json::to_value(meta).unwrap(),
    )
}

/// The events of ticket `i`: opened (over a month of working days), and
/// every tenth resolved.
fn ticket(i: usize) -> Vec<SerializedEvent> {
    let id = format!("T-{i:06}");
    let start = Utc.with_ymd_and_hms(2030, 3, 1, 6, 0, 0).unwrap();
    let at = start + Duration::minutes((i % (30 * 24 * 60)) as i64);
    let details = TicketDetails {
        address: format!("Московская {}, кв {}", i % 200, i % 97),
        problem: "no link since morning".into(),
        category: ["internet", "node-down", "wiring", "tv"][i % 4].into(),
        priority: Priority::ALL[i % 4],
        ..Default::default()
    };
    let mut t = Ticket::default();
    let mut out = Vec::new();
    let mut step = |t: &mut Ticket, c: TicketCommand| {
        for e in t.decide(c).unwrap() {
            out.push(serialized(&id, out.len() + 1, &e));
            t.apply(e);
        }
    };
    step(
        &mut t,
        TicketCommand::Open {
            details,
            source: TicketSource::Staff,
            at,
        },
    );
    if i.is_multiple_of(10) {
        for to in [TicketStatus::InProgress, TicketStatus::Resolved] {
            let c = TicketCommand::ChangeStatus {
                to,
                note: None,
                at: at + Duration::minutes(5),
            };
            step(&mut t, c);
        }
    }
    out
}

fn main() {
    let n: usize = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let events = dir.path().join("events.db");
    let t0 = Instant::now();
    rt.block_on(async {
        let store = EventStore::open(&events, Durability::Normal).unwrap();
        let mut batch = Vec::new();
        for i in 0..n {
            batch.extend(ticket(i));
            if batch.len() >= 5000 {
                store
                    .append(std::mem::take(&mut batch), None)
                    .await
                    .unwrap();
            }
        }
        if !batch.is_empty() {
            store.append(batch, None).await.unwrap();
        }
    });
    let views = dir.path().join("views.db");
    ispmon_projections::rebuild::replay_into(&events, &views, None).unwrap();
    println!("seeded {n} tickets in {:.1} s", t0.elapsed().as_secs_f64());

    let mut c = rusqlite::Connection::open(&views).unwrap();
    let open: Vec<String> = {
        let mut s = c.prepare("SELECT id FROM tickets WHERE done = 0").unwrap();
        let rows = s.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    };

    // The reference: as many plain updates, one transaction.
    let t = Instant::now();
    let tx = c.transaction().unwrap();
    {
        let mut u = tx
            .prepare("UPDATE tickets SET next_due = next_due || '' WHERE id = ?1")
            .unwrap();
        for id in &open {
            u.execute([id]).unwrap();
        }
    }
    tx.commit().unwrap();
    let plain = t.elapsed().as_secs_f64();

    // The change: working hours in UTC instead of Moscow time, Saturdays too.
    let mut calendar = Calendar {
        utc_offset_min: 0,
        ..Calendar::default()
    };
    calendar.days[5] = calendar.days[0];
    let sla = Sla {
        calendar,
        ..Sla::default()
    };
    let t = Instant::now();
    let tx = c.transaction().unwrap();
    let (recomputed, moved) = ispmon_projections::tickets::recompute_open(&tx, &sla).unwrap();
    tx.commit().unwrap();
    let took = t.elapsed().as_secs_f64();

    println!(
        "recompute after a calendar change: {recomputed} open tickets ({moved} moved) in {:.3} s \
         ({:.1} µs a ticket)",
        took,
        took * 1e6 / recomputed.max(1) as f64
    );
    println!(
        "reference, {} plain row updates in one transaction: {:.3} s; ratio {:.1}×",
        open.len(),
        plain,
        took / plain.max(1e-9)
    );
}
