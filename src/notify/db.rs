//! `notify.db`: the notifier's checkpoint, its outbox of deliveries and the
//! log of every attempt. Blocking functions over one connection; callers run
//! them off the async workers. Several notifier handles (the server's task,
//! a test's, the admin page's) may share the file: the checkpoint moves by
//! compare-and-set and deliveries are claimed with a lease, so no event is
//! queued twice and no delivery is attempted by two handles at once.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

const SCHEMA_VERSION: i64 = 1;

/// Opens (creating and migrating) `notify.db`. A new file starts at `head`:
/// what happened before the notifier existed is not told.
pub fn open(path: &Path, full_sync: bool, head: u64) -> rusqlite::Result<Connection> {
    let mut conn = ispmon_events::sqlite::open_rw(path, full_sync)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < SCHEMA_VERSION {
        tx.execute_batch(include_str!("../../migrations/notify/0001_notify.sql"))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.execute(
        "INSERT OR IGNORE INTO notify_checkpoint (id, seq, updated_at) VALUES (1, ?1, ?2)",
        params![head, now()],
    )?;
    tx.commit()?;
    Ok(conn)
}

fn now() -> String {
    ispmon_events::store::now_rfc3339()
}

pub fn checkpoint(c: &Connection) -> rusqlite::Result<u64> {
    c.query_row("SELECT seq FROM notify_checkpoint WHERE id = 1", [], |r| {
        r.get(0)
    })
}

/// A delivery (or a skip) to queue.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub seq: u64,
    /// `webhook`, `telegram`, or `''` for a skipped event.
    pub channel: &'static str,
    pub host_id: String,
    pub host_name: String,
    pub host_ip: String,
    pub event_type: String,
    pub event_at: String,
    pub body: String,
    /// `pending` or `skipped`.
    pub status: &'static str,
    pub note: Option<String>,
}

/// Queues `rows` and moves the checkpoint from `from` to `to`, all or
/// nothing. False when another handle moved the checkpoint first (its rows
/// stand; ours are dropped).
pub fn queue(c: &mut Connection, from: u64, to: u64, rows: &[NewRow]) -> rusqlite::Result<bool> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let at = now();
    let moved = tx.execute(
        "UPDATE notify_checkpoint SET seq = ?1, updated_at = ?2 WHERE id = 1 AND seq = ?3",
        params![to, at, from],
    )?;
    if moved == 0 {
        return Ok(false); // rolled back on drop
    }
    {
        let mut ins = tx.prepare_cached(
            "INSERT OR IGNORE INTO notify_outbox
               (seq, channel, host_id, host_name, host_ip, event_type, event_at, body, status,
                next_attempt_at, last_error, created_at, done_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10,
                     CASE WHEN ?9 = 'pending' THEN NULL ELSE ?10 END)",
        )?;
        for r in rows {
            ins.execute(params![
                r.seq,
                r.channel,
                r.host_id,
                r.host_name,
                r.host_ip,
                r.event_type,
                r.event_at,
                r.body,
                r.status,
                at,
                r.note,
            ])?;
        }
    }
    tx.commit()?;
    Ok(true)
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub seq: u64,
    pub channel: String,
    pub body: String,
    /// This attempt's number (1-based).
    pub attempt: u32,
}

/// Claims up to `limit` deliveries due at `now` (and any whose lease ran out:
/// a handle stopped mid-attempt), leasing them until `lease_until`.
pub fn claim_due(
    c: &Connection,
    now: &str,
    lease_until: &str,
    limit: usize,
) -> rusqlite::Result<Vec<Claimed>> {
    let mut s = c.prepare_cached(
        "UPDATE notify_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?2
         WHERE id IN (SELECT id FROM notify_outbox
                      WHERE (status = 'pending' AND next_attempt_at <= ?1)
                         OR (status = 'sending' AND lease_until <= ?1)
                      ORDER BY id LIMIT ?3)
         RETURNING id, seq, channel, body, attempts",
    )?;
    let rows = s.query_map(params![now, lease_until, limit as i64], |r| {
        Ok(Claimed {
            id: r.get(0)?,
            seq: r.get(1)?,
            channel: r.get(2)?,
            body: r.get(3)?,
            attempt: r.get(4)?,
        })
    })?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// How an attempt ended, for [`finish`].
#[derive(Debug, Clone)]
pub struct Finished {
    pub ok: bool,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// `sent`, `pending` (retry at `next_attempt_at`), `failed` or `dropped`.
    pub status: &'static str,
    pub next_attempt_at: Option<String>,
    /// Whether an HTTP request was made (a dropped delivery made none).
    pub attempted: bool,
}

/// Records an attempt and the delivery's new state. The state is written
/// only while the claim is still this attempt's (a handle whose lease ran
/// out and was taken over records its attempt but decides nothing).
pub fn finish(c: &mut Connection, d: &Claimed, at: &str, f: &Finished) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if f.attempted {
        tx.prepare_cached(
            "INSERT INTO notify_attempts (outbox_id, at, channel, seq, attempt, ok, http_status, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            d.id,
            at,
            d.channel,
            d.seq,
            d.attempt,
            f.ok,
            f.http_status,
            f.error
        ])?;
    }
    let done = matches!(f.status, "sent" | "failed" | "dropped");
    tx.prepare_cached(
        "UPDATE notify_outbox SET status = ?1, lease_until = NULL, last_error = ?2,
            next_attempt_at = COALESCE(?3, next_attempt_at),
            attempts = CASE WHEN ?6 THEN attempts ELSE attempts - 1 END,
            done_at = CASE WHEN ?4 THEN ?5 ELSE NULL END
         WHERE id = ?7 AND status = 'sending' AND attempts = ?8",
    )?
    .execute(params![
        f.status,
        f.error,
        f.next_attempt_at,
        done,
        at,
        f.attempted,
        d.id,
        d.attempt
    ])?;
    tx.commit()
}

/// When the next pending delivery is due, if any.
pub fn next_due(c: &Connection) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_until END)
         FROM notify_outbox WHERE status IN ('pending', 'sending')",
        [],
        |r| r.get(0),
    )
    .optional()
    .map(Option::flatten)
}

/// Drops finished deliveries and attempts recorded before `before`.
pub fn prune(c: &Connection, before: &str) -> rusqlite::Result<usize> {
    let a = c.execute(
        "DELETE FROM notify_outbox WHERE done_at IS NOT NULL AND done_at < ?1",
        [before],
    )?;
    let b = c.execute("DELETE FROM notify_attempts WHERE at < ?1", [before])?;
    Ok(a + b)
}

/// A queued, sent, failed or skipped notification, for the admin page.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub seq: u64,
    pub channel: String,
    pub host_id: String,
    pub host_name: String,
    pub host_ip: String,
    pub event_type: String,
    pub event_at: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub done_at: Option<String>,
}

/// The latest deliveries, newest first.
pub fn deliveries(c: &Connection, limit: usize) -> rusqlite::Result<Vec<Delivery>> {
    let mut s = c.prepare_cached(
        "SELECT id, seq, channel, host_id, host_name, host_ip, event_type, event_at, status,
                attempts, next_attempt_at, last_error, created_at, done_at
         FROM notify_outbox ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = s.query_map([limit as i64], |r| {
        Ok(Delivery {
            id: r.get(0)?,
            seq: r.get(1)?,
            channel: r.get(2)?,
            host_id: r.get(3)?,
            host_name: r.get(4)?,
            host_ip: r.get(5)?,
            event_type: r.get(6)?,
            event_at: r.get(7)?,
            status: r.get(8)?,
            attempts: r.get(9)?,
            next_attempt_at: r.get(10)?,
            last_error: r.get(11)?,
            created_at: r.get(12)?,
            done_at: r.get(13)?,
        })
    })?;
    rows.collect()
}

/// One attempt to deliver.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub at: String,
    pub channel: String,
    pub seq: u64,
    pub attempt: u32,
    pub ok: bool,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub host_name: Option<String>,
    pub event_type: Option<String>,
}

/// The latest attempts (only failed ones when `failed_only`), newest first.
pub fn attempts(c: &Connection, failed_only: bool, limit: usize) -> rusqlite::Result<Vec<Attempt>> {
    let mut s = c.prepare_cached(
        "SELECT a.at, a.channel, a.seq, a.attempt, a.ok, a.http_status, a.error,
                o.host_name, o.event_type
         FROM notify_attempts a LEFT JOIN notify_outbox o ON o.id = a.outbox_id
         WHERE a.ok = 0 OR NOT ?1
         ORDER BY a.id DESC LIMIT ?2",
    )?;
    let rows = s.query_map(params![failed_only, limit as i64], |r| {
        Ok(Attempt {
            at: r.get(0)?,
            channel: r.get(1)?,
            seq: r.get(2)?,
            attempt: r.get(3)?,
            ok: r.get(4)?,
            http_status: r.get(5)?,
            error: r.get(6)?,
            host_name: r.get(7)?,
            event_type: r.get(8)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: u64, channel: &'static str) -> NewRow {
        NewRow {
            seq,
            channel,
            host_id: "h".into(),
            host_name: "core-1".into(),
            host_ip: "127.0.0.1".into(),
            event_type: "HostWentDown".into(),
            event_at: "2026-01-01T00:00:00.000000Z".into(),
            body: "{}".into(),
            status: "pending",
            note: None,
        }
    }

    #[test]
    fn the_checkpoint_moves_once_and_a_stale_handle_queues_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.db");
        let mut a = open(&path, false, 5).unwrap();
        let mut b = open(&path, false, 99).unwrap();
        assert_eq!(checkpoint(&a).unwrap(), 5, "the first open sets the start");
        assert!(queue(&mut a, 5, 9, &[row(7, "webhook")]).unwrap());
        assert!(!queue(&mut b, 5, 9, &[row(7, "telegram")]).unwrap());
        assert_eq!(checkpoint(&b).unwrap(), 9);
        let queued: Vec<_> = deliveries(&b, 10)
            .unwrap()
            .into_iter()
            .map(|d| (d.seq, d.channel, d.status))
            .collect();
        assert_eq!(
            queued,
            [(7, "webhook".to_string(), "pending".to_string())],
            "only the first handle's row is queued"
        );
    }

    #[test]
    fn a_claimed_delivery_is_not_claimed_again_until_its_lease_ends() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = open(&dir.path().join("notify.db"), false, 0).unwrap();
        queue(&mut c, 0, 1, &[row(1, "webhook")]).unwrap();
        let now = "2999-01-01T00:00:00.000000Z";
        let got = claim_due(&c, now, "2999-01-01T00:02:00.000000Z", 10).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].seq, got[0].attempt), (1, 1));
        assert!(claim_due(&c, now, "x", 10).unwrap().is_empty());
        let later = "2999-01-01T00:03:00.000000Z";
        let again = claim_due(&c, later, "2999-01-01T00:05:00.000000Z", 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].seq, again[0].attempt),
            (1, 2),
            "an expired lease is taken over"
        );
        let late = Finished {
            ok: true,
            http_status: Some(200),
            error: None,
            status: "sent",
            next_attempt_at: None,
            attempted: true,
        };
        finish(&mut c, &got[0], later, &late).unwrap();
        assert_eq!(
            deliveries(&c, 1).unwrap()[0].status,
            "sending",
            "a stale claim decides nothing"
        );
        finish(
            &mut c,
            &again[0],
            later,
            &Finished {
                ok: false,
                http_status: Some(500),
                error: Some("HTTP 500".into()),
                status: "failed",
                next_attempt_at: None,
                attempted: true,
            },
        )
        .unwrap();
        let d = &deliveries(&c, 1).unwrap()[0];
        assert_eq!((d.status.as_str(), d.attempts), ("failed", 2));
        let failed: Vec<_> = attempts(&c, true, 10)
            .unwrap()
            .into_iter()
            .map(|a| (a.channel, a.seq, a.attempt, a.ok, a.http_status, a.error))
            .collect();
        assert_eq!(
            failed,
            [(
                "webhook".to_string(),
                1,
                2,
                false,
                Some(500),
                Some("HTTP 500".to_string())
            )],
            "the failed attempt is listed with its status and error"
        );
    }
}
