//! The sessions read model: who is logged in, from where, since when; the
//! auth check reads it on every request.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::user::UserEvent;

pub struct SessionsProjection;

impl Projection for SessionsProjection {
    fn name(&self) -> &'static str {
        "sessions"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/sessions_v3.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["sessions"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::User(e) = &ev.event else {
            return Ok(());
        };
        let end = |session: &str, reason: &str| -> rusqlite::Result<()> {
            c.prepare_cached(
                "UPDATE sessions SET ended_at = ?1, end_reason = ?2
                 WHERE session_id = ?3 AND user_id = ?4 AND ended_at IS NULL",
            )?
            .execute(params![ev.at(), reason, session, ev.id()])?;
            Ok(())
        };
        match e {
            UserEvent::UserLoggedIn {
                session_id,
                ip,
                expires_at,
            } => {
                c.prepare_cached(
                    "INSERT INTO sessions (session_id, user_id, ip, started_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![session_id, ev.id(), ip, ev.at(), expires_at])?;
            }
            UserEvent::UserLoggedOut { session_id } => end(session_id, "logout")?,
            UserEvent::SessionRevoked { session_id } => end(session_id, "revoked")?,
            UserEvent::UserDisabled => {
                c.prepare_cached(
                    "UPDATE sessions SET ended_at = ?1, end_reason = 'user disabled'
                     WHERE user_id = ?2 AND ended_at IS NULL",
                )?
                .execute(params![ev.at(), ev.id()])?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub session_id: String,
    pub user_id: String,
    pub login: String,
    pub role: String,
    pub locale: String,
    pub user_disabled: bool,
    pub ip: String,
    pub started_at: String,
    pub expires_at: String,
    pub ended_at: Option<String>,
}

const COLS: &str = "s.session_id, s.user_id, u.login, u.role, u.locale, u.disabled, s.ip, \
                    s.started_at, s.expires_at, s.ended_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        session_id: r.get(0)?,
        user_id: r.get(1)?,
        login: r.get(2)?,
        role: r.get(3)?,
        locale: r.get(4)?,
        user_disabled: r.get(5)?,
        ip: r.get(6)?,
        started_at: r.get(7)?,
        expires_at: r.get(8)?,
        ended_at: r.get(9)?,
    })
}

pub fn get(c: &Connection, session_id: &str) -> rusqlite::Result<Option<SessionRow>> {
    crate::opt(
        c.prepare_cached(&format!(
            "SELECT {COLS} FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_id = ?1"
        ))?
        .query_row([session_id], row),
    )
}

/// Sessions not ended and not expired at `now` (RFC 3339), newest first.
pub fn open(c: &Connection, now: &str) -> rusqlite::Result<Vec<SessionRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLS} FROM sessions s JOIN users u ON u.user_id = s.user_id
         WHERE s.ended_at IS NULL AND s.expires_at > ?1 AND u.disabled = 0
         ORDER BY s.started_at DESC LIMIT 500"
    ))?;
    let rows = stmt.query_map([now], row)?;
    rows.collect()
}
