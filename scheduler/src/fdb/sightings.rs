//! The FDB tables in `telemetry.db` (`migrations/telemetry/0004_fdb.sql`,
//! and `0005_uplink_reasons.sql` for why a port is an uplink): sightings per
//! device, port status, and the record of collections.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{params, Connection};

use super::uplink::UplinkReason;
use crate::telemetry::Telemetry;

/// One row of a switch's table as the collector keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub mac: String,
    pub vlan: u16,
    pub port: String,
}

/// A port after a collection: how many MACs it carried and, for an uplink,
/// why it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStatus {
    pub port: String,
    pub macs: usize,
    pub uplink: Option<UplinkReason>,
}

/// What one collection changed in the sightings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// MACs whose sightings on this device changed (new, on another port,
    /// gone), or whose port became or stopped being an uplink: the only
    /// MACs whose edge can have changed.
    pub changed: BTreeSet<String>,
    /// Sightings removed (missing from `miss_limit` collections in a row).
    pub gone: usize,
}

/// A sighting of a MAC anywhere, with its port's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub device_id: String,
    pub mac: String,
    pub vlan: u16,
    pub port: String,
    /// Unix milliseconds, on this port.
    pub first_seen: i64,
    pub last_seen: i64,
    pub misses: u32,
    /// MACs on the port at its last collection.
    pub port_macs: usize,
    /// Why the port is an uplink; `None` for an access port.
    pub uplink: Option<UplinkReason>,
}

/// A collection as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRow {
    /// `fdb` (a MAC table) or `nas` (a NAS's sessions).
    pub kind: String,
    pub device_id: String,
    pub at: String,
    pub duration_ms: u64,
    pub rows: usize,
    pub outcome: String,
    pub moved: usize,
}

const KEEP_COLLECTIONS_S: i64 = 30 * 24 * 3600;

impl Telemetry {
    /// Folds one successful collection of `device_id` at `now` (unix
    /// milliseconds) into its sightings and port statuses, in one transaction: a
    /// row seen again keeps its first sighting, a row not seen counts a
    /// miss and goes after `miss_limit` misses in a row.
    pub fn record_fdb_blocking(
        &self,
        device_id: &str,
        now: i64,
        seen: &[Seen],
        ports: &[PortStatus],
        miss_limit: u32,
    ) -> rusqlite::Result<Delta> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut delta = Delta::default();
        {
            let mut before: HashMap<(String, u16), (String, u32)> = HashMap::new();
            let mut q = tx.prepare_cached(
                "SELECT mac, vlan, port, misses FROM fdb_sightings WHERE device_id = ?1",
            )?;
            let rows = q.query_map([device_id], |r| {
                Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
            })?;
            for row in rows {
                let (k, v) = row?;
                before.insert(k, v);
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO fdb_sightings (device_id, mac, vlan, port, first_seen, last_seen, misses)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0)
                 ON CONFLICT (device_id, mac, vlan) DO UPDATE SET
                   port = excluded.port, first_seen = excluded.first_seen,
                   last_seen = excluded.last_seen, misses = 0",
            )?;
            let mut touch = tx.prepare_cached(
                "UPDATE fdb_sightings SET last_seen = ?4, misses = 0
                 WHERE device_id = ?1 AND mac = ?2 AND vlan = ?3",
            )?;
            for s in seen {
                match before.remove(&(s.mac.clone(), s.vlan)) {
                    Some((port, _)) if port == s.port => {
                        touch.execute(params![device_id, s.mac, s.vlan, now])?;
                    }
                    _ => {
                        insert.execute(params![device_id, s.mac, s.vlan, s.port, now])?;
                        delta.changed.insert(s.mac.clone());
                    }
                }
            }
            let mut miss = tx.prepare_cached(
                "UPDATE fdb_sightings SET misses = misses + 1
                 WHERE device_id = ?1 AND mac = ?2 AND vlan = ?3",
            )?;
            let mut drop = tx.prepare_cached(
                "DELETE FROM fdb_sightings WHERE device_id = ?1 AND mac = ?2 AND vlan = ?3",
            )?;
            for ((mac, vlan), (_, misses)) in before {
                if misses + 1 >= miss_limit {
                    drop.execute(params![device_id, mac, vlan])?;
                    delta.gone += 1;
                    delta.changed.insert(mac);
                } else {
                    miss.execute(params![device_id, mac, vlan])?;
                    // A first miss ranks the sighting below one seen in the
                    // latest collection (a MAC that moved): look again.
                    if misses == 0 {
                        delta.changed.insert(mac);
                    }
                }
            }

            let mut was: HashMap<String, bool> = HashMap::new();
            let mut q = tx.prepare_cached(
                "SELECT port, uplink_kind IS NOT NULL FROM fdb_ports WHERE device_id = ?1",
            )?;
            for row in q.query_map([device_id], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (port, uplink) = row?;
                was.insert(port, uplink);
            }
            tx.prepare_cached("DELETE FROM fdb_ports WHERE device_id = ?1")?
                .execute([device_id])?;
            let mut put = tx.prepare_cached(
                "INSERT INTO fdb_ports (device_id, port, macs, uplink_kind, uplink_detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut flipped = BTreeSet::new();
            for p in ports {
                let (kind, detail) = match &p.uplink {
                    Some(r) => (Some(r.kind()), r.detail()),
                    None => (None, None),
                };
                put.execute(params![device_id, p.port, p.macs as i64, kind, detail])?;
                let before = was.get(&p.port).copied().unwrap_or(false);
                if before != p.uplink.is_some() {
                    flipped.insert(p.port.as_str());
                }
            }
            // MACs on a port that became (or stopped being) an uplink may
            // have another edge now.
            for s in seen {
                if flipped.contains(s.port.as_str()) {
                    delta.changed.insert(s.mac.clone());
                }
            }
        }
        tx.commit()?;
        Ok(delta)
    }

    /// [`sightings_of`] on the writer's connection.
    pub fn sightings_of_blocking(
        &self,
        macs: &[String],
    ) -> rusqlite::Result<HashMap<String, Vec<Sighting>>> {
        sightings_of(&self.conn(), macs)
    }

    /// Records a collection (and drops records older than 30 days).
    pub fn save_fdb_collection_blocking(&self, c: &CollectionRow) -> rusqlite::Result<()> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO fdb_collections (kind, device_id, at, duration_ms, rows, outcome, moved)
             VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            c.device_id,
            c.at,
            c.duration_ms as i64,
            c.rows as i64,
            c.outcome,
            c.moved as i64,
            c.kind
        ])?;
        let cutoff = chrono::Utc::now().timestamp() - KEEP_COLLECTIONS_S;
        let cutoff = chrono::DateTime::from_timestamp(cutoff, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        conn.prepare_cached("DELETE FROM fdb_collections WHERE device_id = ?1 AND at < ?2")?
            .execute(params![c.device_id, cutoff])?;
        Ok(())
    }

    /// A device's last `limit` collections, newest first.
    pub fn fdb_collections_blocking(
        &self,
        device_id: &str,
        limit: usize,
    ) -> rusqlite::Result<Vec<CollectionRow>> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT device_id, at, duration_ms, rows, outcome, moved, kind FROM fdb_collections
             WHERE device_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = q.query_map(params![device_id, limit as i64], collection_row)?;
        rows.collect()
    }

    /// Every device's last collection of `kind`.
    pub fn last_fdb_collections_blocking(
        &self,
        kind: &str,
    ) -> rusqlite::Result<Vec<CollectionRow>> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT device_id, at, duration_ms, rows, outcome, moved, kind FROM fdb_collections
             WHERE id IN (SELECT MAX(id) FROM fdb_collections WHERE kind = ?1 GROUP BY device_id)",
        )?;
        let rows = q.query_map([kind], collection_row)?;
        rows.collect()
    }

    /// A device's ports after its last collection (uplinks first, then by
    /// name).
    pub fn fdb_ports_blocking(&self, device_id: &str) -> rusqlite::Result<Vec<PortStatus>> {
        let conn = self.conn();
        let mut q = conn.prepare_cached(
            "SELECT port, macs, uplink_kind, uplink_detail FROM fdb_ports WHERE device_id = ?1
             ORDER BY uplink_kind IS NULL, port",
        )?;
        let rows = q.query_map([device_id], |r| {
            Ok(PortStatus {
                port: r.get(0)?,
                macs: r.get::<_, i64>(1)? as usize,
                uplink: UplinkReason::from_columns(r.get(2)?, r.get(3)?)?,
            })
        })?;
        rows.collect()
    }
}

impl Telemetry {
    /// Deletes the sightings last seen before `before` (unix milliseconds),
    /// then the port statuses of devices left without any; returns how
    /// many of each went.
    pub fn prune_sightings_blocking(&self, before: i64) -> rusqlite::Result<(usize, usize)> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let sightings = tx
            .prepare_cached("DELETE FROM fdb_sightings WHERE last_seen < ?1")?
            .execute([before])?;
        let ports = tx
            .prepare_cached(
                "DELETE FROM fdb_ports WHERE NOT EXISTS
                   (SELECT 1 FROM fdb_sightings s WHERE s.device_id = fdb_ports.device_id)",
            )?
            .execute([])?;
        tx.commit()?;
        Ok((sightings, ports))
    }
}

/// Every sighting of each of `macs`, with its port's status; on any
/// connection to `telemetry.db` (a [reader](Telemetry::readers) too).
pub fn sightings_of(
    conn: &Connection,
    macs: &[String],
) -> rusqlite::Result<HashMap<String, Vec<Sighting>>> {
    let mut q = conn.prepare_cached(
        "SELECT s.device_id, s.mac, s.vlan, s.port, s.first_seen, s.last_seen, s.misses,
                COALESCE(p.macs, 0), p.uplink_kind, p.uplink_detail
         FROM fdb_sightings s
         LEFT JOIN fdb_ports p ON p.device_id = s.device_id AND p.port = s.port
         WHERE s.mac = ?1",
    )?;
    let mut out: HashMap<String, Vec<Sighting>> = HashMap::new();
    for mac in macs {
        let rows = q.query_map([mac], |r| {
            Ok(Sighting {
                device_id: r.get(0)?,
                mac: r.get(1)?,
                vlan: r.get(2)?,
                port: r.get(3)?,
                first_seen: r.get(4)?,
                last_seen: r.get(5)?,
                misses: r.get(6)?,
                port_macs: r.get::<_, i64>(7)? as usize,
                uplink: UplinkReason::from_columns(r.get(8)?, r.get(9)?)?,
            })
        })?;
        let found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        out.insert(mac.clone(), found);
    }
    Ok(out)
}

/// The same reads on a blocking thread, for callers outside the crate.
impl Telemetry {
    pub async fn sightings_of(
        &self,
        macs: Vec<String>,
    ) -> rusqlite::Result<HashMap<String, Vec<Sighting>>> {
        self.blocking(move |t| t.sightings_of_blocking(&macs)).await
    }

    pub async fn fdb_collections(
        &self,
        device_id: String,
        limit: usize,
    ) -> rusqlite::Result<Vec<CollectionRow>> {
        self.blocking(move |t| t.fdb_collections_blocking(&device_id, limit))
            .await
    }

    pub async fn last_fdb_collections(
        &self,
        kind: &'static str,
    ) -> rusqlite::Result<Vec<CollectionRow>> {
        self.blocking(move |t| t.last_fdb_collections_blocking(kind))
            .await
    }

    pub async fn fdb_ports(&self, device_id: String) -> rusqlite::Result<Vec<PortStatus>> {
        self.blocking(move |t| t.fdb_ports_blocking(&device_id))
            .await
    }
}

fn collection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CollectionRow> {
    Ok(CollectionRow {
        device_id: r.get(0)?,
        at: r.get(1)?,
        duration_ms: r.get::<_, i64>(2)? as u64,
        rows: r.get::<_, i64>(3)? as usize,
        outcome: r.get(4)?,
        moved: r.get::<_, i64>(5)? as usize,
        kind: r.get(6)?,
    })
}

/// What a collection run tells its record: rows read and places changed
/// (`None`: it did not run, a lease was held elsewhere), and its outcome as
/// `fdb_collections.outcome` keeps it.
pub(crate) trait Recorded {
    /// Rows read and places changed, when it ran to the end.
    fn counts(&self) -> Option<(usize, usize)>;
    /// Why it failed, when it did.
    fn failure(&self) -> Option<&str>;
    fn busy() -> Self;
    fn failed(reason: String) -> Self;
    /// `"ok"`, `"failed <reason>"` or `"busy"`.
    fn encode(&self) -> String {
        match (self.counts(), self.failure()) {
            (Some(_), _) => "ok".into(),
            (None, Some(reason)) => format!("failed {reason}"),
            (None, None) => "busy".into(),
        }
    }
}

/// Runs one collection of `device_id` (of `kind`) under the lease
/// `lease` and records it in `fdb_collections`, whatever its outcome: the
/// FDB collector's and the NAS poller's common frame.
pub(crate) async fn recorded<O, F>(
    leases: &crate::lease::Leases,
    telemetry: &Telemetry,
    kind: &'static str,
    device_id: &str,
    lease: String,
    ttl: std::time::Duration,
    run: F,
) -> O
where
    O: Recorded,
    F: std::future::Future<Output = O>,
{
    match leases.claim(lease.clone(), ttl).await {
        Ok(true) => {}
        Ok(false) => return O::busy(),
        Err(e) => return O::failed(format!("taking the device's lease: {e}")),
    }
    let started = std::time::Instant::now();
    let outcome = run.await;
    let (rows, moved) = outcome.counts().unwrap_or((0, 0));
    let row = CollectionRow {
        kind: kind.into(),
        device_id: device_id.to_string(),
        at: ispmon_events::store::now_rfc3339(),
        duration_ms: started.elapsed().as_millis() as u64,
        rows,
        outcome: outcome.encode(),
        moved,
    };
    if let Err(e) = telemetry
        .blocking(move |t| t.save_fdb_collection_blocking(&row))
        .await
    {
        tracing::warn!(error = %e, "keeping the collection's record failed");
    }
    if let Err(e) = leases.release(lease).await {
        tracing::warn!(error = %e, "giving the lease back failed; it expires");
    }
    outcome
}

/// The items due now: never collected (of `kind`), or collected longer ago
/// than their `interval` (by the last recorded collection, whoever made
/// it).
pub(crate) async fn due<T>(
    telemetry: &Telemetry,
    kind: &'static str,
    interval: impl Fn(&T) -> std::time::Duration,
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, String> {
    let last: HashMap<String, String> = telemetry
        .blocking(move |t| t.last_fdb_collections_blocking(kind))
        .await
        .map_err(|e| format!("reading the last collections: {e}"))?
        .into_iter()
        .map(|c| (c.device_id, c.at))
        .collect();
    let now = chrono::Utc::now();
    Ok(items
        .into_iter()
        .filter(|s| is_due(last.get(id(s)).map(String::as_str), interval(s), now))
        .collect())
}

/// Whether an item last collected at `last` (RFC 3339; `None`: never, or
/// unreadable) is due at `now` with `interval`.
pub(crate) fn is_due(
    last: Option<&str>,
    interval: std::time::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let Some(at) = last.and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok()) else {
        return true;
    };
    match chrono::Duration::from_std(interval) {
        Ok(every) => at <= now - every,
        Err(_) => false,
    }
}
