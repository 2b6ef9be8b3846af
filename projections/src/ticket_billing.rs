//! What was sent back to the billing's helpdesk for each imported ticket:
//! one row per send (a staff reply, the close) with its state — sent,
//! retrying (failed attempts so far and the last reason) or given up — so
//! the ticket page shows "billing: sent" or "failed — retrying".

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::ticket_billing::TicketBillingEvent;

pub struct TicketBillingProjection;

/// A send's state.
pub const SENT: &str = "sent";
pub const RETRYING: &str = "retrying";
pub const GIVEN_UP: &str = "given-up";

impl Projection for TicketBillingProjection {
    fn name(&self) -> &'static str {
        "ticket_billing"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/ticket_billing.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["ticket_billing_sends"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::TicketBilling(e) = &ev.event else {
            return Ok(());
        };
        match e {
            TicketBillingEvent::TicketBillingSent {
                what,
                billing_ticket_id,
                billing_message_id,
                at,
            } => {
                c.prepare_cached(
                    "INSERT INTO ticket_billing_sends
                       (ticket_id, what, billing_ticket_id, state, failures, reason, at, billing_message_id)
                     VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5, ?6)
                     ON CONFLICT (ticket_id, what) DO UPDATE SET state = excluded.state,
                       at = excluded.at, billing_message_id = excluded.billing_message_id",
                )?
                .execute(params![
                    ev.id(),
                    what.key(),
                    billing_ticket_id,
                    SENT,
                    at.to_rfc3339(),
                    billing_message_id
                ])?;
            }
            TicketBillingEvent::TicketBillingSendFailed {
                what,
                billing_ticket_id,
                reason,
                will_retry,
                at,
                ..
            } => {
                let state = if *will_retry { RETRYING } else { GIVEN_UP };
                c.prepare_cached(
                    "INSERT INTO ticket_billing_sends
                       (ticket_id, what, billing_ticket_id, state, failures, reason, at, billing_message_id)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, NULL)
                     ON CONFLICT (ticket_id, what) DO UPDATE SET state = excluded.state,
                       failures = failures + 1, reason = excluded.reason, at = excluded.at",
                )?
                .execute(params![
                    ev.id(),
                    what.key(),
                    billing_ticket_id,
                    state,
                    reason,
                    at.to_rfc3339()
                ])?;
            }
        }
        Ok(())
    }
}

/// One send to billing, as the ticket page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendRow {
    /// `reply-3` or `close` (`BillingSend::key`).
    pub what: String,
    /// The staff comment it carried, for a reply.
    pub comment_id: Option<usize>,
    pub billing_ticket_id: String,
    /// [`SENT`], [`RETRYING`] or [`GIVEN_UP`].
    pub state: String,
    /// Failed attempts (before it was sent, if it was).
    pub failures: i64,
    pub reason: Option<String>,
    /// When it was sent, or the last attempt failed.
    pub at: String,
    pub billing_message_id: Option<String>,
}

/// The comment a send's key names (`reply-3` → 3).
fn comment_of(key: &str) -> Option<usize> {
    key.strip_prefix("reply-")?.parse().ok()
}

/// A send from the columns `what, billing_ticket_id, state, failures,
/// reason, at, billing_message_id` starting at column `from`.
fn send_row(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<SendRow> {
    let what: String = r.get(from)?;
    Ok(SendRow {
        comment_id: comment_of(&what),
        what,
        billing_ticket_id: r.get(from + 1)?,
        state: r.get(from + 2)?,
        failures: r.get(from + 3)?,
        reason: r.get(from + 4)?,
        at: r.get(from + 5)?,
        billing_message_id: r.get(from + 6)?,
    })
}

const COLUMNS: &str = "what, billing_ticket_id, state, failures, reason, at, billing_message_id";

/// Every send for ticket `id`, the replies by comment, then the close.
pub fn sends(c: &Connection, id: &str) -> rusqlite::Result<Vec<SendRow>> {
    let mut rows = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM ticket_billing_sends WHERE ticket_id = ?1"
        ))?
        .query_map([id], |r| send_row(r, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.sort_by_key(|r| (r.comment_id.is_none(), r.comment_id));
    Ok(rows)
}

/// Sends not done yet (retrying or given up), with their tickets, the
/// latest first.
pub fn unsent(c: &Connection, limit: usize) -> rusqlite::Result<Vec<(String, SendRow)>> {
    c.prepare_cached(&format!(
        "SELECT ticket_id, {COLUMNS} FROM ticket_billing_sends
         WHERE state <> ?1 ORDER BY at DESC LIMIT ?2"
    ))?
    .query_map(params![SENT, limit as i64], |r| {
        Ok((r.get(0)?, send_row(r, 1)?))
    })?
    .collect()
}
