//! ispmon-projections: the read side of ispmon.
//!
//! Projections fold the event log into the read models the pages show. They
//! live in `views.db`, apart from the log, each with a checkpoint written in
//! the same transaction as its rows (exactly once).
//!
//! - [`runner`]: tails the log, applies every projection, publishes progress;
//!   `wait_for` gives handlers read-your-writes.
//! - [`rebuild`]: replay from zero into a fresh file; `verify` compares a fresh
//!   replay with the live read models.
//! - [`decode`]: turns a stored event into its typed domain event, once.
//! - [`users`], [`sessions`], [`api_tokens`]: one module per view.
//! - [`hosts`], [`folders`]: the ICMP board, host history, folders, settings.
//! - [`devices`]: network devices, config versions, firmware files.
//! - [`notify`]: the notification settings (webhook, Telegram).
//! - [`macs`], [`logins`], [`fdb_settings`]: Search Port — MAC edges and
//!   moves, PPPoE logins' bindings, the collection settings.
//! - [`subscribers`]: subscribers from billing, the folder tree, notes and
//!   the full-text index of the subscriber search; [`billing_settings`].
//! - [`gpon`]: OLTs, ONTs, autofind, profiles, registration jobs.
//! - [`tickets`]: repair tickets with their SLA due times, comments, history;
//!   [`sla_settings`]: the SLA calendar and policies in force (kept by the
//!   tickets projection, in log order with the tickets); [`ticket_billing`]:
//!   what the billing helpdesk outbox sent for each imported ticket.
//! - [`requests`]: connection requests on their board (folders, manual order),
//!   their threads, installers' visits, caps and checklist templates.

pub mod api_tokens;
pub mod billing_settings;
pub mod decode;
pub mod devices;
pub mod fdb_settings;
pub mod folders;
pub mod gpon;
pub mod hosts;
pub mod logins;
pub mod macs;
pub mod notify;
pub mod rebuild;
pub mod requests;
pub mod runner;
pub mod sessions;
pub mod sla_settings;
pub mod subscribers;
pub mod ticket_billing;
pub mod tickets;
pub mod users;

use rusqlite::Connection;

pub use decode::{Decoded, Envelope};
pub use runner::{Views, ViewsError};

/// A read model: its schema, the tables it owns, and how an event changes it.
pub trait Projection: Send + Sync {
    fn name(&self) -> &'static str;
    /// `CREATE TABLE`/`CREATE INDEX` statements (without IF NOT EXISTS).
    fn schema(&self) -> &'static str;
    /// The tables it owns (dropped on rebuild, compared by verify).
    fn tables(&self) -> &'static [&'static str];
    fn apply(&self, conn: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()>;
    /// Applies a batch of events, in log order. By default one by one; a
    /// projection may fold the batch first and write each row once, as long
    /// as the rows come out the same.
    fn apply_all(&self, conn: &Connection, evs: &[Envelope<'_>]) -> rusqlite::Result<()> {
        evs.iter().try_for_each(|ev| self.apply(conn, ev))
    }
}

/// Every projection, in the order they are applied.
pub fn all() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(users::UsersProjection),
        Box::new(sessions::SessionsProjection),
        Box::new(api_tokens::ApiTokensProjection),
        Box::new(hosts::HostsProjection),
        Box::new(folders::FoldersProjection),
        Box::new(notify::NotifyProjection),
        Box::new(devices::DevicesProjection),
        Box::new(macs::MacsProjection),
        Box::new(logins::LoginsProjection),
        Box::new(fdb_settings::FdbSettingsProjection),
        Box::new(subscribers::SubscribersProjection),
        Box::new(billing_settings::BillingSettingsProjection),
        Box::new(gpon::GponProjection),
        Box::new(tickets::TicketsProjection),
        Box::new(ticket_billing::TicketBillingProjection),
        Box::new(requests::RequestsProjection),
    ]
}

/// A singleton settings row (`id, values_json, changed_at, changed_by` in
/// `table`): the values in force and, once changed, (when, by whom); the
/// defaults until an admin first changes them.
pub(crate) fn settings_row<T: serde::de::DeserializeOwned + Default>(
    c: &Connection,
    table: &str,
    id: &str,
) -> rusqlite::Result<(T, Option<(String, String)>)> {
    let row: Option<(String, String, String)> = opt(c.query_row(
        &format!("SELECT values_json, changed_at, changed_by FROM {table} WHERE id = ?1"),
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    ))?;
    Ok(match row {
        Some((json, at, by)) => {
            let v = serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            (v, Some((at, by)))
        }
        None => (T::default(), None),
    })
}

/// Writes a singleton settings row (the table of [`settings_row`]): the
/// values as JSON, when and by whom, from the event.
pub(crate) fn put_settings_row(
    c: &Connection,
    table: &str,
    ev: &Envelope<'_>,
    values_json: &str,
) -> rusqlite::Result<()> {
    c.prepare_cached(&format!(
        "INSERT INTO {table} (id, values_json, changed_at, changed_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET values_json = excluded.values_json,
           changed_at = excluded.changed_at, changed_by = excluded.changed_by"
    ))?
    .execute(rusqlite::params![
        ev.id(),
        values_json,
        ev.at(),
        ev.stored.meta().actor_login
    ])?;
    Ok(())
}

pub(crate) fn opt<T>(r: rusqlite::Result<T>) -> rusqlite::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
