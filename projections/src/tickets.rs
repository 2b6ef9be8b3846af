//! Repair tickets: one row per ticket with what the list filters and sorts
//! on — status, priority, assignee, the due times under the SLA calendar
//! and policies — and the ticket's folded state; its comments, attachments
//! and history.
//!
//! The state is the `Ticket` aggregate's own fold (the same `apply`), so the
//! due times come from the same rule the aggregate uses.
//!
//! The SLA settings are folded here too, in log order with the tickets
//! ([`crate::sla_settings`] owns the reading): each ticket is judged under
//! the settings in force at its event, and a change of the settings
//! recomputes every open ticket ([`recompute_open`]) in the same
//! transaction — once per change, before the next ticket event or at the
//! end of the batch — so a rebuild gives the same rows.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::sla::Sla;
use ispmon_events::ticket::{Priority, Ticket, TicketEvent, TicketSource, TicketStatus};

pub struct TicketsProjection;

/// A value as JSON text for a column.
pub(crate) fn json<T: Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A value read back from a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub use ispmon_events::sla::stamp;

pub fn priority_rank(p: Priority) -> i64 {
    match p {
        Priority::Urgent => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    }
}

impl Projection for TicketsProjection {
    fn name(&self) -> &'static str {
        "tickets"
    }
    fn schema(&self) -> &'static str {
        concat!(
            include_str!("../../migrations/views/tickets.sql"),
            include_str!("../../migrations/views/sla_settings.sql")
        )
    }
    fn tables(&self) -> &'static [&'static str] {
        &[
            "tickets",
            "ticket_comments",
            "ticket_attachments",
            "ticket_history",
            "sla_settings",
        ]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        self.apply_all(c, std::slice::from_ref(ev))
    }
    fn apply_all(&self, c: &Connection, evs: &[Envelope<'_>]) -> rusqlite::Result<()> {
        // Read once per batch, at the first event that needs them.
        let mut sla: Option<Sla> = None;
        // A change folded whose open tickets are not recomputed yet.
        let mut stale = false;
        for ev in evs {
            match &ev.event {
                Decoded::Ticket(e) => {
                    let sla = in_force(c, &mut sla)?;
                    if std::mem::take(&mut stale) {
                        recomputed(c, sla)?;
                    }
                    apply(c, ev, e, sla)?;
                }
                Decoded::SlaSettings(e) => {
                    crate::sla_settings::fold(c, ev, e, in_force(c, &mut sla)?)?;
                    stale = true;
                }
                _ => {}
            }
        }
        match (stale, &sla) {
            (true, Some(sla)) => recomputed(c, sla),
            _ => Ok(()),
        }
    }
}

fn in_force<'s>(c: &Connection, sla: &'s mut Option<Sla>) -> rusqlite::Result<&'s mut Sla> {
    if sla.is_none() {
        *sla = Some(crate::sla_settings::sla(c)?);
    }
    Ok(sla.as_mut().expect("just read"))
}

/// Recomputes the open tickets after a change and records the counts.
fn recomputed(c: &Connection, sla: &Sla) -> rusqlite::Result<()> {
    let (n, moved) = recompute_open(c, sla)?;
    crate::sla_settings::set_counts(c, n, moved)
}

/// The due columns of a ticket under some settings.
struct Due {
    first_response: Option<String>,
    resolution: Option<String>,
    paused: bool,
    /// The list's order (an index): the sooner of the two, '9999' for none.
    next: String,
}

fn due(sla: &Sla, t: &Ticket) -> Due {
    let a = sla.awaited(t);
    let first_response = a.first_response.map(stamp);
    let resolution = a.resolution.map(stamp);
    let next = [&first_response, &resolution]
        .into_iter()
        .flatten()
        .min()
        .cloned()
        .unwrap_or_else(|| "9999".to_string());
    Due {
        first_response,
        resolution,
        paused: a.paused,
        next,
    }
}

/// Judges every open (not done) ticket again under `sla` from its folded
/// state and rewrites the due columns of those that moved. Returns (open
/// tickets recomputed, of them moved). Done tickets await nothing and are
/// not touched.
pub fn recompute_open(c: &Connection, sla: &Sla) -> rusqlite::Result<(usize, usize)> {
    let mut moved = Vec::new();
    let mut n = 0;
    {
        let mut s = c.prepare_cached(
            "SELECT id, state_json, first_response_due, resolution_due, paused
             FROM tickets WHERE done = 0",
        )?;
        let mut rows = s.query([])?;
        while let Some(r) = rows.next()? {
            n += 1;
            let t: Ticket = from_json(r.get_ref(1)?.as_str()?)?;
            let d = due(sla, &t);
            let same = r.get::<_, Option<String>>(2)? == d.first_response
                && r.get::<_, Option<String>>(3)? == d.resolution
                && r.get::<_, bool>(4)? == d.paused;
            if !same {
                moved.push((r.get::<_, String>(0)?, d));
            }
        }
    }
    let mut u = c.prepare_cached(
        "UPDATE tickets SET first_response_due = ?2, resolution_due = ?3, paused = ?4,
           next_due = ?5 WHERE id = ?1",
    )?;
    for (id, d) in &moved {
        u.execute(params![
            id,
            d.first_response,
            d.resolution,
            d.paused,
            d.next
        ])?;
    }
    Ok((n, moved.len()))
}

fn apply(c: &Connection, ev: &Envelope<'_>, e: &TicketEvent, sla: &Sla) -> rusqlite::Result<()> {
    let old: Option<String> = c
        .prepare_cached("SELECT state_json FROM tickets WHERE id = ?1")?
        .query_row([ev.id()], |r| r.get(0))
        .optional()?;
    let mut state: Ticket = match &old {
        Some(s) => from_json(s)?,
        None => Ticket::default(),
    };
    state.apply(e.clone());
    let by = ev.stored.meta().actor_login;
    match e {
        TicketEvent::TicketCommented {
            comment_id,
            body,
            author,
            imported,
            at,
            ..
        } => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO ticket_comments (ticket_id, n, body, author, imported, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                ev.id(),
                *comment_id as i64,
                body,
                author,
                imported,
                stamp(*at)
            ])?;
        }
        TicketEvent::TicketAttachmentAdded {
            blob,
            name,
            size,
            content_type,
            at,
        } => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO ticket_attachments (ticket_id, blob, name, size, content_type, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![ev.id(), blob, name, *size as i64, content_type, stamp(*at)])?;
        }
        TicketEvent::TicketStatusChanged { from, to, note, at } => {
            let what = match note {
                Some(n) => format!("{from} → {to}: {n}"),
                None => format!("{from} → {to}"),
            };
            history(c, ev, *at, &by, &what)?;
        }
        TicketEvent::TicketAssigned { assignee, at } => {
            let what = match assignee {
                Some(a) => format!("assigned to {a}"),
                None => "unassigned".to_string(),
            };
            history(c, ev, *at, &by, &what)?;
        }
        TicketEvent::TicketOpened { at, .. } => history(c, ev, *at, &by, "opened")?,
        TicketEvent::TicketEdited { at, .. } => history(c, ev, *at, &by, "edited")?,
        TicketEvent::TicketFirstResponded { .. } => {}
    }
    put(c, ev.id(), &state, &by, ev.at(), sla)
}

fn history(
    c: &Connection,
    ev: &Envelope<'_>,
    at: DateTime<Utc>,
    by: &str,
    what: &str,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO ticket_history (ticket_id, seq, at, by_user, what)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ev.id(), ev.stored.seq as i64, stamp(at), by, what])?;
    Ok(())
}

/// Writes the ticket's row from its state, judged under `sla`.
fn put(
    c: &Connection,
    id: &str,
    t: &Ticket,
    by: &str,
    changed_at: &str,
    sla: &Sla,
) -> rusqlite::Result<()> {
    let Some(d) = &t.details else {
        return Ok(());
    };
    // Opened with its details: a ticket with details has its time.
    let Some(opened) = t.opened_at else {
        return Ok(());
    };
    let due = due(sla, t);
    let done = t.status.is_done();
    let (source, billing_id) = match &t.source {
        Some(TicketSource::Billing { billing_ticket_id }) => ("billing", Some(billing_ticket_id)),
        _ => ("staff", None),
    };
    c.prepare_cached(
        "INSERT INTO tickets (id, status, priority, priority_rank, category, subscriber_id, login,
           address, phone, problem, assignee, source, billing_ticket_id, opened_at, opened_by,
           first_response_at, resolved_at, first_response_due, resolution_due, paused, done,
           comments, changed_at, state_json, next_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
           ?19, ?20, ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
           priority_rank = excluded.priority_rank, category = excluded.category,
           subscriber_id = excluded.subscriber_id, login = excluded.login,
           address = excluded.address, phone = excluded.phone, problem = excluded.problem,
           assignee = excluded.assignee, first_response_at = excluded.first_response_at,
           resolved_at = excluded.resolved_at, first_response_due = excluded.first_response_due,
           resolution_due = excluded.resolution_due, paused = excluded.paused,
           done = excluded.done, comments = excluded.comments, changed_at = excluded.changed_at,
           state_json = excluded.state_json, next_due = excluded.next_due",
    )?
    .execute(params![
        id,
        t.status.as_str(),
        d.priority.as_str(),
        priority_rank(d.priority),
        d.category,
        d.subscriber_id,
        d.login,
        d.address,
        d.phone,
        d.problem,
        t.assignee,
        source,
        billing_id,
        stamp(opened),
        by,
        t.first_response_at.map(stamp),
        t.resolved_at.map(stamp),
        due.first_response,
        due.resolution,
        due.paused,
        done,
        t.comments as i64,
        changed_at,
        json(t)?,
        due.next
    ])?;
    Ok(())
}

/// A ticket as the list and the page show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketView {
    pub id: String,
    pub status: String,
    pub priority: String,
    pub category: String,
    pub subscriber_id: Option<String>,
    pub login: Option<String>,
    pub address: String,
    pub phone: Option<String>,
    pub problem: String,
    pub assignee: Option<String>,
    pub source: String,
    pub billing_ticket_id: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub first_response_due: Option<String>,
    pub resolution_due: Option<String>,
    pub paused: bool,
    pub done: bool,
    pub comments: i64,
    pub changed_at: String,
}

impl TicketView {
    /// Past its first-response or resolution due time at `now` (RFC 3339).
    pub fn breached(&self, now: &str) -> bool {
        let past = |d: &Option<String>| d.as_deref().is_some_and(|d| d < now);
        !self.done && (past(&self.first_response_due) || past(&self.resolution_due))
    }

    /// The earliest due time still ahead of the ticket.
    pub fn next_due(&self) -> Option<&str> {
        [&self.first_response_due, &self.resolution_due]
            .into_iter()
            .filter_map(|d| d.as_deref())
            .min()
    }

    pub fn status(&self) -> Option<TicketStatus> {
        TicketStatus::parse(&self.status)
    }
}

const COLUMNS: &str = "id, status, priority, category, subscriber_id, login, address, phone,
    problem, assignee, source, billing_ticket_id, opened_at, opened_by, first_response_at,
    resolved_at, first_response_due, resolution_due, paused, done, comments, changed_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketView> {
    Ok(TicketView {
        id: r.get(0)?,
        status: r.get(1)?,
        priority: r.get(2)?,
        category: r.get(3)?,
        subscriber_id: r.get(4)?,
        login: r.get(5)?,
        address: r.get(6)?,
        phone: r.get(7)?,
        problem: r.get(8)?,
        assignee: r.get(9)?,
        source: r.get(10)?,
        billing_ticket_id: r.get(11)?,
        opened_at: r.get(12)?,
        opened_by: r.get(13)?,
        first_response_at: r.get(14)?,
        resolved_at: r.get(15)?,
        first_response_due: r.get(16)?,
        resolution_due: r.get(17)?,
        paused: r.get(18)?,
        done: r.get(19)?,
        comments: r.get(20)?,
        changed_at: r.get(21)?,
    })
}

/// What the list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    /// A status, `"active"` (not resolved or closed, the default), or `"any"`.
    pub status: String,
    pub assignee: Option<String>,
    pub subscriber_id: Option<String>,
    /// Only tickets not done whose next due time is before this [`stamp`]
    /// (the clock's time: those past their SLA).
    pub due_before: Option<String>,
    /// `due` (breaches and the soonest due first, the default), `opened`
    /// (newest first), `priority`.
    pub sort: String,
    pub limit: usize,
    pub offset: usize,
}

pub fn list(c: &Connection, q: &TicketQuery) -> rusqlite::Result<Vec<TicketView>> {
    let mut sql = format!("SELECT {COLUMNS} FROM tickets WHERE 1 = 1");
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
    match q.status.as_str() {
        "" | "active" => sql.push_str(" AND done = 0"),
        "any" => {}
        s => {
            args.push(Box::new(s.to_string()));
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
    }
    if let Some(a) = &q.assignee {
        args.push(Box::new(a.clone()));
        sql.push_str(&format!(" AND assignee = ?{}", args.len()));
    }
    if let Some(s) = &q.subscriber_id {
        args.push(Box::new(s.clone()));
        sql.push_str(&format!(" AND subscriber_id = ?{}", args.len()));
    }
    if let Some(t) = &q.due_before {
        args.push(Box::new(t.clone()));
        sql.push_str(&format!(" AND done = 0 AND next_due < ?{}", args.len()));
    }
    let one_status = !matches!(q.status.as_str(), "" | "active" | "any");
    sql.push_str(match q.sort.as_str() {
        "opened" => " ORDER BY opened_at DESC, id",
        "priority" => " ORDER BY priority_rank, opened_at, id",
        // One status: `done` is the same for all (the status index's order).
        _ if one_status => " ORDER BY next_due, priority_rank, opened_at",
        // The index's order: the soonest due first, then the most urgent.
        _ => " ORDER BY done, next_due, priority_rank, opened_at",
    });
    sql.push_str(&format!(
        " LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset
    ));
    let mut s = c.prepare(&sql)?;
    let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let rows = s.query_map(refs.as_slice(), row)?;
    rows.collect()
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<TicketView>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"))?
        .query_row([id], row)
        .optional()
}

/// The ticket's folded state (for the SLA at a given moment).
pub fn state(c: &Connection, id: &str) -> rusqlite::Result<Option<Ticket>> {
    let s: Option<String> = c
        .prepare_cached("SELECT state_json FROM tickets WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    s.map(|s| from_json(&s)).transpose()
}

/// Every ticket not resolved or closed, with its folded state.
pub fn open_states(c: &Connection) -> rusqlite::Result<Vec<(String, Ticket)>> {
    c.prepare_cached("SELECT id, state_json FROM tickets WHERE done = 0 ORDER BY id")?
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, from_json(r.get_ref(1)?.as_str()?)?))
        })?
        .collect()
}

/// (active tickets, those of them past a due time at `now`).
pub fn summary(c: &Connection, now: &str) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(first_response_due < ?1 OR resolution_due < ?1), 0)
         FROM tickets WHERE done = 0",
    )?
    .query_row([now], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Counts per status of the tickets not closed (the dashboard, the tabs).
pub fn counts(c: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut s = c.prepare_cached(
        "SELECT status, COUNT(*) FROM tickets WHERE status != 'closed' GROUP BY status",
    )?;
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentView {
    pub n: i64,
    pub body: String,
    pub author: String,
    pub imported: bool,
    pub at: String,
}

pub fn comments(c: &Connection, id: &str) -> rusqlite::Result<Vec<CommentView>> {
    let mut s = c.prepare_cached(
        "SELECT n, body, author, imported, at FROM ticket_comments WHERE ticket_id = ?1 ORDER BY n",
    )?;
    let rows = s.query_map([id], |r| {
        Ok(CommentView {
            n: r.get(0)?,
            body: r.get(1)?,
            author: r.get(2)?,
            imported: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// (at, by, what), oldest first.
pub fn history_of(c: &Connection, id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    history_in(c, "ticket_history", "ticket_id", id)
}

/// (at, by, what) of one owner in a history `table` (keyed by `owner`),
/// oldest first: tickets' and requests' alike.
pub(crate) fn history_in(
    c: &Connection,
    table: &str,
    owner: &str,
    id: &str,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT at, by_user, what FROM {table} WHERE {owner} = ?1 ORDER BY seq"
    ))?;
    let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentView {
    pub blob: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub at: String,
}

pub fn attachments(c: &Connection, id: &str) -> rusqlite::Result<Vec<AttachmentView>> {
    attachments_in(c, "ticket_attachments", "ticket_id", id)
}

/// The attachments of one owner in `table` (keyed by `owner`), oldest
/// first: tickets' and requests' alike.
pub(crate) fn attachments_in(
    c: &Connection,
    table: &str,
    owner: &str,
    id: &str,
) -> rusqlite::Result<Vec<AttachmentView>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT blob, name, size, content_type, at FROM {table}
         WHERE {owner} = ?1 ORDER BY at, blob"
    ))?;
    let rows = s.query_map([id], |r| {
        Ok(AttachmentView {
            blob: r.get(0)?,
            name: r.get(1)?,
            size: r.get(2)?,
            content_type: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests;
