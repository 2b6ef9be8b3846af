//! The outbox's decisions on ticket events, and its sends against a fake
//! helpdesk whose posts fail a given number of times.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cqrs_es::Aggregate;
use ispmon_events::ticket::TicketStatus;
use ispmon_events::ticket_billing::TicketBillingEvent;
use ispmon_events::{Metadata, Source};

use super::*;
use crate::billing::helpdesk::HelpdeskMessage;
use crate::billing::{Card, Folder, StatRow, TreeEntry};
use crate::reactor::FailureKind;

fn stored(seq: u64, event: &TicketEvent, by: &str) -> StoredEvent {
    use cqrs_es::DomainEvent;
    StoredEvent {
        seq,
        aggregate_type: "Ticket".into(),
        aggregate_id: "billing-83154".into(),
        aggregate_seq: seq,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_string(event).unwrap(),
        metadata: serde_json::to_string(&Metadata::system(Source::Web, by).to_map()).unwrap(),
        recorded_at: "2026-12-07T09:00:00Z".into(),
        hash: String::new(),
    }
}

fn comment(imported: bool) -> TicketEvent {
    TicketEvent::TicketCommented {
        comment_id: 2,
        body: "Мастер придёт завтра".into(),
        author: "anna".into(),
        imported,
        billing_comment_id: None,
        at: Utc::now(),
    }
}

fn closed() -> TicketEvent {
    TicketEvent::TicketStatusChanged {
        from: TicketStatus::InProgress,
        to: TicketStatus::Closed,
        note: None,
        at: Utc::now(),
    }
}

#[derive(Default)]
struct Fake {
    fail_replies: AtomicUsize,
    replies: Mutex<Vec<String>>,
    closes: AtomicUsize,
    state: Mutex<TicketBilling>,
    recorded: Mutex<Vec<TicketBillingEvent>>,
}

#[async_trait::async_trait]
impl BillingSource for Fake {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        Ok(Vec::new())
    }
    async fn subscribers(&self, _: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        Ok(Vec::new())
    }
    async fn card(&self, _: &TreeEntry) -> Result<Card, BillingError> {
        Err(BillingError::Unsupported("no".into()))
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
        1
    }
    async fn helpdesk_reply(
        &self,
        id: &str,
        text: &str,
        _ours: &std::collections::BTreeSet<String>,
    ) -> Result<HelpdeskMessage, BillingError> {
        if self.fail_replies.load(Ordering::SeqCst) > 0 {
            self.fail_replies.fetch_sub(1, Ordering::SeqCst);
            return Err(BillingError::NotTaken {
                page: format!("/cabinet/helpdesk?id={id}"),
                what: "the reply".into(),
            });
        }
        self.replies.lock().unwrap().push(text.to_string());
        Ok(HelpdeskMessage {
            id: "m-77".into(),
            sender: "Техподдержка".into(),
            at: "07.12.2026 12:00:00".into(),
            text: text.into(),
        })
    }
    async fn helpdesk_close(&self, _: &str) -> Result<(), BillingError> {
        self.closes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl OutboxWorld for Arc<Fake> {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, Failure> {
        Ok(self.clone())
    }
    async fn sent(&self, _: &str) -> Result<TicketBilling, Failure> {
        Ok(self.state.lock().unwrap().clone())
    }
    async fn record(&self, _: &str, c: TicketBillingCommand) -> Result<(), Failure> {
        let mut s = self.state.lock().unwrap();
        let events = s.decide(c).map_err(|e| Failure::retry(e.to_string()))?;
        for e in events {
            s.apply(e.clone());
            self.recorded.lock().unwrap().push(e);
        }
        Ok(())
    }
}

fn ctx(billing: Option<&str>) -> Sources {
    Sources(HashMap::from([(
        "billing-83154".to_string(),
        billing.map(str::to_string),
    )]))
}

#[test]
fn staff_comments_and_closes_of_billing_tickets_are_sent_and_nothing_else() {
    let o = HelpdeskOutbox::new(Arc::new(Fake::default()));
    let billing = ctx(Some("83154"));
    let d = o
        .decide(&mut (), &billing, &stored(5, &comment(false), "anna"))
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].key, "reply-2");
    assert_eq!(d[0].effect.billing_ticket_id, "83154");
    assert_eq!(d[0].effect.body.as_deref(), Some("Мастер придёт завтра"));
    let d = o
        .decide(&mut (), &billing, &stored(6, &closed(), "anna"))
        .unwrap();
    assert_eq!(d[0].effect.what, BillingSend::Close);
    // An imported comment, a close the import made, a staff ticket: nothing.
    assert!(o
        .decide(&mut (), &billing, &stored(7, &comment(true), "anna"))
        .unwrap()
        .is_empty());
    let by_import = stored(8, &closed(), crate::billing::helpdesk_sync::JOB_NAME);
    assert!(o.decide(&mut (), &billing, &by_import).unwrap().is_empty());
    let staff = ctx(None);
    assert!(o
        .decide(&mut (), &staff, &stored(9, &comment(false), "anna"))
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_failed_send_is_recorded_retried_and_sent_exactly_once() {
    let fake = Arc::new(Fake::default());
    fake.fail_replies.store(1, Ordering::SeqCst);
    let o = HelpdeskOutbox::new(fake.clone());
    let send = o
        .decide(
            &mut (),
            &ctx(Some("83154")),
            &stored(5, &comment(false), "anna"),
        )
        .unwrap()
        .remove(0)
        .effect;
    let first = o.perform(&send, 1).await.unwrap_err();
    assert_eq!(first.kind, FailureKind::Retry);
    assert!(
        first.reason.contains("did not take the reply"),
        "{}",
        first.reason
    );
    let rec = fake.recorded.lock().unwrap().clone();
    assert!(matches!(
        &rec[0],
        TicketBillingEvent::TicketBillingSendFailed { attempt: 1, will_retry: true, reason, .. }
            if reason.contains("did not take the reply")
    ));
    o.perform(&send, 2).await.unwrap();
    // A repeat (a crash before the runner marked it done) is dropped.
    let again = o.perform(&send, 3).await.unwrap_err();
    assert_eq!(again.kind, FailureKind::Drop);
    assert_eq!(*fake.replies.lock().unwrap(), ["Мастер придёт завтра"]);
    let sent = fake.state.lock().unwrap().clone();
    assert!(sent.was_sent(&BillingSend::Reply { comment_id: 2 }));
    assert!(sent.message_ids.contains("m-77"));
}

#[tokio::test]
async fn the_last_attempt_gives_up_visibly() {
    let fake = Arc::new(Fake::default());
    fake.fail_replies.store(100, Ordering::SeqCst);
    let o = HelpdeskOutbox::new(fake.clone());
    let send = HelpdeskSend {
        ticket_id: "billing-83154".into(),
        billing_ticket_id: "83154".into(),
        what: BillingSend::Reply { comment_id: 0 },
        body: Some("x".into()),
    };
    let f = o.perform(&send, MAX_ATTEMPTS).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::Permanent);
    assert!(matches!(
        fake.recorded.lock().unwrap()[0],
        TicketBillingEvent::TicketBillingSendFailed {
            will_retry: false,
            ..
        }
    ));
    // A close goes through the source (which checks billing's status itself).
    let close = HelpdeskSend {
        what: BillingSend::Close,
        body: None,
        ..send
    };
    o.perform(&close, 1).await.unwrap();
    assert_eq!(fake.closes.load(Ordering::SeqCst), 1);
}
