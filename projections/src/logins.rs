//! Each PPPoE login's binding now: its MAC, IP and NAS (Search Port's join
//! from a login to a switch port).

use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::login::{Binding, LoginEvent};

pub struct LoginsProjection;

impl Projection for LoginsProjection {
    fn name(&self) -> &'static str {
        "logins"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/logins.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["logins"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::Login(LoginEvent::LoginBound { to, .. }) = &ev.event else {
            return Ok(());
        };
        c.prepare_cached(
            "INSERT INTO logins (login, mac, ip, nas_id, nas, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (login) DO UPDATE SET mac = excluded.mac, ip = excluded.ip,
               nas_id = excluded.nas_id, nas = excluded.nas, since = excluded.since",
        )?
        .execute(params![ev.id(), to.mac, to.ip, to.nas_id, to.nas, ev.at()])?;
        Ok(())
    }
}

/// A login's binding as the read model has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginRow {
    pub login: String,
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub nas_id: String,
    pub nas: String,
    pub since: String,
}

impl LoginRow {
    pub fn binding(&self) -> Binding {
        Binding {
            mac: self.mac.clone(),
            ip: self.ip.clone(),
            nas_id: self.nas_id.clone(),
            nas: self.nas.clone(),
        }
    }
}

const COLS: &str = "login, mac, ip, nas_id, nas, since";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LoginRow> {
    Ok(LoginRow {
        login: r.get(0)?,
        mac: r.get(1)?,
        ip: r.get(2)?,
        nas_id: r.get(3)?,
        nas: r.get(4)?,
        since: r.get(5)?,
    })
}

pub fn get(c: &Connection, login: &str) -> rusqlite::Result<Option<LoginRow>> {
    crate::opt(
        c.prepare_cached(&format!("SELECT {COLS} FROM logins WHERE login = ?1"))?
            .query_row([login], row),
    )
}

/// The bindings of many logins at once (unknown ones are left out).
pub fn many(c: &Connection, logins: &[String]) -> rusqlite::Result<HashMap<String, LoginRow>> {
    let mut q = c.prepare_cached(&format!("SELECT {COLS} FROM logins WHERE login = ?1"))?;
    let mut out = HashMap::with_capacity(logins.len());
    for l in logins {
        if let Some(r) = crate::opt(q.query_row([l], row))? {
            out.insert(l.clone(), r);
        }
    }
    Ok(out)
}

/// Logins starting with `prefix` (case as typed, then lower-case), at
/// most `limit`, by login.
pub fn with_prefix(c: &Connection, prefix: &str, limit: usize) -> rusqlite::Result<Vec<LoginRow>> {
    let mut q = c.prepare_cached(&format!(
        "SELECT {COLS} FROM logins WHERE login >= ?1 AND login < ?1 || char(1114111)
         ORDER BY login LIMIT ?2"
    ))?;
    let mut out: Vec<LoginRow> = q
        .query_map(params![prefix, limit as i64], row)?
        .collect::<rusqlite::Result<_>>()?;
    let lower = prefix.to_lowercase();
    if out.is_empty() && lower != prefix {
        out = q
            .query_map(params![lower, limit as i64], row)?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(out)
}

/// The logins bound to `mac` now.
pub fn by_mac(c: &Connection, mac: &str) -> rusqlite::Result<Vec<LoginRow>> {
    let mut q = c.prepare_cached(&format!(
        "SELECT {COLS} FROM logins WHERE mac = ?1 ORDER BY login"
    ))?;
    let rows = q.query_map([mac], row)?;
    rows.collect()
}
