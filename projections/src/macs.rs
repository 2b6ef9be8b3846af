//! Where each MAC sits at the edge now, and its moves (Search Port).

use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::mac::{EdgePort, MacEvent};

pub struct MacsProjection;

impl Projection for MacsProjection {
    fn name(&self) -> &'static str {
        "macs"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/macs.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["mac_edges", "mac_moves"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::Mac(event) = &ev.event else {
            return Ok(());
        };
        let seq = ev.stored.seq as i64;
        match event {
            MacEvent::MacLocated { to, .. } => {
                c.prepare_cached(
                    "INSERT INTO mac_edges (mac, device_id, device, port, vlan, since)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (mac) DO UPDATE SET device_id = excluded.device_id,
                       device = excluded.device, port = excluded.port,
                       vlan = excluded.vlan, since = excluded.since",
                )?
                .execute(params![
                    ev.id(),
                    to.device_id,
                    to.device,
                    to.port,
                    to.vlan,
                    ev.at()
                ])?;
                c.prepare_cached(
                    "INSERT INTO mac_moves (seq, mac, at, device_id, device, port, vlan)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    seq,
                    ev.id(),
                    ev.at(),
                    to.device_id,
                    to.device,
                    to.port,
                    to.vlan
                ])?;
            }
            MacEvent::MacLeft { .. } => {
                c.prepare_cached("DELETE FROM mac_edges WHERE mac = ?1")?
                    .execute([ev.id()])?;
                c.prepare_cached("INSERT INTO mac_moves (seq, mac, at) VALUES (?1, ?2, ?3)")?
                    .execute(params![seq, ev.id(), ev.at()])?;
            }
        }
        Ok(())
    }
}

/// A MAC's edge port now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MacEdge {
    pub mac: String,
    pub device_id: String,
    pub device: String,
    pub port: String,
    pub vlan: u16,
    /// Since when it is there (RFC 3339).
    pub since: String,
}

impl MacEdge {
    pub fn port(&self) -> EdgePort {
        EdgePort {
            device_id: self.device_id.clone(),
            device: self.device.clone(),
            port: self.port.clone(),
            vlan: self.vlan,
        }
    }
}

fn edge_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MacEdge> {
    Ok(MacEdge {
        mac: r.get(0)?,
        device_id: r.get(1)?,
        device: r.get(2)?,
        port: r.get(3)?,
        vlan: r.get(4)?,
        since: r.get(5)?,
    })
}

pub fn edge(c: &Connection, mac: &str) -> rusqlite::Result<Option<MacEdge>> {
    crate::opt(
        c.prepare_cached(
            "SELECT mac, device_id, device, port, vlan, since FROM mac_edges WHERE mac = ?1",
        )?
        .query_row([mac], edge_row),
    )
}

/// The edges of many MACs at once (those without one are left out).
pub fn edges(c: &Connection, macs: &[String]) -> rusqlite::Result<HashMap<String, MacEdge>> {
    let mut q = c.prepare_cached(
        "SELECT mac, device_id, device, port, vlan, since FROM mac_edges WHERE mac = ?1",
    )?;
    let mut out = HashMap::with_capacity(macs.len());
    for m in macs {
        if let Some(e) = crate::opt(q.query_row([m], edge_row))? {
            out.insert(m.clone(), e);
        }
    }
    Ok(out)
}

/// How many MACs have their edge on each port of a device.
pub fn edge_counts(c: &Connection, device_id: &str) -> rusqlite::Result<HashMap<String, usize>> {
    let mut q = c.prepare_cached(
        "SELECT port, COUNT(*) FROM mac_edges WHERE device_id = ?1 GROUP BY port",
    )?;
    let rows = q.query_map([device_id], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as usize))
    })?;
    rows.collect()
}

/// One move of a MAC: where it went (`None`: it left its edge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MacMove {
    pub at: String,
    pub to: Option<EdgePort>,
}

fn move_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MacMove> {
    let device_id: Option<String> = r.get(1)?;
    Ok(MacMove {
        at: r.get(0)?,
        to: match device_id {
            Some(device_id) => Some(EdgePort {
                device_id,
                device: r.get(2)?,
                port: r.get(3)?,
                vlan: r.get(4)?,
            }),
            None => None,
        },
    })
}

/// A MAC's moves, newest first, at most `limit`.
pub fn history(c: &Connection, mac: &str, limit: usize) -> rusqlite::Result<Vec<MacMove>> {
    let mut q = c.prepare_cached(
        "SELECT at, device_id, device, port, vlan FROM mac_moves WHERE mac = ?1
         ORDER BY at DESC, seq DESC LIMIT ?2",
    )?;
    let rows = q.query_map(params![mac, limit as i64], move_row)?;
    rows.collect()
}

/// Where the MAC was at `at` (RFC 3339): its last move at or before then;
/// `None` when it had not been seen yet or had left.
pub fn at_time(c: &Connection, mac: &str, at: &str) -> rusqlite::Result<Option<MacMove>> {
    crate::opt(
        c.prepare_cached(
            "SELECT at, device_id, device, port, vlan FROM mac_moves WHERE mac = ?1 AND at <= ?2
             ORDER BY at DESC, seq DESC LIMIT 1",
        )?
        .query_row(params![mac, at], move_row),
    )
}
