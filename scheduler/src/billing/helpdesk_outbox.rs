//! The billing helpdesk outbox, a [`Reactor`]: a staff comment on a ticket
//! imported from billing is sent there as a reply, and closing (or
//! resolving) such a ticket closes it there. Each send is checked by the
//! source (it reads the ticket again), its outcome recorded on the
//! TicketBilling aggregate (sent, or failed with the reason and whether it
//! will be retried), and retried with the runner's backoff.
//!
//! Never twice: one effect per event and key (the runner's); a reply
//! already recorded as sent is dropped; and the source does not post a
//! reply already in the billing's thread, nor close a ticket closed there,
//! so an attempt whose answer was lost is not repeated on the far side.
//! Status changes the import itself made (a close in billing) are not sent
//! back.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use ispmon_events::ticket::{TicketEvent, TicketSource};
use ispmon_events::ticket_billing::{BillingSend, TicketBilling, TicketBillingCommand};
use ispmon_events::{EventStore, StoredEvent};
use serde::{Deserialize, Serialize};

use super::{BillingError, BillingSource};
use crate::reactor::{Decision, Done, Failure, Policy, Reactor};

pub const NAME: &str = "billing-helpdesk-outbox";
pub const MAX_ATTEMPTS: u32 = 10;

/// One thing to send to the billing's helpdesk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelpdeskSend {
    pub ticket_id: String,
    pub billing_ticket_id: String,
    pub what: BillingSend,
    /// The reply's text.
    pub body: Option<String>,
}

/// What the outbox needs from the app.
pub trait OutboxWorld: Send + Sync + 'static {
    fn source(&self) -> impl Future<Output = Result<Arc<dyn BillingSource>, Failure>> + Send;
    /// What was recorded as sent for ticket `id` so far.
    fn sent(&self, id: &str) -> impl Future<Output = Result<TicketBilling, Failure>> + Send;
    /// Records an outcome on the TicketBilling aggregate `id`.
    fn record(
        &self,
        id: &str,
        command: TicketBillingCommand,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// For each ticket of a batch with a candidate event, its billing id
/// (`None`: opened by staff, nothing to send).
#[derive(Debug, Default)]
pub struct Sources(pub HashMap<String, Option<String>>);

pub struct HelpdeskOutbox<W> {
    world: W,
}

impl<W: OutboxWorld> HelpdeskOutbox<W> {
    pub fn new(world: W) -> Self {
        Self { world }
    }
}

/// What a ticket event asks to send, before knowing the ticket's source.
fn wanted(e: &StoredEvent, event: &TicketEvent) -> Option<(BillingSend, Option<String>)> {
    match event {
        TicketEvent::TicketCommented {
            imported: false,
            comment_id,
            body,
            ..
        } => Some((
            BillingSend::Reply {
                comment_id: *comment_id,
            },
            Some(body.clone()),
        )),
        TicketEvent::TicketStatusChanged { from, to, .. }
            if to.is_done()
                && !from.is_done()
                && e.meta().actor_login != super::helpdesk_sync::JOB_NAME =>
        {
            Some((BillingSend::Close, None))
        }
        _ => None,
    }
}

fn unreadable(e: &StoredEvent, err: serde_json::Error) -> String {
    format!("event {} cannot be read: {err}", e.seq)
}

impl<W: OutboxWorld> Reactor for HelpdeskOutbox<W> {
    type Effect = HelpdeskSend;
    type State = ();
    type Context = Sources;

    fn name(&self) -> &'static str {
        NAME
    }

    fn policy(&self) -> Policy {
        // The billing is a shared web cabinet: half a minute before the
        // first retry, doubling up to half an hour (ten attempts span about
        // two hours).
        Policy {
            max_attempts: MAX_ATTEMPTS,
            first_backoff: std::time::Duration::from_secs(30),
            max_backoff: std::time::Duration::from_secs(30 * 60),
            ..Policy::default()
        }
    }

    async fn context(&self, store: &EventStore, batch: &[StoredEvent]) -> Result<Sources, String> {
        let mut out = HashMap::new();
        for e in batch.iter().filter(|e| e.aggregate_type == "Ticket") {
            if out.contains_key(&e.aggregate_id) {
                continue;
            }
            let event: TicketEvent = e.decode().map_err(|err| unreadable(e, err))?;
            if wanted(e, &event).is_none() {
                continue;
            }
            let log = store
                .aggregate_events("Ticket", &e.aggregate_id, None)
                .await
                .map_err(|e| e.to_string())?;
            let mut billing = None;
            for t in &log {
                if let TicketEvent::TicketOpened { source, .. } =
                    t.decode().map_err(|err| unreadable(t, err))?
                {
                    if let TicketSource::Billing { billing_ticket_id } = source {
                        billing = Some(billing_ticket_id);
                    }
                    break;
                }
            }
            out.insert(e.aggregate_id.clone(), billing);
        }
        Ok(Sources(out))
    }

    fn decide(
        &self,
        _state: &mut (),
        ctx: &Sources,
        e: &StoredEvent,
    ) -> Result<Vec<Decision<HelpdeskSend>>, String> {
        if e.aggregate_type != "Ticket" {
            return Ok(Vec::new());
        }
        let event: TicketEvent = e.decode().map_err(|err| unreadable(e, err))?;
        let Some((what, body)) = wanted(e, &event) else {
            return Ok(Vec::new());
        };
        let Some(billing) = ctx.0.get(&e.aggregate_id) else {
            return Err(format!("event {}: the ticket was not folded", e.seq));
        };
        Ok(match billing {
            None => Vec::new(),
            Some(billing_ticket_id) => vec![Decision::perform(
                what.key(),
                HelpdeskSend {
                    ticket_id: e.aggregate_id.clone(),
                    billing_ticket_id: billing_ticket_id.clone(),
                    what,
                    body,
                },
            )],
        })
    }

    async fn perform(&self, s: &HelpdeskSend, attempt: u32) -> Result<Done, Failure> {
        let sent = self.world.sent(&s.ticket_id).await?;
        if matches!(s.what, BillingSend::Reply { .. }) && sent.was_sent(&s.what) {
            return Err(Failure::drop("already sent to billing"));
        }
        let outcome = match self.world.source().await {
            Err(f) => Err(f.reason),
            Ok(source) => match (&s.what, &s.body) {
                (BillingSend::Reply { .. }, Some(body)) => source
                    .helpdesk_reply(&s.billing_ticket_id, body, &sent.message_ids)
                    .await
                    .map(|m| Some(m.id))
                    .map_err(|e| reason(&e)),
                (BillingSend::Reply { .. }, None) => Err("a reply without its text".into()),
                (BillingSend::Close, _) => source
                    .helpdesk_close(&s.billing_ticket_id)
                    .await
                    .map(|()| None)
                    .map_err(|e| reason(&e)),
            },
        };
        match outcome {
            Ok(billing_message_id) => {
                let c = TicketBillingCommand::RecordSent {
                    what: s.what,
                    billing_ticket_id: s.billing_ticket_id.clone(),
                    billing_message_id,
                    at: Utc::now(),
                };
                self.world.record(&s.ticket_id, c).await?;
                Ok(Done { code: None })
            }
            Err(why) => {
                let will_retry = attempt < MAX_ATTEMPTS;
                let c = TicketBillingCommand::RecordFailed {
                    what: s.what,
                    billing_ticket_id: s.billing_ticket_id.clone(),
                    reason: why.clone(),
                    attempt,
                    will_retry,
                    at: Utc::now(),
                };
                self.world.record(&s.ticket_id, c).await?;
                Err(if will_retry {
                    Failure::retry(why)
                } else {
                    Failure::permanent(why)
                })
            }
        }
    }
}

fn reason(e: &BillingError) -> String {
    e.to_string()
}

#[cfg(test)]
#[path = "helpdesk_outbox_tests.rs"]
mod tests;
