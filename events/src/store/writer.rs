//! The writer thread: owns the only write connection to `events.db`.
//!
//! Group commit: it takes every operation waiting in its queue, runs each in
//! its own savepoint (so one conflict fails only its own command), commits
//! them all in one transaction (one fsync), then answers each.

use cqrs_es::persist::SerializedEvent;
use rusqlite::{params, Connection, ErrorCode, TransactionBehavior};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::{chain_hash, now_rfc3339, ReservationTaken, StoreError, WriteOp};
use crate::reservations::{ops_for, ReservationOp};

/// The most operations one transaction takes.
const MAX_BATCH: usize = 2048;

type Reply = oneshot::Sender<Result<u64, StoreError>>;

pub(super) fn run(
    mut conn: Connection,
    mut rx: mpsc::UnboundedReceiver<WriteOp>,
    head: watch::Sender<u64>,
    tail: (u64, String),
) {
    let (mut last_seq, mut last_hash) = tail; // refreshed at every batch
    let mut batch: Vec<WriteOp> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut replies: Vec<(Reply, Result<u64, StoreError>)> = Vec::with_capacity(batch.len());
        let outcome = (|| -> rusqlite::Result<()> {
            let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process (the CLI) may have appended since our last batch.
            (last_seq, last_hash) = super::read::tail(&tx)?;
            for op in batch.drain(..) {
                let before = (last_seq, last_hash.clone());
                let sp = tx.savepoint()?;
                let (reply, result) = match op {
                    WriteOp::Append {
                        events,
                        snapshot,
                        reply,
                    } => (
                        reply,
                        append(&sp, &events, snapshot, &mut last_seq, &mut last_hash),
                    ),
                    WriteOp::PutSecret { row, reply } => (reply, put_secret(&sp, &row)),
                };
                if result.is_ok() {
                    sp.commit()?;
                } else {
                    drop(sp); // rolls the savepoint back
                    (last_seq, last_hash) = before;
                }
                replies.push((reply, result));
            }
            tx.commit()
        })();
        match outcome {
            Ok(()) => {
                // Publish the new head before answering, so a caller that
                // waits for the read models after its reply waits for this.
                head.send_replace(last_seq);
                for (reply, result) in replies {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "event store commit failed; the batch is rejected");
                for (reply, _) in replies {
                    let _ = reply.send(Err(StoreError::Sqlite(clone_err(&e))));
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

fn clone_err(e: &rusqlite::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e.to_string())))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

fn append(
    conn: &Connection,
    events: &[SerializedEvent],
    snapshot: Option<(String, Value, usize)>,
    last_seq: &mut u64,
    last_hash: &mut String,
) -> Result<u64, StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (seq, aggregate_type, aggregate_id, aggregate_seq, event_type,
            event_version, payload, metadata, actor_login, recorded_at, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for ev in events {
        let seq = *last_seq + 1;
        let payload = serde_json::to_string(&ev.payload)?;
        let metadata = serde_json::to_string(&ev.metadata)?;
        let actor = ev
            .metadata
            .get("actor_login")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty());
        let recorded_at = now_rfc3339();
        let hash = chain_hash(
            last_hash,
            seq,
            &ev.aggregate_type,
            &ev.aggregate_id,
            ev.sequence as u64,
            &ev.event_type,
            &ev.event_version,
            &payload,
            &metadata,
            &recorded_at,
        );
        match insert.execute(params![
            seq,
            ev.aggregate_type,
            ev.aggregate_id,
            ev.sequence as u64,
            ev.event_type,
            ev.event_version,
            payload,
            metadata,
            actor,
            recorded_at,
            last_hash.as_str(),
            hash,
        ]) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict),
            Err(e) => return Err(e.into()),
        }
        for op in ops_for(ev) {
            reserve(conn, ev, op)?;
        }
        *last_seq = seq;
        *last_hash = hash;
    }
    if let (Some((id, payload, version)), Some(last)) = (snapshot, events.last()) {
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
            id,
            last.sequence as u64,
            version as u64,
            serde_json::to_string(&payload)?
        ])?;
    }
    Ok(*last_seq)
}

fn reserve(conn: &Connection, ev: &SerializedEvent, op: ReservationOp) -> Result<(), StoreError> {
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
                    key,
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
