//! PPPoE sessions in `telemetry.db` (`ppp_sessions`, in
//! `migrations/telemetry/0004_fdb.sql`): what each NAS showed, kept 400
//! days (the hourly [`prune`](crate::fdb::prune) job deletes older ones),
//! so "who had IP X at time T" and "which MAC did login L dial from at T"
//! are one indexed query each.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::cli::PppSession;
use crate::telemetry::Telemetry;

/// How long sessions are kept.
pub const KEEP_SESSIONS_S: i64 = 400 * 24 * 3600;

/// A session as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    pub nas_id: String,
    pub login: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    pub last_seen: i64,
    /// `None` while online.
    pub ended_at: Option<i64>,
}

const COLS: &str = "nas_id, login, mac, ip, started_at, last_seen, ended_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        nas_id: r.get(0)?,
        login: r.get(1)?,
        mac: r.get(2)?,
        ip: r.get(3)?,
        started_at: r.get(4)?,
        last_seen: r.get(5)?,
        ended_at: r.get(6)?,
    })
}

/// The key a session is kept under: the NAS's session id, else the login
/// and its start (a minute's precision: uptimes are read each poll).
fn key(s: &PppSession, started_at: i64) -> String {
    match &s.session_id {
        Some(id) if !id.is_empty() => id.clone(),
        _ => format!("{}@{}", s.name, started_at / 60),
    }
}

impl Telemetry {
    /// Folds one successful poll of `nas_id` at `now` (unix seconds): new
    /// sessions start at `now` less their uptime, seen ones are touched,
    /// open ones the NAS no longer shows end at their last sighting.
    pub fn record_sessions_blocking(
        &self,
        nas_id: &str,
        now: i64,
        sessions: &[PppSession],
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            tx.prepare_cached(
                "CREATE TEMP TABLE IF NOT EXISTS seen_sessions (session_key TEXT PRIMARY KEY)",
            )?
            .execute([])?;
            tx.prepare_cached("DELETE FROM temp.seen_sessions")?
                .execute([])?;
            let mut put = tx.prepare_cached(
                "INSERT INTO ppp_sessions (nas_id, session_key, login, mac, ip, started_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (nas_id, session_key) DO UPDATE SET
                   login = excluded.login, mac = excluded.mac, ip = excluded.ip,
                   last_seen = excluded.last_seen, ended_at = NULL",
            )?;
            let mut seen = tx.prepare_cached(
                "INSERT OR IGNORE INTO temp.seen_sessions (session_key) VALUES (?1)",
            )?;
            for s in sessions {
                let started = now - s.uptime_secs.unwrap_or(0) as i64;
                let k = key(s, started);
                put.execute(params![nas_id, k, s.name, s.mac, s.address, started, now])?;
                seen.execute([&k])?;
            }
            tx.prepare_cached(
                "UPDATE ppp_sessions SET ended_at = last_seen
                 WHERE nas_id = ?1 AND ended_at IS NULL
                   AND session_key NOT IN (SELECT session_key FROM temp.seen_sessions)",
            )?
            .execute([nas_id])?;
        }
        tx.commit()
    }

    /// Deletes the sessions that ended, or were last seen (those of a NAS
    /// no longer polled stay open), more than [`KEEP_SESSIONS_S`] before
    /// `now` (unix seconds); returns how many.
    pub fn prune_sessions_blocking(&self, now: i64) -> rusqlite::Result<usize> {
        self.conn()
            .prepare_cached("DELETE FROM ppp_sessions WHERE COALESCE(ended_at, last_seen) < ?1")?
            .execute([now - KEEP_SESSIONS_S])
    }

    /// [`sessions_with_ip_at`] on the writer's connection.
    pub fn sessions_with_ip_at_blocking(
        &self,
        ip: &str,
        at: i64,
    ) -> rusqlite::Result<Vec<SessionRow>> {
        sessions_with_ip_at(&self.conn(), ip, at)
    }

    /// [`session_of_login_at`] on the writer's connection.
    pub fn session_of_login_at_blocking(
        &self,
        login: &str,
        at: i64,
    ) -> rusqlite::Result<Option<SessionRow>> {
        session_of_login_at(&self.conn(), login, at)
    }

    /// [`sessions_of_login`] on the writer's connection.
    pub fn sessions_of_login_blocking(
        &self,
        login: &str,
        limit: usize,
    ) -> rusqlite::Result<Vec<SessionRow>> {
        sessions_of_login(&self.conn(), login, limit)
    }
}

/// The sessions that had `ip` at `at` (unix seconds), newest first; a
/// session still open (as its NAS last showed it) had it until now. On any
/// connection to `telemetry.db` (a [reader](Telemetry::readers) too).
pub fn sessions_with_ip_at(
    conn: &Connection,
    ip: &str,
    at: i64,
) -> rusqlite::Result<Vec<SessionRow>> {
    let mut q = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM ppp_sessions
         WHERE ip = ?1 AND started_at <= ?2 AND (ended_at IS NULL OR ended_at >= ?2)
         ORDER BY started_at DESC"
    ))?;
    let rows = q.query_map(params![ip, at], row)?;
    rows.collect()
}

/// The login's session at `at`, or the last one before it.
pub fn session_of_login_at(
    conn: &Connection,
    login: &str,
    at: i64,
) -> rusqlite::Result<Option<SessionRow>> {
    let mut q = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM ppp_sessions WHERE login = ?1 AND started_at <= ?2
         ORDER BY started_at DESC LIMIT 1"
    ))?;
    let mut rows = q.query_map(params![login, at], row)?;
    rows.next().transpose()
}

/// A login's sessions, newest first, at most `limit`.
pub fn sessions_of_login(
    conn: &Connection,
    login: &str,
    limit: usize,
) -> rusqlite::Result<Vec<SessionRow>> {
    let mut q = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM ppp_sessions WHERE login = ?1 ORDER BY started_at DESC LIMIT ?2"
    ))?;
    let rows = q.query_map(params![login, limit as i64], row)?;
    rows.collect()
}

/// The same reads on a blocking thread, for callers outside the crate.
impl Telemetry {
    pub async fn sessions_with_ip_at(
        &self,
        ip: String,
        at: i64,
    ) -> rusqlite::Result<Vec<SessionRow>> {
        self.blocking(move |t| t.sessions_with_ip_at_blocking(&ip, at))
            .await
    }

    pub async fn session_of_login_at(
        &self,
        login: String,
        at: i64,
    ) -> rusqlite::Result<Option<SessionRow>> {
        self.blocking(move |t| t.session_of_login_at_blocking(&login, at))
            .await
    }

    pub async fn sessions_of_login(
        &self,
        login: String,
        limit: usize,
    ) -> rusqlite::Result<Vec<SessionRow>> {
        self.blocking(move |t| t.sessions_of_login_blocking(&login, limit))
            .await
    }
}
