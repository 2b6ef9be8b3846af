//! `reactors.db`: every reactor's checkpoint and state, its outbox of
//! effects and the record of every attempt (schema in
//! `migrations/reactors/`). Blocking functions over one connection; the
//! [`super::Runner`] calls them off the async workers. Any number of
//! connections (runners, nodes sharing the file, the admin page) may work
//! at once: writes take the write lock up front (`BEGIN IMMEDIATE`), the
//! checkpoint moves by compare-and-set and effects are claimed under lease.

use std::path::Path;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, ToSql, TransactionBehavior};
use serde::Serialize;

const SCHEMA_VERSION: i64 = 1;

/// Where an effect is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its (next) attempt.
    Pending,
    /// Leased to a runner that is attempting it.
    Claimed,
    Done,
    /// Decided not to be performed (the reason says why).
    Skipped,
    /// Given up: refused for good, or out of attempts.
    Failed,
    /// Nothing left to do (its destination went away); never attempted.
    Dropped,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::Claimed,
        Status::Done,
        Status::Skipped,
        Status::Failed,
        Status::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Claimed => "claimed",
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::Claimed)
    }
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Status {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = v.as_str()?;
        Status::parse(s).ok_or_else(|| FromSqlError::Other(format!("status '{s}'").into()))
    }
}

/// Opens (creating and migrating) `reactors.db`.
pub fn open(path: &Path, full_sync: bool) -> rusqlite::Result<Connection> {
    let mut conn = ispmon_events::sqlite::open_rw(path, full_sync)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < SCHEMA_VERSION {
        tx.execute_batch(include_str!(
            "../../../migrations/reactors/0001_reactors.sql"
        ))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    Ok(conn)
}

fn now() -> String {
    ispmon_events::store::now_rfc3339()
}

/// A reactor's checkpoint and state (JSON), if it has started.
pub fn checkpoint(c: &Connection, reactor: &str) -> rusqlite::Result<Option<(u64, String)>> {
    c.prepare_cached("SELECT seq, state FROM reactor_checkpoints WHERE reactor = ?1")?
        .query_row([reactor], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Sets a reactor's first checkpoint unless another runner set it first.
pub fn start(c: &Connection, reactor: &str, seq: u64, state: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO reactor_checkpoints (reactor, seq, state, updated_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![reactor, seq, state, now()],
    )?;
    Ok(())
}

/// An effect to queue.
#[derive(Debug, Clone)]
pub struct NewEffect {
    pub seq: u64,
    pub key: String,
    pub effect: String,
    /// `Some(reason)`: recorded as skipped.
    pub skip: Option<String>,
    /// When it falls due, if later than its queuing (same format as
    /// `next_attempt_at`).
    pub not_before: Option<String>,
}

/// Queues `effects` and moves the checkpoint from `from` to `to` with its
/// new `state`, all or nothing. False when another runner moved the
/// checkpoint first (its effects stand; these are dropped).
pub fn queue(
    c: &mut Connection,
    reactor: &str,
    from: u64,
    to: u64,
    state: &str,
    effects: &[NewEffect],
) -> rusqlite::Result<bool> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let at = now();
    let moved = tx.execute(
        "UPDATE reactor_checkpoints SET seq = ?1, state = ?2, updated_at = ?3
         WHERE reactor = ?4 AND seq = ?5",
        params![to, state, at, reactor, from],
    )?;
    if moved == 0 {
        return Ok(false); // rolled back on drop
    }
    {
        let mut ins = tx.prepare_cached(
            "INSERT OR IGNORE INTO reactor_outbox
               (reactor, seq, key, effect, status, next_attempt_at, reason, created_at, done_at)
             VALUES (?1, ?2, ?3, ?4, ?5, MAX(?6, COALESCE(?8, ?6)), ?7, ?6,
                     CASE WHEN ?5 = 'pending' THEN NULL ELSE ?6 END)",
        )?;
        for e in effects {
            let status = if e.skip.is_some() {
                Status::Skipped
            } else {
                Status::Pending
            };
            ins.execute(params![
                reactor,
                e.seq,
                e.key,
                e.effect,
                status,
                at,
                e.skip,
                e.not_before
            ])?;
        }
    }
    tx.commit()?;
    Ok(true)
}

/// An effect claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub seq: u64,
    pub key: String,
    pub effect: String,
    /// This attempt's number (1-based).
    pub attempt: u32,
    /// Its row in `reactor_attempts`.
    pub attempt_id: i64,
}

/// What a claimed attempt of a runner that stopped is closed with.
pub const NO_OUTCOME: &str = "no outcome: its runner stopped before it finished";

/// Claims up to `limit` of `reactor`'s effects due at `now`, and any whose
/// lease ran out (its runner stopped mid-attempt: that attempt is closed
/// as [`NO_OUTCOME`]), leasing them to `owner` until `until`, and opens an
/// attempt for each.
pub fn claim(
    c: &mut Connection,
    reactor: &str,
    owner: &str,
    now: &str,
    until: &str,
    limit: usize,
) -> rusqlite::Result<Vec<Claimed>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = {
        let mut s = tx.prepare_cached(
            "UPDATE reactor_outbox
             SET status = 'claimed', attempts = attempts + 1, lease_owner = ?2, lease_until = ?4
             WHERE id IN (SELECT id FROM reactor_outbox
                          WHERE reactor = ?1
                            AND ((status = 'pending' AND next_attempt_at <= ?3)
                              OR (status = 'claimed' AND lease_until <= ?3))
                          ORDER BY id LIMIT ?5)
             RETURNING id, seq, key, effect, attempts",
        )?;
        let rows = s.query_map(params![reactor, owner, now, until, limit as i64], |r| {
            Ok(Claimed {
                id: r.get(0)?,
                seq: r.get(1)?,
                key: r.get(2)?,
                effect: r.get(3)?,
                attempt: r.get(4)?,
                attempt_id: 0,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    out.sort_by_key(|c| c.id);
    for cl in &mut out {
        tx.prepare_cached(
            "UPDATE reactor_attempts SET ok = 0, finished_at = ?2, error = ?3
             WHERE outbox_id = ?1 AND ok IS NULL",
        )?
        .execute(params![cl.id, now, NO_OUTCOME])?;
        cl.attempt_id = tx
            .prepare_cached(
                "INSERT INTO reactor_attempts (reactor, outbox_id, seq, key, attempt, owner, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )?
            .query_row(
                params![reactor, cl.id, cl.seq, cl.key, cl.attempt, owner, now],
                |r| r.get(0),
            )?;
    }
    tx.commit()?;
    Ok(out)
}

/// Ends the leases on `reactor`'s claimed effects held by anyone but
/// `owner` (they fall due at `now`); how many. Only for a runner that
/// knows every other owner is dead.
pub fn expire_others(
    c: &mut Connection,
    reactor: &str,
    owner: &str,
    now: &str,
) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE reactor_outbox SET lease_until = ?3
         WHERE reactor = ?1 AND status = 'claimed' AND lease_owner IS NOT ?2
           AND lease_until > ?3",
        params![reactor, owner, now],
    )
}

/// How an attempt ended, for [`finish`].
#[derive(Debug, Clone)]
pub struct Finish {
    /// The effect's next status: `Pending` (retry at `next_attempt_at`),
    /// `Done`, `Failed` or `Dropped`.
    pub status: Status,
    pub code: Option<u16>,
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
    /// Whether anything was tried (a dropped effect tried nothing: its
    /// attempt is not counted nor kept).
    pub tried: bool,
}

/// Closes an attempt with its outcome and moves the effect on. The effect
/// is moved only while the claim is still this attempt's: a runner whose
/// lease was taken over records what happened but decides nothing.
pub fn finish(
    c: &mut Connection,
    cl: &Claimed,
    owner: &str,
    at: &str,
    f: &Finish,
) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if f.tried {
        tx.prepare_cached(
            "UPDATE reactor_attempts SET ok = ?2, code = ?3, error = ?4, finished_at = ?5
             WHERE id = ?1",
        )?
        .execute(params![
            cl.attempt_id,
            f.status == Status::Done,
            f.code,
            f.error,
            at
        ])?;
    } else {
        tx.prepare_cached("DELETE FROM reactor_attempts WHERE id = ?1")?
            .execute([cl.attempt_id])?;
    }
    tx.prepare_cached(
        "UPDATE reactor_outbox SET status = ?1, lease_owner = NULL, lease_until = NULL,
            reason = ?2, next_attempt_at = COALESCE(?3, next_attempt_at),
            attempts = CASE WHEN ?4 THEN attempts ELSE attempts - 1 END,
            done_at = CASE WHEN ?5 THEN ?6 ELSE NULL END
         WHERE id = ?7 AND status = 'claimed' AND lease_owner = ?8 AND attempts = ?9",
    )?
    .execute(params![
        f.status,
        f.error,
        f.next_attempt_at,
        f.tried,
        f.status.is_final(),
        at,
        cl.id,
        owner,
        cl.attempt
    ])?;
    tx.commit()
}

/// When `reactor`'s next effect falls due (a retry, or a lease running
/// out), if any is waiting.
pub fn next_due(c: &Connection, reactor: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached(
        "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_until END)
         FROM reactor_outbox WHERE reactor = ?1 AND status IN ('pending', 'claimed')",
    )?
    .query_row([reactor], |r| r.get(0))
    .optional()
    .map(Option::flatten)
}

/// Drops `reactor`'s finished effects and attempts from before `before`.
pub fn prune(c: &Connection, reactor: &str, before: &str) -> rusqlite::Result<usize> {
    let a = c.execute(
        "DELETE FROM reactor_outbox WHERE reactor = ?1 AND done_at IS NOT NULL AND done_at < ?2",
        params![reactor, before],
    )?;
    let b = c.execute(
        "DELETE FROM reactor_attempts WHERE reactor = ?1 AND at < ?2 AND ok IS NOT NULL",
        params![reactor, before],
    )?;
    Ok(a + b)
}

/// An effect in the outbox, for pages and tests. `E` is the effect as the
/// reactor reads it (the text as stored, here).
#[derive(Debug, Clone, Serialize)]
pub struct Row<E> {
    pub id: i64,
    pub seq: u64,
    pub key: String,
    pub effect: E,
    pub status: Status,
    pub attempts: u32,
    pub next_attempt_at: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub done_at: Option<String>,
}

/// `reactor`'s latest effects, newest first.
pub fn rows(c: &Connection, reactor: &str, limit: usize) -> rusqlite::Result<Vec<Row<String>>> {
    let mut s = c.prepare_cached(
        "SELECT id, seq, key, effect, status, attempts, next_attempt_at, reason, created_at, done_at
         FROM reactor_outbox WHERE reactor = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = s.query_map(params![reactor, limit as i64], |r| {
        Ok(Row {
            id: r.get(0)?,
            seq: r.get(1)?,
            key: r.get(2)?,
            effect: r.get(3)?,
            status: r.get(4)?,
            attempts: r.get(5)?,
            next_attempt_at: r.get(6)?,
            reason: r.get(7)?,
            created_at: r.get(8)?,
            done_at: r.get(9)?,
        })
    })?;
    rows.collect()
}

/// One attempt at an effect. `effect` is `None` once the effect was pruned.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt<E> {
    pub at: String,
    pub seq: u64,
    pub key: String,
    pub attempt: u32,
    pub owner: String,
    /// `None` while it is under way.
    pub ok: Option<bool>,
    pub code: Option<u16>,
    pub error: Option<String>,
    pub effect: Option<E>,
}

/// `reactor`'s latest attempts (only failed ones when `failed_only`),
/// newest first.
pub fn attempts(
    c: &Connection,
    reactor: &str,
    failed_only: bool,
    limit: usize,
) -> rusqlite::Result<Vec<Attempt<String>>> {
    let mut s = c.prepare_cached(
        "SELECT a.at, a.seq, a.key, a.attempt, a.owner, a.ok, a.code, a.error, o.effect
         FROM reactor_attempts a LEFT JOIN reactor_outbox o ON o.id = a.outbox_id
         WHERE a.reactor = ?1 AND (a.ok = 0 OR NOT ?2)
         ORDER BY a.id DESC LIMIT ?3",
    )?;
    let rows = s.query_map(params![reactor, failed_only, limit as i64], |r| {
        Ok(Attempt {
            at: r.get(0)?,
            seq: r.get(1)?,
            key: r.get(2)?,
            attempt: r.get(3)?,
            owner: r.get(4)?,
            ok: r.get(5)?,
            code: r.get(6)?,
            error: r.get(7)?,
            effect: r.get(8)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(seq: u64, key: &str) -> NewEffect {
        NewEffect {
            not_before: None,
            seq,
            key: key.into(),
            effect: "{}".into(),
            skip: None,
        }
    }

    #[test]
    fn statuses_are_stored_as_their_names_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(&dir.path().join("r.db"), false).unwrap();
        for s in Status::ALL {
            let back: Status = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
            assert_eq!(back, s);
        }
        let bad: rusqlite::Result<Status> = c.query_row("SELECT 'sent'", [], |r| r.get(0));
        assert!(bad.is_err(), "an unknown status is an error, not a default");
    }

    #[test]
    fn checkpoints_are_per_reactor_and_move_by_compare_and_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut a = open(&path, false).unwrap();
        let mut b = open(&path, false).unwrap();
        start(&a, "one", 5, "{}").unwrap();
        start(&b, "one", 99, "{}").unwrap();
        start(&b, "two", 7, "{}").unwrap();
        assert_eq!(
            checkpoint(&a, "one").unwrap().unwrap().0,
            5,
            "first start wins"
        );
        assert!(queue(&mut a, "one", 5, 9, r#"{"n":1}"#, &[effect(7, "k")]).unwrap());
        assert!(!queue(&mut b, "one", 5, 9, r#"{"n":2}"#, &[effect(7, "x")]).unwrap());
        assert_eq!(
            checkpoint(&b, "one").unwrap(),
            Some((9, r#"{"n":1}"#.to_string()))
        );
        assert_eq!(checkpoint(&b, "two").unwrap().unwrap().0, 7);
        let r = rows(&b, "one", 10).unwrap();
        assert_eq!((r.len(), r[0].key.as_str()), (1, "k"));
        assert!(rows(&b, "two", 10).unwrap().is_empty());
    }
}
