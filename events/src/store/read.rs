//! Reads over the log: aggregate loads, tailing by sequence, audit filters.

use rusqlite::{params, Connection, Row};
use serde::Serialize;

use super::GENESIS;

/// One row of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub seq: u64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub aggregate_seq: u64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    pub recorded_at: String,
    pub hash: String,
}

pub(super) const COLUMNS: &str = "seq, aggregate_type, aggregate_id, aggregate_seq, event_type, \
     event_version, payload, metadata, recorded_at, hash";

impl StoredEvent {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: r.get(0)?,
            aggregate_type: r.get(1)?,
            aggregate_id: r.get(2)?,
            aggregate_seq: r.get(3)?,
            event_type: r.get(4)?,
            event_version: r.get(5)?,
            payload: r.get(6)?,
            metadata: r.get(7)?,
            recorded_at: r.get(8)?,
            hash: r.get(9)?,
        })
    }

    /// The event as one JSON object (payload and metadata parsed), as the
    /// API and `export-events` give it.
    pub fn to_json(&self) -> serde_json::Value {
        let parse = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "seq": self.seq,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "aggregate_seq": self.aggregate_seq,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "payload": parse(&self.payload),
            "metadata": parse(&self.metadata),
            "recorded_at": self.recorded_at,
            "hash": self.hash,
        })
    }

    /// The event's metadata, parsed.
    pub fn meta(&self) -> crate::Metadata {
        crate::Metadata::from_json(&self.metadata)
    }
}

/// Audit filter over the log; every field optional. Results are newest first;
/// `before_seq` pages backwards.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub actor: Option<String>,
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    pub event_type: Option<String>,
    /// RFC 3339 lower bound (inclusive) on `recorded_at`.
    pub from: Option<String>,
    /// RFC 3339 upper bound (exclusive) on `recorded_at`.
    pub to: Option<String>,
    pub before_seq: Option<u64>,
    pub limit: usize,
}

pub(super) fn tail(conn: &Connection) -> rusqlite::Result<(u64, String)> {
    conn.prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS.to_string())),
            e => Err(e),
        })
}

pub fn since(conn: &Connection, after: u64, limit: usize) -> rusqlite::Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after, limit as i64], StoredEvent::from_row)?;
    rows.collect()
}

pub(super) fn for_aggregate(
    conn: &Connection,
    aggregate_type: &str,
    aggregate_id: &str,
    until: Option<&str>,
) -> rusqlite::Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = ?1 AND aggregate_id = ?2
           AND (?3 IS NULL OR recorded_at <= ?3) ORDER BY aggregate_seq"
    ))?;
    let rows = stmt.query_map(
        params![aggregate_type, aggregate_id, until],
        StoredEvent::from_row,
    )?;
    rows.collect()
}

pub(super) fn query(conn: &Connection, f: &EventFilter) -> rusqlite::Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events
         WHERE (?1 IS NULL OR actor_login = ?1)
           AND (?2 IS NULL OR aggregate_type = ?2)
           AND (?3 IS NULL OR aggregate_id = ?3)
           AND (?4 IS NULL OR event_type = ?4)
           AND (?5 IS NULL OR recorded_at >= ?5)
           AND (?6 IS NULL OR recorded_at < ?6)
           AND (?7 IS NULL OR seq < ?7)
         ORDER BY seq DESC LIMIT ?8"
    ))?;
    let rows = stmt.query_map(
        params![
            f.actor,
            f.aggregate_type,
            f.aggregate_id,
            f.event_type,
            f.from,
            f.to,
            f.before_seq,
            f.limit.clamp(1, 1000) as i64
        ],
        StoredEvent::from_row,
    )?;
    rows.collect()
}

pub(super) fn snapshot(
    conn: &Connection,
    aggregate_type: &str,
    aggregate_id: &str,
) -> rusqlite::Result<Option<(String, u64, u64)>> {
    conn.prepare_cached(
        "SELECT payload, last_sequence, snapshot_version FROM snapshots
         WHERE aggregate_type = ?1 AND aggregate_id = ?2",
    )?
    .query_row(params![aggregate_type, aggregate_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .map(Some)
    .or_else(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        e => Err(e),
    })
}

/// Distinct values of a column, for filter drop-downs.
pub fn distinct(conn: &Connection, column: &str) -> rusqlite::Result<Vec<String>> {
    let column = match column {
        "aggregate_type" | "event_type" | "actor_login" => column,
        _ => return Ok(Vec::new()),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL ORDER BY 1 LIMIT 500"
    ))?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}
