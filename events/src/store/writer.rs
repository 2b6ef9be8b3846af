//! The writer thread: owns the only write connection to `events.db`.
//!
//! Group commit: it takes every operation waiting in its queue, runs them in
//! one transaction (one fsync), then answers each. One failing operation
//! (a conflict, a taken login) fails only itself: the batch is first run
//! without per-operation savepoints, and only when an operation fails is it
//! rolled back and run again with a savepoint around each operation.

use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use cqrs_es::persist::SerializedEvent;
use rusqlite::{params, Connection, ErrorCode};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::cache::{self, CachedSnapshot, SnapshotCache};
use super::feed::Feed;
use super::{
    chain_hash, now_rfc3339, CommitSignal, ReservationTaken, StoreError, StoredEvent, WriteOp,
};
use crate::reservations::{ops_for, ReservationOp};

/// The most operations one transaction takes.
const MAX_BATCH: usize = 2048;

type Reply = oneshot::Sender<Result<u64, StoreError>>;

/// Where the writer tells the rest of the process what it committed.
pub(super) struct Outlets {
    /// The global sequence of the last committed event.
    pub head: watch::Sender<u64>,
    /// The committed snapshots.
    pub cache: Arc<SnapshotCache>,
    /// The committed events.
    pub feed: Arc<Feed>,
    /// Bumped on every commit, for threads.
    pub signal: Arc<CommitSignal>,
    /// The checkpointer's notice of a commit.
    pub checkpointer: SyncSender<()>,
}

pub(super) fn run(
    conn: Connection,
    mut rx: mpsc::UnboundedReceiver<WriteOp>,
    tail: (u64, String),
    out: Outlets,
) {
    let Outlets {
        head,
        cache,
        feed,
        signal,
        checkpointer,
    } = out;
    let mut w = Writer {
        conn,
        tail,
        results: Vec::with_capacity(MAX_BATCH),
        stamps: Vec::with_capacity(MAX_BATCH),
    };
    let mut batch: Vec<WriteOp> = Vec::with_capacity(MAX_BATCH);
    let mut replies: Vec<(Reply, Result<u64, StoreError>)> = Vec::with_capacity(MAX_BATCH);
    let mut snapshots: Vec<(String, CachedSnapshot)> = Vec::new();
    let mut stored: Vec<StoredEvent> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let outcome = match w.try_batch(&batch, &cache, &feed, false) {
            Ok(false) => w.try_batch(&batch, &cache, &feed, true),
            other => other,
        };
        match outcome {
            Ok(_) => {
                let mut stamps = w.stamps.drain(..);
                for (op, result) in batch.drain(..).zip(w.results.drain(..)) {
                    let reply = match op {
                        WriteOp::Append {
                            events,
                            snapshot,
                            reply,
                        } => {
                            if let Some(ev) = events.last() {
                                let key = cache::key(&ev.aggregate_type, &ev.aggregate_id);
                                match (&result, snapshot) {
                                    (Ok(_), Some(snap)) => snapshots.push((
                                        key,
                                        CachedSnapshot {
                                            payload: snap.payload,
                                            last_sequence: ev.sequence,
                                            version: snap.version,
                                        },
                                    )),
                                    (Ok(_), None) => {}
                                    // Perhaps loaded from a stale snapshot.
                                    (Err(_), _) => cache.evict(&key),
                                }
                            }
                            if result.is_ok() {
                                for (ev, (seq, recorded_at, hash)) in
                                    events.into_iter().zip(&mut stamps)
                                {
                                    stored.push(ev.stored(seq, recorded_at, hash));
                                }
                            }
                            reply
                        }
                        WriteOp::PutSecret { reply, .. } => reply,
                    };
                    replies.push((reply, result));
                }
                drop(stamps);
                // Cache the snapshots, feed the events and publish the new
                // head before answering: a caller's next command must load
                // what this one wrote, and a caller that waits for the read
                // models after its reply must wait for this batch.
                cache.committed(snapshots.drain(..));
                feed.committed(std::mem::take(&mut stored));
                head.send_replace(w.tail.0);
                signal.bump();
                for (reply, result) in replies.drain(..) {
                    let _ = reply.send(result);
                }
                // Full means the checkpointer has a notice pending already.
                let _ = checkpointer.try_send(());
            }
            Err(e) => {
                tracing::error!(error = %e, "event store commit failed; the batch is rejected");
                if !w.conn.is_autocommit() {
                    if let Err(e) = w.conn.execute_batch("ROLLBACK") {
                        tracing::error!(error = %e, "event store rollback failed");
                    }
                }
                for op in batch.drain(..) {
                    let reply = match op {
                        WriteOp::Append { reply, .. } | WriteOp::PutSecret { reply, .. } => reply,
                    };
                    let _ = reply.send(Err(StoreError::Sqlite(clone_err(&e))));
                }
            }
        }
    }
    tracing::debug!("event writer stopped");
}

struct Writer {
    conn: Connection,
    /// The last committed event: global sequence and hash.
    tail: (u64, String),
    /// The outcome of each operation of the batch, in order.
    results: Vec<Result<u64, StoreError>>,
    /// Global sequence, `recorded_at` and hash of each event written by the
    /// operations that succeeded, in order.
    stamps: Vec<(u64, String, String)>,
}

impl Writer {
    /// Runs `batch` in one transaction and commits it. `guarded` puts each
    /// operation in a savepoint, so a failing one is undone alone; unguarded,
    /// the first failure rolls the whole batch back and returns `Ok(false)`.
    fn try_batch(
        &mut self,
        batch: &[WriteOp],
        cache: &SnapshotCache,
        feed: &Feed,
        guarded: bool,
    ) -> rusqlite::Result<bool> {
        let conn = &self.conn;
        self.results.clear();
        self.stamps.clear();
        // Transaction control goes through cached statements: parsing
        // BEGIN/SAVEPOINT/RELEASE/COMMIT anew for every batch and every
        // operation costs more than the inserts of a small command.
        exec(conn, "BEGIN IMMEDIATE")?;
        // Another process (the CLI) may have appended since our last batch;
        // then cached snapshots may be stale, and the feed has a gap.
        let (mut last_seq, mut last_hash) = super::read::tail(conn)?;
        if last_seq != self.tail.0 || last_hash != self.tail.1 {
            cache.clear();
            feed.clear();
        }
        for op in batch {
            let before = guarded.then(|| (last_seq, last_hash.clone(), self.stamps.len()));
            if guarded {
                exec(conn, "SAVEPOINT op")?;
            }
            let result = match op {
                WriteOp::Append {
                    events, snapshot, ..
                } => append(
                    conn,
                    events,
                    snapshot,
                    &mut last_seq,
                    &mut last_hash,
                    &mut self.stamps,
                ),
                WriteOp::PutSecret { row, .. } => put_secret(conn, row),
            };
            if result.is_err() {
                let Some(before) = before else {
                    // Some errors have rolled the transaction back already.
                    if !conn.is_autocommit() {
                        exec(conn, "ROLLBACK")?;
                    }
                    return Ok(false);
                };
                exec(conn, "ROLLBACK TO op")?;
                let stamped;
                (last_seq, last_hash, stamped) = before;
                self.stamps.truncate(stamped);
            }
            if guarded {
                exec(conn, "RELEASE op")?;
            }
            self.results.push(result);
        }
        exec(conn, "COMMIT")?;
        self.tail = (last_seq, last_hash);
        Ok(true)
    }
}

/// Runs a statement without parameters or rows (transaction control),
/// prepared once per connection.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn clone_err(e: &rusqlite::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e.to_string())))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

/// One event of a command, encoded for the log by the caller.
pub(crate) struct NewEvent {
    aggregate_type: String,
    aggregate_id: String,
    sequence: u64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    actor: Option<String>,
    reservations: Vec<ReservationOp>,
}

impl NewEvent {
    /// The row as committed.
    fn stored(self, seq: u64, recorded_at: String, hash: String) -> StoredEvent {
        StoredEvent {
            seq,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            aggregate_seq: self.sequence,
            event_type: self.event_type,
            event_version: self.event_version,
            payload: self.payload,
            metadata: self.metadata,
            recorded_at,
            hash,
        }
    }

    pub(crate) fn encode(ev: &SerializedEvent) -> Result<Self, StoreError> {
        Ok(Self {
            aggregate_type: ev.aggregate_type.clone(),
            aggregate_id: ev.aggregate_id.clone(),
            sequence: ev.sequence as u64,
            event_type: ev.event_type.clone(),
            event_version: ev.event_version.clone(),
            payload: serde_json::to_string(&ev.payload)?,
            metadata: serde_json::to_string(&ev.metadata)?,
            actor: ev
                .metadata
                .get("actor_login")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            reservations: ops_for(ev),
        })
    }
}

/// The aggregate's snapshot after a command, encoded by the caller; the value
/// is kept for the snapshot cache.
pub(crate) struct NewSnapshot {
    id: String,
    json: String,
    payload: Value,
    version: u64,
}

impl NewSnapshot {
    pub(crate) fn encode(
        (id, payload, version): (String, Value, usize),
    ) -> Result<Self, StoreError> {
        Ok(Self {
            id,
            json: serde_json::to_string(&payload)?,
            payload,
            version: version as u64,
        })
    }
}

fn append(
    conn: &Connection,
    events: &[NewEvent],
    snapshot: &Option<NewSnapshot>,
    last_seq: &mut u64,
    last_hash: &mut String,
    stamps: &mut Vec<(u64, String, String)>,
) -> Result<u64, StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (seq, aggregate_type, aggregate_id, aggregate_seq, event_type,
            event_version, payload, metadata, actor_login, recorded_at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for ev in events {
        let seq = *last_seq + 1;
        let recorded_at = now_rfc3339();
        let hash = chain_hash(
            last_hash,
            seq,
            &ev.aggregate_type,
            &ev.aggregate_id,
            ev.sequence,
            &ev.event_type,
            &ev.event_version,
            &ev.payload,
            &ev.metadata,
            &recorded_at,
        );
        match insert.execute(params![
            seq,
            ev.aggregate_type,
            ev.aggregate_id,
            ev.sequence,
            ev.event_type,
            ev.event_version,
            ev.payload,
            ev.metadata,
            ev.actor,
            recorded_at,
            last_hash.as_str(),
            hash,
        ]) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict),
            Err(e) => return Err(e.into()),
        }
        for op in &ev.reservations {
            reserve(conn, ev, op)?;
        }
        *last_seq = seq;
        *last_hash = hash.clone();
        stamps.push((seq, recorded_at, hash));
    }
    if let (Some(snap), Some(last)) = (snapshot, events.last()) {
        conn.prepare_cached(
            "INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, snapshot_version, payload)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET
               last_sequence = excluded.last_sequence,
               snapshot_version = excluded.snapshot_version,
               payload = excluded.payload",
        )?
        .execute(params![
            last.aggregate_type,
            snap.id,
            last.sequence,
            snap.version,
            snap.json
        ])?;
    }
    Ok(*last_seq)
}

fn reserve(conn: &Connection, ev: &NewEvent, op: &ReservationOp) -> Result<(), StoreError> {
    match op {
        ReservationOp::Claim { scope, key } => {
            let holder: Option<(String, String)> = conn
                .prepare_cached(
                    "SELECT aggregate_type, aggregate_id FROM reservations WHERE scope = ?1 AND key = ?2",
                )?
                .query_row(params![scope, key], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            match holder {
                Some((t, id)) if t == ev.aggregate_type && id == ev.aggregate_id => Ok(()),
                Some(_) => Err(ReservationTaken {
                    scope: scope.to_string(),
                    key: key.clone(),
                }
                .into()),
                None => {
                    conn.prepare_cached(
                        "INSERT INTO reservations (scope, key, aggregate_type, aggregate_id) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![scope, key, ev.aggregate_type, ev.aggregate_id])?;
                    Ok(())
                }
            }
        }
        ReservationOp::Release { scope, key } => {
            conn.prepare_cached(
                "DELETE FROM reservations WHERE scope = ?1 AND key = ?2 AND aggregate_type = ?3 AND aggregate_id = ?4",
            )?
            .execute(params![scope, key, ev.aggregate_type, ev.aggregate_id])?;
            Ok(())
        }
    }
}

fn put_secret(conn: &Connection, row: &crate::secrets::SecretRow) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO secrets (id, purpose, nonce, ciphertext, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        row.id,
        row.purpose,
        row.nonce,
        row.ciphertext,
        now_rfc3339()
    ])?;
    Ok(0)
}
