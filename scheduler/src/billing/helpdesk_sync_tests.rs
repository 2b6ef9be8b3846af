//! The import over an in-memory helpdesk and a world that decides ticket
//! commands on the real aggregate, as the app would.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use ispmon_events::ticket::TicketEvent;

use super::*;
use crate::billing::helpdesk::{message_id, HelpdeskMessage};
use crate::billing::{BillingError, Card, Folder, StatRow, TreeEntry};

#[derive(Default)]
struct Desk {
    tickets: Mutex<Vec<(HelpdeskEntry, HelpdeskThread)>>,
    failing: Mutex<HashSet<String>>,
    list_fails: bool,
}

fn msg(ticket: &str, sender: &str, at: &str, text: &str) -> HelpdeskMessage {
    HelpdeskMessage {
        id: message_id(ticket, sender, at, text),
        sender: sender.into(),
        at: at.into(),
        text: text.into(),
    }
}

impl Desk {
    fn add(&self, id: &str, subject: &str, status: HelpdeskStatus, messages: Vec<HelpdeskMessage>) {
        self.tickets.lock().unwrap().push((
            HelpdeskEntry {
                id: id.into(),
                date: "04.08.2024 19:29:31".into(),
                subject: subject.into(),
                status: status.clone(),
            },
            HelpdeskThread {
                id: id.into(),
                subject: subject.into(),
                status: Some(status),
                messages,
            },
        ));
    }

    fn edit(&self, id: &str, f: impl FnOnce(&mut HelpdeskThread)) {
        let mut g = self.tickets.lock().unwrap();
        let (e, t) = g.iter_mut().find(|(e, _)| e.id == id).unwrap();
        f(t);
        e.status = t.status.clone().unwrap();
    }
}

#[async_trait::async_trait]
impl BillingSource for Desk {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        Ok(Vec::new())
    }
    async fn subscribers(&self, _: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        Ok(Vec::new())
    }
    async fn card(&self, _: &TreeEntry) -> Result<Card, BillingError> {
        Err(BillingError::Unsupported("no cards".into()))
    }
    async fn sessions(
        &self,
        _: &str,
        _: chrono::NaiveDate,
        _: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        Ok(Vec::new())
    }
    fn concurrency(&self) -> usize {
        2
    }
    async fn helpdesk_list(&self) -> Result<Vec<HelpdeskEntry>, BillingError> {
        if self.list_fails {
            return Err(BillingError::Http {
                page: "/cabinet/helpdesk".into(),
                status: 502,
            });
        }
        Ok(self
            .tickets
            .lock()
            .unwrap()
            .iter()
            .map(|(e, _)| e.clone())
            .collect())
    }
    async fn helpdesk_ticket(&self, id: &str) -> Result<HelpdeskThread, BillingError> {
        if self.failing.lock().unwrap().contains(id) {
            return Err(BillingError::structure(
                &format!("/cabinet/helpdesk?id={id}"),
                "div.hdsk_main (the ticket)",
            ));
        }
        let g = self.tickets.lock().unwrap();
        Ok(g.iter().find(|(e, _)| e.id == id).unwrap().1.clone())
    }
}

/// Tickets as the app keeps them: the real aggregate's decisions, every
/// event written kept.
struct World {
    desk: Arc<Desk>,
    tickets: Mutex<HashMap<String, Ticket>>,
    events: Mutex<Vec<(String, TicketEvent)>>,
    staff: Mutex<HashMap<String, Vec<String>>>,
}

impl World {
    fn new(desk: Arc<Desk>) -> Arc<World> {
        Arc::new(World {
            desk,
            tickets: Mutex::default(),
            events: Mutex::default(),
            staff: Mutex::default(),
        })
    }

    fn events(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl HelpdeskWorld for World {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        Ok(self.desk.clone())
    }
    async fn ticket(&self, id: &str) -> Result<Option<KnownTicket>, String> {
        Ok(self.tickets.lock().unwrap().get(id).map(|t| KnownTicket {
            ticket: t.clone(),
            sent_message_ids: BTreeSet::new(),
            staff_comments: self
                .staff
                .lock()
                .unwrap()
                .get(id)
                .cloned()
                .unwrap_or_default(),
        }))
    }
    async fn execute(&self, id: &str, c: TicketCommand, _: &Metadata) -> Result<bool, String> {
        use cqrs_es::Aggregate;
        let mut g = self.tickets.lock().unwrap();
        let t = g.entry(id.to_string()).or_default();
        match t.decide(c) {
            Ok(events) => {
                for e in events {
                    t.apply(e.clone());
                    self.events.lock().unwrap().push((id.to_string(), e));
                }
                Ok(true)
            }
            Err(ispmon_events::ticket::TicketError::Unchanged) => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn meta() -> Metadata {
    Metadata::system(Source::Scheduler, JOB_NAME)
}

fn seeded() -> (Arc<Desk>, Arc<World>, HelpdeskSyncer) {
    let desk = Arc::new(Desk::default());
    desk.add(
        "83154",
        "Московская 5а",
        HelpdeskStatus::Open,
        vec![
            msg(
                "83154",
                "Московская 5а",
                "04.08.2024 19:29:31",
                "Нет интернета",
            ),
            msg("83154", "Оператор", "04.08.2024 19:40:00", "Проверим"),
        ],
    );
    desk.add(
        "83157",
        "Ленина 1",
        HelpdeskStatus::AwaitingReply,
        vec![msg("83157", "Ленина 1", "05.08.2024 09:00:00", "Медленно")],
    );
    let world = World::new(desk.clone());
    let syncer = HelpdeskSyncer::new(world.clone());
    (desk, world, syncer)
}

#[tokio::test]
async fn tickets_are_opened_with_their_threads_and_a_second_sync_writes_nothing() {
    let (_, w, s) = seeded();
    let r = s.run(&meta()).await.unwrap();
    assert_eq!(
        (r.listed, r.opened, r.comments, r.status_changes),
        (2, 2, 3, 0),
        "{r:?}"
    );
    let t = w.tickets.lock().unwrap()["billing-83154"].clone();
    assert_eq!(
        t.source,
        Some(TicketSource::Billing {
            billing_ticket_id: "83154".into()
        })
    );
    let d = t.details.unwrap();
    assert_eq!(d.address, "Московская 5а");
    assert_eq!(d.problem, "Нет интернета");
    assert_eq!(d.category, CATEGORY);
    assert_eq!(t.comments, 2);
    // Billing's local time, read as Moscow.
    assert_eq!(
        t.opened_at.unwrap().to_rfc3339(),
        "2024-08-04T16:29:31+00:00"
    );
    let imported = w
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, e)| matches!(e, TicketEvent::TicketCommented { imported: true, .. }))
        .count();
    assert_eq!(imported, 3);

    let before = w.events();
    let again = s.run(&meta()).await.unwrap();
    assert_eq!(
        (again.opened, again.comments, again.status_changes),
        (0, 0, 0)
    );
    assert_eq!(w.events(), before, "nothing changed: no event");
    assert_eq!(
        again.summary(),
        "2 ticket(s) in billing: 0 new, 0 comment(s), 0 status change(s)"
    );
}

#[tokio::test]
async fn new_messages_are_added_our_own_replies_are_not_and_a_close_in_billing_closes() {
    let (desk, w, s) = seeded();
    s.run(&meta()).await.unwrap();
    // Our staff reply, sent by the outbox, shows in billing's thread.
    w.staff
        .lock()
        .unwrap()
        .insert("billing-83157".into(), vec!["Приедем завтра".into()]);
    desk.edit("83157", |t| {
        t.messages.push(msg(
            "83157",
            "Техподдержка",
            "05.08.2024 10:00:00",
            "Приедем  завтра",
        ));
        t.messages
            .push(msg("83157", "Ленина 1", "05.08.2024 11:00:00", "Жду"));
        t.status = Some(HelpdeskStatus::Closed);
    });
    let r = s.run(&meta()).await.unwrap();
    assert_eq!((r.opened, r.comments, r.status_changes), (0, 1, 1), "{r:?}");
    let t = w.tickets.lock().unwrap()["billing-83157"].clone();
    assert_eq!(t.comments, 2);
    assert_eq!(t.status, TicketStatus::Closed);

    // The subscriber writes again: reopened.
    desk.edit("83157", |t| {
        t.messages.push(msg(
            "83157",
            "Ленина 1",
            "06.08.2024 08:00:00",
            "Опять нет связи",
        ));
        t.status = Some(HelpdeskStatus::Open);
    });
    let r = s.run(&meta()).await.unwrap();
    assert_eq!((r.comments, r.status_changes), (1, 1));
    assert_eq!(
        w.tickets.lock().unwrap()["billing-83157"].status,
        TicketStatus::Open
    );
}

#[tokio::test]
async fn a_ticket_done_here_is_not_reopened_while_billing_only_lags_behind() {
    let (_, w, s) = seeded();
    s.run(&meta()).await.unwrap();
    w.execute(
        "billing-83154",
        TicketCommand::ChangeStatus {
            to: TicketStatus::Closed,
            note: None,
            at: Utc::now(),
        },
        &meta(),
    )
    .await
    .unwrap();
    let before = w.events();
    s.run(&meta()).await.unwrap();
    assert_eq!(w.events(), before);
    assert_eq!(
        w.tickets.lock().unwrap()["billing-83154"].status,
        TicketStatus::Closed
    );
}

#[tokio::test]
async fn a_failed_page_leaves_its_ticket_untouched_and_is_reported() {
    let (desk, w, s) = seeded();
    desk.failing.lock().unwrap().insert("83157".into());
    let r = s.run(&meta()).await.unwrap();
    assert_eq!(r.opened, 1);
    assert_eq!(
        r.failed,
        vec![FailedTicket {
            billing_id: "83157".into(),
            error: "/cabinet/helpdesk?id=83157: unexpected page: no div.hdsk_main (the ticket)"
                .into()
        }]
    );
    assert!(
        r.summary().contains("1 failed, the first: 83157"),
        "{}",
        r.summary()
    );
    assert!(!w.tickets.lock().unwrap().contains_key("billing-83157"));
    desk.failing.lock().unwrap().clear();
    let r = s.run(&meta()).await.unwrap();
    assert_eq!((r.opened, r.failed.len()), (1, 0));
}

#[tokio::test]
async fn a_failed_list_fails_the_run_and_writes_nothing() {
    let desk = Arc::new(Desk {
        list_fails: true,
        ..Desk::default()
    });
    let w = World::new(desk);
    let s = HelpdeskSyncer::new(w.clone());
    let e = s.run(&meta()).await.unwrap_err();
    assert_eq!(e, "the helpdesk list: /cabinet/helpdesk: HTTP 502");
    assert_eq!(w.events(), 0);
    // The job refuses scopes it has no meaning for.
    let job = HelpdeskSyncJob::new(Arc::new(s));
    let refused = job.run(Scope::Tag("x".into()), None).await.unwrap_err();
    assert!(refused.contains("not a scope"), "{refused}");
}

#[test]
fn billing_times_are_moscow_time() {
    assert_eq!(
        billing_time("01.01.2025 02:00:00").unwrap().to_rfc3339(),
        "2024-12-31T23:00:00+00:00"
    );
    assert_eq!(billing_time("31.02.2025 02:00:00"), None);
    assert_eq!(stream_id(" 83154 "), "billing-83154");
}
