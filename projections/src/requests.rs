//! Connection requests and their board: one row per request with what the
//! board orders and filters on (folder, rank, status, installer, the visit
//! day) and its folded state; its thread, attachments and history; the
//! board's folders with their counts, per-area caps of visits a day and
//! checklist templates.
//!
//! The state is the `Request` aggregate's own fold (the same `apply`). A
//! folder's deletion re-homes its rows to where the deletion says its
//! requests went, so the board is right at once; the app then moves each
//! request's aggregate there too.

use cqrs_es::Aggregate;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::tickets::{from_json, json, stamp};
use crate::{Decoded, Envelope, Projection};
use ispmon_events::request::{Request, RequestEvent, RequestStatus};
use ispmon_events::request_board::RequestBoardEvent;

pub struct RequestsProjection;

impl Projection for RequestsProjection {
    fn name(&self) -> &'static str {
        "requests"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/requests.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &[
            "requests",
            "request_messages",
            "request_attachments",
            "request_history",
            "request_folders",
            "request_caps",
            "request_templates",
        ]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        match &ev.event {
            Decoded::Request(e) => apply(c, ev, e),
            Decoded::RequestBoard(e) => apply_board(c, ev, e),
            _ => Ok(()),
        }
    }
}

fn history(c: &Connection, ev: &Envelope<'_>, by: &str, what: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO request_history (request_id, seq, at, by_user, what)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ev.id(), ev.stored.seq as i64, ev.at(), by, what])?;
    Ok(())
}

/// What an event did, in a line of the request's history (none for the
/// thread's messages, which are the thread).
fn what(e: &RequestEvent) -> Option<String> {
    use RequestEvent as E;
    Some(match e {
        E::RequestOpened { .. } => "opened".to_string(),
        E::RequestEdited { .. } => "edited".to_string(),
        E::RequestStatusChanged { from, to, note, .. } => match note {
            Some(n) => format!("{} → {}: {n}", from.as_str(), to.as_str()),
            None => format!("{} → {}", from.as_str(), to.as_str()),
        },
        E::RequestMessagePosted { .. } => return None,
        E::RequestLabelled { label, .. } => {
            format!("label “{}” ({})", label.text, label.colour.as_str())
        }
        E::RequestMoved { folder, .. } => match folder {
            Some(f) => format!("moved to folder {f}"),
            None => "moved out of its folder".to_string(),
        },
        E::RequestInstallerAssigned { installer, .. } => match installer {
            Some(i) => format!("installer {i}"),
            None => "no installer".to_string(),
        },
        E::RequestScheduled { visit, .. } => match visit {
            Some(v) => format!(
                "visit {} {}–{}",
                v.date,
                v.from.format("%H:%M"),
                v.to.format("%H:%M")
            ),
            None => "visit cancelled".to_string(),
        },
        E::RequestChecklistSet { items, .. } => format!("checklist of {} items", items.len()),
        E::RequestItemChecked { .. } => return None,
        E::RequestRegistrationLinked { registration, .. } => {
            format!("GPON registration {}", registration.job_id)
        }
        E::RequestSubscriberLinked { login, .. } => match login {
            Some(l) => format!("subscriber {l}"),
            None => "subscriber unlinked".to_string(),
        },
        E::RequestAttachmentAdded { name, .. } => format!("attached {name}"),
    })
}

fn apply(c: &Connection, ev: &Envelope<'_>, e: &RequestEvent) -> rusqlite::Result<()> {
    let old: Option<String> = c
        .prepare_cached("SELECT state_json FROM requests WHERE id = ?1")?
        .query_row([ev.id()], |r| r.get(0))
        .optional()?;
    let mut state: Request = match &old {
        Some(s) => from_json(s)?,
        None => Request::default(),
    };
    state.apply(e.clone());
    let by = ev.stored.meta().actor_login;
    match e {
        RequestEvent::RequestMessagePosted {
            n,
            author,
            body,
            at,
        } => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO request_messages (request_id, n, author, body, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![ev.id(), *n as i64, author, body, stamp(*at)])?;
        }
        RequestEvent::RequestAttachmentAdded {
            blob,
            name,
            size,
            content_type,
            at,
        } => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO request_attachments (request_id, blob, name, size, content_type, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![ev.id(), blob, name, *size as i64, content_type, stamp(*at)])?;
        }
        _ => {}
    }
    if let Some(w) = what(e) {
        history(c, ev, &by, &w)?;
    }
    put(c, ev.id(), &state, &by, ev.at())
}

fn put(c: &Connection, id: &str, r: &Request, by: &str, changed_at: &str) -> rusqlite::Result<()> {
    let Some(d) = &r.details else {
        return Ok(());
    };
    let opened = r
        .opened_at
        .map(stamp)
        .unwrap_or_else(|| changed_at.to_string());
    let (checked, items) = r.checklist_progress();
    let visit = r.visit.as_ref();
    c.prepare_cached(
        "INSERT INTO requests (id, status, active, folder, rank, label, colour, name, address,
           subscriber_id, login, phone, area, installer, visit_date, visit_from, visit_to,
           checked, items, messages, registration_job, opened_at, opened_by, changed_at,
           state_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
           ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, active = excluded.active,
           folder = excluded.folder, rank = excluded.rank, label = excluded.label,
           colour = excluded.colour, name = excluded.name, address = excluded.address,
           subscriber_id = excluded.subscriber_id, login = excluded.login,
           phone = excluded.phone, area = excluded.area, installer = excluded.installer,
           visit_date = excluded.visit_date, visit_from = excluded.visit_from,
           visit_to = excluded.visit_to, checked = excluded.checked, items = excluded.items,
           messages = excluded.messages, registration_job = excluded.registration_job,
           changed_at = excluded.changed_at, state_json = excluded.state_json",
    )?
    .execute(params![
        id,
        r.status.as_str(),
        r.status.is_active(),
        r.folder,
        r.rank,
        r.label.text,
        r.label.colour.as_str(),
        d.name,
        d.address,
        d.subscriber_id,
        d.login,
        d.phone,
        d.area,
        r.installer,
        visit.map(|v| v.date.to_string()),
        visit.map(|v| v.from.format("%H:%M").to_string()),
        visit.map(|v| v.to.format("%H:%M").to_string()),
        checked as i64,
        items as i64,
        r.messages as i64,
        r.registration.as_ref().map(|g| g.job_id.clone()),
        opened,
        by,
        changed_at,
        json(r)?,
    ])?;
    Ok(())
}

fn apply_board(c: &Connection, ev: &Envelope<'_>, e: &RequestBoardEvent) -> rusqlite::Result<()> {
    use RequestBoardEvent as E;
    match e {
        E::RequestFolderCreated { id, name, .. } => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO request_folders (id, name, seq) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, name, ev.stored.seq as i64])?;
        }
        E::RequestFolderRenamed { id, to, .. } => {
            c.prepare_cached("UPDATE request_folders SET name = ?2 WHERE id = ?1")?
                .execute(params![id, to])?;
        }
        E::RequestFolderDeleted { id, moved_to, .. } => {
            c.prepare_cached("DELETE FROM request_folders WHERE id = ?1")?
                .execute([id])?;
            c.prepare_cached("UPDATE requests SET folder = ?2 WHERE folder = ?1")?
                .execute(params![id, moved_to])?;
        }
        E::RequestAreaCapSet { area, cap, .. } => {
            put_cap(c, &area.trim().to_lowercase(), area, *cap)?
        }
        E::RequestDefaultCapSet { cap, .. } => put_cap(c, "", "", *cap)?,
        E::RequestChecklistTemplateSet { name, items, .. } => {
            if items.is_empty() {
                c.prepare_cached("DELETE FROM request_templates WHERE name = ?1")?
                    .execute([name])?;
            } else {
                c.prepare_cached(
                    "INSERT OR REPLACE INTO request_templates (name, items_json) VALUES (?1, ?2)",
                )?
                .execute(params![name, json(items)?])?;
            }
        }
    }
    Ok(())
}

fn put_cap(c: &Connection, key: &str, area: &str, cap: Option<u32>) -> rusqlite::Result<()> {
    match cap {
        None => {
            c.prepare_cached("DELETE FROM request_caps WHERE area_key = ?1")?
                .execute([key])?;
        }
        Some(cap) => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO request_caps (area_key, area, cap) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![key, area, cap as i64])?;
        }
    }
    Ok(())
}

/// A request as the board and its page show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestView {
    pub id: String,
    pub status: String,
    pub folder: Option<String>,
    pub rank: String,
    pub label: String,
    pub colour: String,
    pub name: String,
    pub address: String,
    pub subscriber_id: Option<String>,
    pub login: Option<String>,
    pub phone: Option<String>,
    pub area: Option<String>,
    pub installer: Option<String>,
    pub visit_date: Option<String>,
    pub visit_from: Option<String>,
    pub visit_to: Option<String>,
    pub checked: i64,
    pub items: i64,
    pub messages: i64,
    pub registration_job: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
    pub changed_at: String,
}

impl RequestView {
    pub fn status(&self) -> Option<RequestStatus> {
        RequestStatus::parse(&self.status)
    }
}

const COLUMNS: &str = "id, status, folder, rank, label, colour, name, address, subscriber_id,
    login, phone, area, installer, visit_date, visit_from, visit_to, checked, items, messages,
    registration_job, opened_at, opened_by, changed_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestView> {
    Ok(RequestView {
        id: r.get(0)?,
        status: r.get(1)?,
        folder: r.get(2)?,
        rank: r.get(3)?,
        label: r.get(4)?,
        colour: r.get(5)?,
        name: r.get(6)?,
        address: r.get(7)?,
        subscriber_id: r.get(8)?,
        login: r.get(9)?,
        phone: r.get(10)?,
        area: r.get(11)?,
        installer: r.get(12)?,
        visit_date: r.get(13)?,
        visit_from: r.get(14)?,
        visit_to: r.get(15)?,
        checked: r.get(16)?,
        items: r.get(17)?,
        messages: r.get(18)?,
        registration_job: r.get(19)?,
        opened_at: r.get(20)?,
        opened_by: r.get(21)?,
        changed_at: r.get(22)?,
    })
}

/// Which folder the board shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum FolderSel {
    /// Every folder.
    #[default]
    All,
    /// Requests in no folder.
    Unfiled,
    One(String),
}

/// What the board shows, in its manual order (rank, then id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BoardQuery {
    pub folder: FolderSel,
    /// A status, `"active"` (the default: not done, not in the trash), or
    /// `"any"`.
    pub status: String,
    pub installer: Option<String>,
    pub subscriber_id: Option<String>,
    /// A visit day (`YYYY-MM-DD`).
    pub visit_date: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

fn filters(q: &BoardQuery) -> (String, Args) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut args: Args = Vec::new();
    match &q.folder {
        FolderSel::All => {}
        FolderSel::Unfiled => sql.push_str(" AND folder IS NULL"),
        FolderSel::One(f) => {
            args.push(Box::new(f.clone()));
            sql.push_str(&format!(" AND folder = ?{}", args.len()));
        }
    }
    match q.status.as_str() {
        "" | "active" => sql.push_str(" AND active = 1"),
        "any" => {}
        s => {
            args.push(Box::new(s.to_string()));
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
    }
    for (col, v) in [
        ("installer", &q.installer),
        ("subscriber_id", &q.subscriber_id),
        ("visit_date", &q.visit_date),
    ] {
        if let Some(v) = v {
            args.push(Box::new(v.clone()));
            sql.push_str(&format!(" AND {col} = ?{}", args.len()));
        }
    }
    (sql, args)
}

/// One page of the board in its manual order.
pub fn board(c: &Connection, q: &BoardQuery) -> rusqlite::Result<Vec<RequestView>> {
    let (sql, args) = board_sql(q);
    let mut s = c.prepare_cached(&sql)?;
    let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let rows = s.query_map(refs.as_slice(), row)?;
    rows.collect()
}

/// How many requests the query finds.
pub fn count(c: &Connection, q: &BoardQuery) -> rusqlite::Result<i64> {
    let (sql, args) = count_sql(q);
    let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
    c.prepare_cached(&sql)?
        .query_row(refs.as_slice(), |r| r.get(0))
}

type Args = Vec<Box<dyn rusqlite::ToSql>>;

fn board_sql(q: &BoardQuery) -> (String, Args) {
    let (filter, args) = filters(q);
    let sql = format!(
        "SELECT {COLUMNS} FROM requests{filter} ORDER BY rank, id LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset
    );
    (sql, args)
}

fn count_sql(q: &BoardQuery) -> (String, Args) {
    let (filter, args) = filters(q);
    (format!("SELECT COUNT(*) FROM requests{filter}"), args)
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<RequestView>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?
        .query_row([id], row)
        .optional()
}

/// The request's folded state (its checklist, visit, registration).
pub fn state(c: &Connection, id: &str) -> rusqlite::Result<Option<Request>> {
    let s: Option<String> = c
        .prepare_cached("SELECT state_json FROM requests WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    s.map(|s| from_json(&s)).transpose()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub n: i64,
    pub author: String,
    pub body: String,
    pub at: String,
}

pub fn messages(c: &Connection, id: &str) -> rusqlite::Result<Vec<MessageView>> {
    let mut s = c.prepare_cached(
        "SELECT n, author, body, at FROM request_messages WHERE request_id = ?1 ORDER BY n",
    )?;
    let rows = s.query_map([id], |r| {
        Ok(MessageView {
            n: r.get(0)?,
            author: r.get(1)?,
            body: r.get(2)?,
            at: r.get(3)?,
        })
    })?;
    rows.collect()
}

pub use crate::tickets::AttachmentView;

pub fn attachments(c: &Connection, id: &str) -> rusqlite::Result<Vec<AttachmentView>> {
    crate::tickets::attachments_in(c, "request_attachments", "request_id", id)
}

/// (at, by, what), oldest first.
pub fn history_of(c: &Connection, id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    crate::tickets::history_in(c, "request_history", "request_id", id)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FolderView {
    pub id: String,
    pub name: String,
    /// Its active requests.
    pub active: i64,
}

const FOLDERS_SQL: &str =
    "SELECT f.id, f.name, (SELECT COUNT(*) FROM requests r WHERE r.folder = f.id AND r.active = 1)
     FROM request_folders f ORDER BY f.seq";
const UNFILED_SQL: &str = "SELECT COUNT(*) FROM requests WHERE folder IS NULL AND active = 1";

/// The folders in the order they were made, with their active requests;
/// and the active requests in no folder.
pub fn folders(c: &Connection) -> rusqlite::Result<(Vec<FolderView>, i64)> {
    let mut s = c.prepare_cached(FOLDERS_SQL)?;
    let rows: Vec<FolderView> = s
        .query_map([], |r| {
            Ok(FolderView {
                id: r.get(0)?,
                name: r.get(1)?,
                active: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let unfiled = c.prepare_cached(UNFILED_SQL)?.query_row([], |r| r.get(0))?;
    Ok((rows, unfiled))
}

pub fn folder_exists(c: &Connection, id: &str) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT 1 FROM request_folders WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// The ids of every request in a folder (any status), in order.
pub fn ids_in_folder(c: &Connection, folder: &str) -> rusqlite::Result<Vec<String>> {
    let mut s = c.prepare_cached("SELECT id FROM requests WHERE folder = ?1 ORDER BY rank, id")?;
    let rows = s.query_map([folder], |r| r.get(0))?;
    rows.collect()
}

fn folder_clause(folder: Option<&str>) -> &'static str {
    if folder.is_some() {
        "folder = ?1"
    } else {
        "folder IS NULL AND ?1 IS NULL"
    }
}

/// The rank that puts a request right after `after` (`None`: first) in a
/// folder, between it and the next request of the folder (leaving the
/// moved one out). Ties (equal ranks of two moves into one gap) are
/// stepped over, so the new rank is strictly between two different ranks.
pub fn rank_for_drop(
    c: &Connection,
    folder: Option<&str>,
    moving: &str,
    after: Option<&str>,
) -> rusqlite::Result<String> {
    let clause = folder_clause(folder);
    let prev: Option<String> = match after {
        Some(a) => c
            .prepare_cached("SELECT rank FROM requests WHERE id = ?1")?
            .query_row([a], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let next: Option<String> = match &prev {
        Some(p) => c
            .prepare_cached(&format!(
                "SELECT rank FROM requests WHERE {clause} AND id != ?2 AND rank > ?3
                 ORDER BY rank LIMIT 1"
            ))?
            .query_row(params![folder, moving, p], |r| r.get(0))
            .optional()?,
        None => c
            .prepare_cached(&format!(
                "SELECT rank FROM requests WHERE {clause} AND id != ?2 ORDER BY rank LIMIT 1"
            ))?
            .query_row(params![folder, moving], |r| r.get(0))
            .optional()?,
    };
    Ok(ispmon_events::rank::between(
        prev.as_deref(),
        next.as_deref(),
    ))
}

/// The id of the request at `position` (0 first) of a folder's manual
/// order, leaving `moving` out: what a drop at that position goes after.
pub fn at_position(
    c: &Connection,
    folder: Option<&str>,
    moving: &str,
    position: usize,
) -> rusqlite::Result<Option<String>> {
    if position == 0 {
        return Ok(None);
    }
    let clause = folder_clause(folder);
    let found: Option<String> = c
        .prepare_cached(&format!(
            "SELECT id FROM requests WHERE {clause} AND id != ?2 ORDER BY rank, id
             LIMIT 1 OFFSET ?3"
        ))?
        .query_row(params![folder, moving, (position - 1) as i64], |r| r.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(Some(id)),
        // Past the end: after the last one.
        None => last_in(c, folder, moving),
    }
}

/// The last request of a folder's manual order, leaving `moving` out.
pub fn last_in(
    c: &Connection,
    folder: Option<&str>,
    moving: &str,
) -> rusqlite::Result<Option<String>> {
    let clause = folder_clause(folder);
    c.prepare_cached(&format!(
        "SELECT id FROM requests WHERE {clause} AND id != ?2 ORDER BY rank DESC, id DESC LIMIT 1"
    ))?
    .query_row(params![folder, moving], |r| r.get(0))
    .optional()
}

/// The rank after the last request of a folder (a new request's place).
pub fn rank_at_end(c: &Connection, folder: Option<&str>) -> rusqlite::Result<String> {
    let last: Option<String> = c
        .prepare_cached(&format!(
            "SELECT rank FROM requests WHERE {} ORDER BY rank DESC LIMIT 1",
            folder_clause(folder)
        ))?
        .query_row([folder], |r| r.get(0))
        .optional()?;
    Ok(ispmon_events::rank::between(last.as_deref(), None))
}

/// An installer's visits on a day, by the start of their window (active
/// ones, then done ones).
pub fn installer_day(
    c: &Connection,
    installer: &str,
    date: &str,
) -> rusqlite::Result<Vec<RequestView>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE installer = ?1 AND visit_date = ?2
           AND status != 'closed'
         ORDER BY active DESC, visit_from, id"
    ))?;
    let rows = s.query_map(params![installer, date], row)?;
    rows.collect()
}

/// The active visits an installer has on a day in an area (case-folded).
pub fn day_load(c: &Connection, installer: &str, date: &str, area: &str) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "SELECT COUNT(*) FROM requests WHERE installer = ?1 AND visit_date = ?2
           AND lower(COALESCE(area, '')) = lower(?3) AND active = 1",
    )?
    .query_row(params![installer, date, area.trim()], |r| r.get(0))
}

/// Every visit of a day, by installer then window (the dashboard).
pub fn visits_on(c: &Connection, date: &str) -> rusqlite::Result<Vec<RequestView>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE visit_date = ?1 AND status != 'closed'
         ORDER BY installer, visit_from, id"
    ))?;
    let rows = s.query_map([date], row)?;
    rows.collect()
}

/// The caps of visits a day: the default, and (area, cap) by area.
pub type Caps = (Option<u32>, Vec<(String, u32)>);

pub fn caps(c: &Connection) -> rusqlite::Result<Caps> {
    let mut s =
        c.prepare_cached("SELECT area_key, area, cap FROM request_caps ORDER BY area_key")?;
    let mut default = None;
    let mut areas = Vec::new();
    for r in s.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (key, area, cap) = r?;
        if key.is_empty() {
            default = Some(cap as u32);
        } else {
            areas.push((area, cap as u32));
        }
    }
    Ok((default, areas))
}

/// The cap of visits a day in an area: its own, else the default.
pub fn area_cap(c: &Connection, area: &str) -> rusqlite::Result<Option<u32>> {
    let key = area.trim().to_lowercase();
    let own: Option<i64> = c
        .prepare_cached("SELECT cap FROM request_caps WHERE area_key = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    let cap = match own {
        Some(c) => Some(c),
        None => c
            .prepare_cached("SELECT cap FROM request_caps WHERE area_key = ''")?
            .query_row([], |r| r.get(0))
            .optional()?,
    };
    Ok(cap.map(|c| c as u32))
}

/// The checklist templates: (name, items), by name.
pub fn templates(c: &Connection) -> rusqlite::Result<Vec<(String, Vec<String>)>> {
    let mut s = c.prepare_cached("SELECT name, items_json FROM request_templates ORDER BY name")?;
    let rows = s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|r| {
        let (name, items) = r?;
        Ok((name, from_json(&items)?))
    })
    .collect()
}

const COUNTS_SQL: &str = "SELECT status, COUNT(*) FROM requests WHERE active = 1 GROUP BY status";

/// Active requests per status (the dashboard, the tabs).
pub fn counts(c: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut s = c.prepare_cached(COUNTS_SQL)?;
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// A subscriber's requests, newest first.
pub fn by_subscriber(
    c: &Connection,
    subscriber_id: &str,
    limit: usize,
) -> rusqlite::Result<Vec<RequestView>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE subscriber_id = ?1 ORDER BY opened_at DESC, id LIMIT ?2"
    ))?;
    let rows = s.query_map(params![subscriber_id, limit as i64], row)?;
    rows.collect()
}

#[cfg(test)]
mod plans {
    use super::*;

    fn plan(c: &Connection, sql: &str, args: &Args) -> String {
        let refs: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
        crate::tests::query_plan(c, sql, refs.as_slice())
    }

    /// The board's counts read an index alone and its pages come in index
    /// order: a board of many requests never reads every wide row (their
    /// folded state) to count them or sorts them all for one page.
    #[test]
    fn the_boards_counts_read_an_index_and_its_pages_are_not_sorted() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(RequestsProjection.schema()).unwrap();
        for sql in [FOLDERS_SQL, UNFILED_SQL, COUNTS_SQL] {
            let p = plan(&c, sql, &Vec::new());
            assert!(p.contains("USING COVERING INDEX"), "{sql}: {p}");
        }
        for folder in [
            FolderSel::All,
            FolderSel::Unfiled,
            FolderSel::One("f-1".into()),
        ] {
            for status in ["active", "any", "scheduled"] {
                let q = BoardQuery {
                    folder: folder.clone(),
                    status: status.into(),
                    limit: 50,
                    ..BoardQuery::default()
                };
                let (sql, args) = count_sql(&q);
                let p = plan(&c, &sql, &args);
                assert!(p.contains("COVERING INDEX"), "{folder:?} {status}: {p}");
                let (sql, args) = board_sql(&q);
                let p = plan(&c, &sql, &args);
                assert!(!p.contains("TEMP B-TREE"), "{folder:?} {status}: {p}");
            }
        }
    }
}
