//! The hosts read model: the ICMP board's rows (in pages, problems first,
//! with counts kept per folder and state), each host's state history and
//! maintenance windows.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::host::{HostEvent, HostState, RoundSample};

mod board;

pub use board::{board_counts, page, total, BoardCounts, BoardFilter, FolderFilter, StateFilter};

pub struct HostsProjection;

impl Projection for HostsProjection {
    fn name(&self) -> &'static str {
        "hosts"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/hosts_v2.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &[
            "hosts",
            "host_counts",
            "host_transitions",
            "host_maintenance",
        ]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::Host(e) = &ev.event else {
            return Ok(());
        };
        let (id, at) = (ev.id(), ev.at());
        let transition = |state: HostState, s: &RoundSample| -> rusqlite::Result<()> {
            c.prepare_cached(
                "UPDATE hosts SET state = ?1, state_since = ?2, last_loss_pct = ?3, last_avg_ms = ?4,
                   acked_by = NULL, ack_comment = NULL, acked_at = NULL, updated_at = ?2
                 WHERE host_id = ?5",
            )?
            .execute(params![state.as_str(), at, s.loss_pct, s.avg_ms, id])?;
            c.prepare_cached(
                "INSERT INTO host_transitions (seq, host_id, at, state, loss_pct, avg_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![ev.stored.seq, id, at, state.as_str(), s.loss_pct, s.avg_ms])?;
            Ok(())
        };
        match e {
            HostEvent::HostAdded { ip, details } => {
                c.prepare_cached(
                    "INSERT INTO hosts (host_id, ip, name, folder_id, parent_id, notes, tags, state, state_since, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?8)",
                )?
                .execute(params![id, ip, details.name, details.folder, details.parent, details.notes, details.tags.join(","), at])?;
            }
            HostEvent::HostEdited { details } => {
                c.prepare_cached(
                    "UPDATE hosts SET name = ?1, folder_id = ?2, parent_id = ?3, notes = ?4, tags = ?5, updated_at = ?6 WHERE host_id = ?7",
                )?
                .execute(params![details.name, details.folder, details.parent, details.notes, details.tags.join(","), at, id])?;
            }
            HostEvent::HostIpChanged { to, .. } => {
                c.prepare_cached("UPDATE hosts SET ip = ?1, updated_at = ?2 WHERE host_id = ?3")?
                    .execute(params![to, at, id])?;
            }
            HostEvent::HostRemoved { .. } => {
                for sql in [
                    "DELETE FROM hosts WHERE host_id = ?1",
                    "DELETE FROM host_transitions WHERE host_id = ?1",
                    "DELETE FROM host_maintenance WHERE host_id = ?1",
                    "UPDATE hosts SET parent_id = NULL WHERE parent_id = ?1",
                ] {
                    c.prepare_cached(sql)?.execute([id])?;
                }
            }
            HostEvent::HostPaused => {
                c.prepare_cached(
                    "UPDATE hosts SET paused = 1, updated_at = ?1 WHERE host_id = ?2",
                )?
                .execute(params![at, id])?;
            }
            HostEvent::HostResumed => {
                c.prepare_cached(
                    "UPDATE hosts SET paused = 0, state = 'pending', state_since = ?1, updated_at = ?1 WHERE host_id = ?2",
                )?
                .execute(params![at, id])?;
            }
            HostEvent::HostCameUp { sample, .. } => transition(HostState::Up, sample)?,
            HostEvent::HostDegraded { sample, .. } => transition(HostState::Degraded, sample)?,
            HostEvent::HostWentDown { sample, .. } => transition(HostState::Down, sample)?,
            HostEvent::HostBecameUnreachable { sample } => {
                transition(HostState::Unreachable, sample)?
            }
            HostEvent::HostAcknowledged { comment } => {
                let who = ev.stored.meta().actor_login;
                c.prepare_cached(
                    "UPDATE hosts SET acked_by = ?1, ack_comment = ?2, acked_at = ?3, updated_at = ?3 WHERE host_id = ?4",
                )?
                .execute(params![who, comment, at, id])?;
            }
            HostEvent::MaintenanceScheduled {
                window_id,
                start,
                end,
                reason,
            } => {
                c.prepare_cached(
                    "INSERT INTO host_maintenance (window_id, host_id, starts_at, ends_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![window_id, id, start, end, reason])?;
            }
            HostEvent::MaintenanceCancelled { window_id } => {
                c.prepare_cached("DELETE FROM host_maintenance WHERE window_id = ?1")?
                    .execute([window_id])?;
            }
        }
        Ok(())
    }
}

/// A row of the ICMP board.
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    pub host_id: String,
    pub ip: String,
    pub name: String,
    pub folder_id: Option<String>,
    pub parent_id: Option<String>,
    pub notes: String,
    pub tags: Vec<String>,
    pub paused: bool,
    pub state: HostState,
    pub state_since: String,
    pub last_loss_pct: Option<f64>,
    pub last_avg_ms: Option<f64>,
    pub acked_by: Option<String>,
    pub ack_comment: Option<String>,
    pub updated_at: String,
}

const COLS: &str =
    "host_id, ip, name, folder_id, parent_id, notes, tags, paused, state, state_since, \
                    last_loss_pct, last_avg_ms, acked_by, ack_comment, updated_at";

/// The tags as kept in the row (comma-joined) as a list.
fn split_tags(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// A host state column; text that names no state is an error, never a
/// default.
fn state_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<HostState> {
    let text: String = r.get(i)?;
    HostState::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("'{text}' is not a host state").into(),
        )
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HostRow> {
    Ok(HostRow {
        host_id: r.get(0)?,
        ip: r.get(1)?,
        name: r.get(2)?,
        folder_id: r.get(3)?,
        parent_id: r.get(4)?,
        notes: r.get(5)?,
        tags: split_tags(&r.get::<_, String>(6)?),
        paused: r.get(7)?,
        state: state_of(r, 8)?,
        state_since: r.get(9)?,
        last_loss_pct: r.get(10)?,
        last_avg_ms: r.get(11)?,
        acked_by: r.get(12)?,
        ack_comment: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<HostRow>> {
    crate::opt(
        c.prepare_cached(&format!("SELECT {COLS} FROM hosts WHERE host_id = ?1"))?
            .query_row([id], row),
    )
}

pub fn by_ip(c: &Connection, ip: &str) -> rusqlite::Result<Option<HostRow>> {
    crate::opt(
        c.prepare_cached(&format!("SELECT {COLS} FROM hosts WHERE ip = ?1"))?
            .query_row([ip], row),
    )
}

/// Hosts down or unreachable, longest first, at most `limit` (the
/// dashboard's panel; [`BoardCounts`] has how many there are).
pub fn down(c: &Connection, limit: usize) -> rusqlite::Result<Vec<HostRow>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLS} FROM hosts WHERE state IN ('down', 'unreachable') AND paused = 0
         ORDER BY state_since, host_id LIMIT ?1"
    ))?;
    let rows = s.query_map([limit as i64], row)?;
    rows.collect()
}

/// Every host, for sweeps: (id, ip, paused, parent).
pub fn all(c: &Connection) -> rusqlite::Result<Vec<HostRow>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLS} FROM hosts ORDER BY name COLLATE NOCASE, ip"
    ))?;
    let rows = s.query_map([], row)?;
    rows.collect()
}

/// The hosts of a folder (to move or remove them with the folder).
pub fn in_folder(c: &Connection, folder_id: &str) -> rusqlite::Result<Vec<HostRow>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLS} FROM hosts WHERE folder_id = ?1 ORDER BY board_rank, name COLLATE NOCASE, ip"
    ))?;
    let rows = s.query_map([folder_id], row)?;
    rows.collect()
}

/// One state change of a host.
#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    pub at: String,
    pub state: HostState,
    pub loss_pct: Option<f64>,
    pub avg_ms: Option<f64>,
}

/// A host's state changes, newest first.
pub fn transitions(c: &Connection, id: &str, limit: usize) -> rusqlite::Result<Vec<Transition>> {
    let mut s = c.prepare_cached(
        "SELECT at, state, loss_pct, avg_ms FROM host_transitions WHERE host_id = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = s.query_map(params![id, limit as i64], |r| {
        Ok(Transition {
            at: r.get(0)?,
            state: state_of(r, 1)?,
            loss_pct: r.get(2)?,
            avg_ms: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Hosts whose row changed after `since` (RFC 3339), oldest change first,
/// at most `limit`, for live updates. Every write of a row sets
/// `updated_at` (a state change sets it to the new `state_since`).
pub fn changed_since(c: &Connection, since: &str, limit: usize) -> rusqlite::Result<Vec<HostRow>> {
    let mut s = c.prepare_cached(&format!(
        "SELECT {COLS} FROM hosts WHERE updated_at > ?1 ORDER BY updated_at, host_id LIMIT ?2"
    ))?;
    let rows = s.query_map(params![since, limit as i64], row)?;
    rows.collect()
}

/// A host's maintenance windows: (start, end, reason).
pub fn maintenance(c: &Connection, id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut s = c.prepare_cached(
        "SELECT starts_at, ends_at, reason FROM host_maintenance WHERE host_id = ?1 ORDER BY starts_at",
    )?;
    let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Counts: (all, up, down or unreachable, paused).
pub fn counts(c: &Connection) -> rusqlite::Result<(usize, usize, usize, usize)> {
    let k = board_counts(c)?;
    let n = |s| k.total(&FolderFilter::Any, s);
    Ok((
        n(StateFilter::All),
        n(StateFilter::Up),
        n(StateFilter::Down),
        n(StateFilter::Paused),
    ))
}

#[cfg(test)]
mod typed_columns {
    use super::*;

    #[test]
    fn a_state_column_reads_as_the_state_it_names_and_other_text_is_an_error() {
        let c = Connection::open_in_memory().unwrap();
        let read = |text: &str| c.query_row("SELECT ?1", [text], |r| state_of(r, 0));
        for s in HostState::ALL {
            assert_eq!(read(s.as_str()).unwrap(), s);
        }
        let err = read("sideways").unwrap_err().to_string();
        assert!(err.contains("'sideways' is not a host state"), "{err}");
    }

    #[test]
    fn tags_read_as_a_list_without_empty_ones() {
        assert_eq!(split_tags("core,north"), ["core", "north"]);
        assert!(split_tags("").is_empty());
    }
}
