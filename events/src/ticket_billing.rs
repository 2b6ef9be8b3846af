//! The TicketBilling aggregate: what was sent back to the billing's
//! helpdesk for one ticket imported from it (same id as the Ticket), and
//! how each send went. The billing outbox records here: a reply (one per
//! staff comment) or a close is sent once; until then each failed attempt
//! is recorded with its reason, so the ticket shows "failed — retrying".
//!
//! Kept apart from the Ticket aggregate so a send's outcome never changes
//! the ticket itself (its SLA, its status, its comments).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Longest failure reason kept (longer ones are cut).
pub const MAX_REASON: usize = 500;

/// What was sent to the billing's helpdesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingSend {
    /// The staff comment with this index in the ticket.
    Reply { comment_id: usize },
    /// The ticket was closed (or resolved) here: closed there.
    Close,
}

impl BillingSend {
    /// A stable key (`reply-3`, `close`).
    pub fn key(&self) -> String {
        match self {
            BillingSend::Reply { comment_id } => format!("reply-{comment_id}"),
            BillingSend::Close => "close".to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum TicketBillingCommand {
    RecordSent {
        what: BillingSend,
        /// The billing's billing ticket id.
        billing_ticket_id: String,
        /// The message id the reply has in the billing's thread.
        billing_message_id: Option<String>,
        at: DateTime<Utc>,
    },
    RecordFailed {
        what: BillingSend,
        billing_ticket_id: String,
        reason: String,
        /// Counts from 1.
        attempt: u32,
        /// Another attempt will follow.
        will_retry: bool,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TicketBillingEvent {
    TicketBillingSent {
        what: BillingSend,
        billing_ticket_id: String,
        billing_message_id: Option<String>,
        at: DateTime<Utc>,
    },
    TicketBillingSendFailed {
        what: BillingSend,
        billing_ticket_id: String,
        reason: String,
        attempt: u32,
        will_retry: bool,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for TicketBillingEvent {
    fn event_type(&self) -> String {
        match self {
            TicketBillingEvent::TicketBillingSent { .. } => "TicketBillingSent",
            TicketBillingEvent::TicketBillingSendFailed { .. } => "TicketBillingSendFailed",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketBillingError {
    #[error("{0} {1}")]
    Invalid(&'static str, String),
    /// Already recorded as sent: a send is recorded once.
    #[error("this was already sent to billing")]
    AlreadySent,
}

impl crate::DomainError for TicketBillingError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            TicketBillingError::Invalid(f, m) => vec![(f, m.clone())],
            other => vec![(crate::FORM, other.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, TicketBillingError::AlreadySent)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketBilling {
    /// What was sent (by [`BillingSend::key`]).
    pub sent: BTreeSet<String>,
    /// Failed attempts so far of what is not sent yet.
    pub failures: BTreeMap<String, u32>,
    /// The billing's ids of the messages our replies became.
    pub message_ids: BTreeSet<String>,
}

impl TicketBilling {
    pub fn was_sent(&self, what: &BillingSend) -> bool {
        self.sent.contains(&what.key())
    }

    pub fn decide(
        &self,
        command: TicketBillingCommand,
    ) -> Result<Vec<TicketBillingEvent>, TicketBillingError> {
        let id_ok = |id: &str| {
            let id = id.trim();
            if id.is_empty() || id.len() > 64 {
                Err(TicketBillingError::Invalid(
                    "billing_ticket_id",
                    "the billing's ticket id".into(),
                ))
            } else {
                Ok(id.to_string())
            }
        };
        match command {
            TicketBillingCommand::RecordSent {
                what,
                billing_ticket_id,
                billing_message_id,
                at,
            } => {
                let billing_ticket_id = id_ok(&billing_ticket_id)?;
                if self.was_sent(&what) {
                    return Err(TicketBillingError::AlreadySent);
                }
                let billing_message_id = billing_message_id
                    .map(|m| m.trim().to_string())
                    .filter(|m| !m.is_empty());
                Ok(vec![TicketBillingEvent::TicketBillingSent {
                    what,
                    billing_ticket_id,
                    billing_message_id,
                    at,
                }])
            }
            TicketBillingCommand::RecordFailed {
                what,
                billing_ticket_id,
                reason,
                attempt,
                will_retry,
                at,
            } => {
                let billing_ticket_id = id_ok(&billing_ticket_id)?;
                if self.was_sent(&what) {
                    return Err(TicketBillingError::AlreadySent);
                }
                let reason: String = reason.trim().chars().take(MAX_REASON).collect();
                if reason.is_empty() {
                    return Err(TicketBillingError::Invalid(
                        "reason",
                        "say why the send failed".into(),
                    ));
                }
                if attempt == 0 {
                    return Err(TicketBillingError::Invalid(
                        "attempt",
                        "attempts count from 1".into(),
                    ));
                }
                Ok(vec![TicketBillingEvent::TicketBillingSendFailed {
                    what,
                    billing_ticket_id,
                    reason,
                    attempt,
                    will_retry,
                    at,
                }])
            }
        }
    }
}

impl Aggregate for TicketBilling {
    const TYPE: &'static str = "TicketBilling";
    type Command = TicketBillingCommand;
    type Event = TicketBillingEvent;
    type Error = TicketBillingError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TicketBillingCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TicketBillingError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: TicketBillingEvent) {
        match event {
            TicketBillingEvent::TicketBillingSent {
                what,
                billing_message_id,
                ..
            } => {
                self.failures.remove(&what.key());
                self.sent.insert(what.key());
                self.message_ids.extend(billing_message_id);
            }
            TicketBillingEvent::TicketBillingSendFailed { what, .. } => {
                *self.failures.entry(what.key()).or_default() += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<TicketBilling>;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 9, m, 0).unwrap()
    }

    const REPLY: BillingSend = BillingSend::Reply { comment_id: 2 };

    fn sent(what: BillingSend, m: u32) -> TicketBillingEvent {
        TicketBillingEvent::TicketBillingSent {
            what,
            billing_ticket_id: "83154".into(),
            billing_message_id: matches!(what, BillingSend::Reply { .. }).then(|| "ab12".into()),
            at: at(m),
        }
    }

    fn failed(what: BillingSend, attempt: u32) -> TicketBillingEvent {
        TicketBillingEvent::TicketBillingSendFailed {
            what,
            billing_ticket_id: "83154".into(),
            reason: "the cabinet answered but did not take the reply".into(),
            attempt,
            will_retry: true,
            at: at(attempt),
        }
    }

    fn record_failed(what: BillingSend, reason: &str, attempt: u32) -> TicketBillingCommand {
        TicketBillingCommand::RecordFailed {
            what,
            billing_ticket_id: " 83154 ".into(),
            reason: reason.into(),
            attempt,
            will_retry: true,
            at: at(attempt),
        }
    }

    fn record_sent(what: BillingSend, m: u32) -> TicketBillingCommand {
        TicketBillingCommand::RecordSent {
            what,
            billing_ticket_id: "83154".into(),
            billing_message_id: matches!(what, BillingSend::Reply { .. }).then(|| " ab12 ".into()),
            at: at(m),
        }
    }

    #[test]
    fn a_failure_is_recorded_then_the_send_once() {
        Given::with(())
            .given_no_previous_events()
            .when(record_failed(
                REPLY,
                "the cabinet answered but did not take the reply",
                1,
            ))
            .then_expect_events(vec![failed(REPLY, 1)]);
        Given::with(())
            .given(vec![failed(REPLY, 1)])
            .when(record_sent(REPLY, 5))
            .then_expect_events(vec![sent(REPLY, 5)]);
    }

    #[test]
    fn a_send_is_recorded_once_and_nothing_fails_after_it() {
        Given::with(())
            .given(vec![sent(REPLY, 5)])
            .when(record_sent(REPLY, 6))
            .then_expect_error(TicketBillingError::AlreadySent);
        Given::with(())
            .given(vec![sent(REPLY, 5)])
            .when(record_failed(REPLY, "late", 2))
            .then_expect_error(TicketBillingError::AlreadySent);
        // Another reply, or the close, is its own send.
        Given::with(())
            .given(vec![sent(REPLY, 5)])
            .when(record_sent(BillingSend::Close, 7))
            .then_expect_events(vec![sent(BillingSend::Close, 7)]);
    }

    #[test]
    fn bad_records_are_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(record_failed(REPLY, "  ", 1))
            .then_expect_error(TicketBillingError::Invalid(
                "reason",
                "say why the send failed".into(),
            ));
        Given::with(())
            .given_no_previous_events()
            .when(record_failed(REPLY, "x", 0))
            .then_expect_error(TicketBillingError::Invalid(
                "attempt",
                "attempts count from 1".into(),
            ));
        Given::with(())
            .given_no_previous_events()
            .when(TicketBillingCommand::RecordSent {
                what: REPLY,
                billing_ticket_id: " ".into(),
                billing_message_id: None,
                at: at(1),
            })
            .then_expect_error(TicketBillingError::Invalid(
                "billing_ticket_id",
                "the billing's ticket id".into(),
            ));
    }

    #[test]
    fn the_state_knows_what_was_sent_and_the_failures_before() {
        let mut t = TicketBilling::default();
        for e in [
            failed(REPLY, 1),
            failed(REPLY, 2),
            failed(BillingSend::Close, 1),
        ] {
            t.apply(e);
        }
        assert_eq!(t.failures.get("reply-2"), Some(&2));
        t.apply(sent(REPLY, 9));
        assert!(t.was_sent(&REPLY));
        assert!(!t.was_sent(&BillingSend::Close));
        assert_eq!(t.failures.get("reply-2"), None);
        assert!(t.message_ids.contains("ab12"));
        let long = "x".repeat(MAX_REASON + 50);
        let e = t
            .decide(record_failed(BillingSend::Close, &long, 2))
            .unwrap();
        let TicketBillingEvent::TicketBillingSendFailed { reason, .. } = &e[0] else {
            panic!("{e:?}")
        };
        assert_eq!(reason.chars().count(), MAX_REASON);
    }
}
