//! FDB collection: read each switch's MAC table over its CLI, keep what it
//! showed as sightings in `telemetry.db`, decide which ports are uplinks,
//! and turn real changes at the edge into Mac commands.
//!
//! A MAC's edge port is the access port it sits behind: among its
//! sightings on every switch, those on ports that are not uplinks, the one
//! seen in the latest collection, on the port with the fewest MACs. Only MACs
//! whose sightings changed in a collection (new, on another port, gone
//! after the settings' `miss_limit` successful collections without it, or on a
//! port that became or stopped being an uplink) are looked at again, so a
//! steady recollection writes no events and one where k MACs moved writes
//! O(k), whatever the table sizes. A failed collection changes nothing.
//!
//! A port is an uplink when an admin marked it so (an admin's "access" mark
//! wins over every other rule), when the device's stored config makes it a
//! trunk, when a MAC of another known device is seen on it, or when it
//! carries more MACs than the settings' `uplink_threshold`. The reason is
//! kept with the port.
//!
//! The engine sees the application through [`FdbWorld`] (the settings in
//! force are read from it at every collection, so an admin's change applies
//! from the next one) and the devices through the config puller's CLI
//! sessions and limits ([`Puller`]).
//!
//! - [`sightings`]: the telemetry tables.
//! - [`job`]: the scheduled collection and its scopes.
//! - [`prune`]: the hourly time-based retention of sightings and sessions.
//! - [`uplink`]: why a port is an uplink, typed.

pub mod job;
pub mod prune;
pub mod sightings;
pub mod uplink;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use ispmon_events::fdb_settings::FdbSettingsValues;
use ispmon_events::mac::{EdgePort, MacCommand};
use ispmon_events::Metadata;

use crate::cli::{canonical_port, MacEntry};
use crate::config_pull::{PullTarget, Puller, WorldFuture};
use crate::lease::Leases;
use crate::telemetry::Telemetry;
use sightings::{PortStatus, Seen, Sighting};
pub use uplink::UplinkReason;

/// An admin's mark on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    Uplink,
    Access,
}

/// A switch as the collector needs it.
#[derive(Debug, Clone)]
pub struct FdbTarget {
    /// How to reach it (the config puller's view of the device).
    pub device: PullTarget,
    /// Trunk ports by [`canonical_port`], with the mode the stored config
    /// gives them (`"trunk"`, `"hybrid"`, …).
    pub trunks: HashMap<String, String>,
    /// Admins' marks by [`canonical_port`].
    pub marks: HashMap<String, PortRole>,
    /// Its own collection interval; `None` follows the settings.
    pub interval: Option<Duration>,
}

/// What the collector needs from the application.
pub trait FdbWorld: Send + Sync {
    /// Every live device with the `switch` role.
    fn switches(&self) -> WorldFuture<'_, Vec<FdbTarget>>;
    /// MACs of our own devices (switches, NAS, OLTs, routers) with the
    /// device's name: a port that shows one leads to that device.
    fn known_macs(&self) -> WorldFuture<'_, HashMap<String, String>>;
    /// Each MAC's edge port as the read model has it now (MACs without one
    /// are left out).
    fn edges(&self, macs: Vec<String>) -> WorldFuture<'_, HashMap<String, EdgePort>>;
    /// The name of every live device by id (for edges on other switches).
    fn device_names(&self) -> WorldFuture<'_, HashMap<String, String>>;
    /// Issues a Mac command: whether it recorded an event (one that changes
    /// nothing, e.g. another switch's collection settled the MAC first, is
    /// not an error).
    fn mac_command(
        &self,
        mac: String,
        command: MacCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool>;
    /// The Search Port settings in force now (the collector's rules, how
    /// often switches are read, how long sightings are kept).
    fn settings(&self) -> WorldFuture<'_, FdbSettingsValues>;
}

/// What one collection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The table was read: `rows` entries, `moved` MACs whose edge changed
    /// (each one event).
    Collected { rows: usize, moved: usize },
    /// Nothing was changed; the reason.
    Failed(String),
    /// A collection of this device was already running.
    Busy,
}

impl sightings::Recorded for Outcome {
    fn counts(&self) -> Option<(usize, usize)> {
        match self {
            Outcome::Collected { rows, moved } => Some((*rows, *moved)),
            _ => None,
        }
    }
    fn failure(&self) -> Option<&str> {
        match self {
            Outcome::Failed(reason) => Some(reason),
            _ => None,
        }
    }
    fn busy() -> Self {
        Outcome::Busy
    }
    fn failed(reason: String) -> Self {
        Outcome::Failed(reason)
    }
}

const LEASE_PREFIX: &str = "fdb/";

/// Mac commands of one settle in flight at once.
const SETTLE_AT_ONCE: usize = 16;

/// Collects MAC tables; one per process, shared by the job and the buttons.
pub struct Collector {
    world: Arc<dyn FdbWorld>,
    puller: Arc<Puller>,
    telemetry: Telemetry,
    leases: Leases,
    /// Tables being read, matched and settled at once. Fetching waits on the
    /// CLI session limits; what comes after is CPU and the one writer, so
    /// more at once only holds more tables in memory (hundreds of switches
    /// answer within the same seconds).
    work: Arc<tokio::sync::Semaphore>,
}

/// The dynamic entries of a table, one per MAC and VLAN (a MAC listed twice
/// — per linecard, or on two ports in one print — is kept once, the first).
pub fn learned(entries: Vec<MacEntry>) -> Vec<Seen> {
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .filter(|e| e.dynamic)
        .filter(|e| seen.insert((e.mac.clone(), e.vlan)))
        .map(|e| Seen {
            mac: e.mac,
            vlan: e.vlan,
            port: e.port,
        })
        .collect()
}

/// Each port's MAC count and uplink reason under the rules (see the
/// module's doc), ports in name order.
pub fn port_statuses(
    seen: &[Seen],
    target: &FdbTarget,
    known: &HashMap<String, String>,
    threshold: usize,
) -> Vec<PortStatus> {
    let mut by_port: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for s in seen {
        by_port.entry(&s.port).or_default().insert(&s.mac);
    }
    let own_name = &target.device.name;
    by_port
        .into_iter()
        .map(|(port, macs)| {
            let canon = canonical_port(port);
            let uplink = match target.marks.get(&canon) {
                Some(PortRole::Access) => None,
                Some(PortRole::Uplink) => Some(UplinkReason::Marked),
                None => {
                    // The first by name, so the reason is stable when
                    // several of our devices are seen on one port.
                    let device = macs
                        .iter()
                        .filter_map(|m| known.get(*m))
                        .filter(|name| *name != own_name)
                        .min();
                    if let Some(mode) = target.trunks.get(&canon) {
                        Some(UplinkReason::Trunk { mode: mode.clone() })
                    } else if let Some(name) = device {
                        Some(UplinkReason::KnownDevice { name: name.clone() })
                    } else if macs.len() > threshold {
                        Some(UplinkReason::Threshold {
                            count: macs.len(),
                            limit: threshold,
                        })
                    } else {
                        None
                    }
                }
            };
            PortStatus {
                port: port.to_string(),
                macs: macs.len(),
                uplink,
            }
        })
        .collect()
}

/// A MAC's edge among its sightings: on an access port, seen in the
/// latest collection (fewest misses), on the port with the fewest MACs,
/// then the most recent, then the one it arrived at last, then the one on
/// `fresh` (the switch just read: a MAC that just moved is seen in both
/// places within the same second); ties by device and port, so the answer
/// is stable.
pub fn edge_of<'a>(sightings: &'a [Sighting], fresh: Option<&str>) -> Option<&'a Sighting> {
    use std::cmp::Reverse;
    let rank = |s: &'a Sighting| {
        (
            s.misses,
            s.port_macs,
            Reverse(s.last_seen),
            Reverse(s.first_seen),
            Some(s.device_id.as_str()) != fresh,
            s.device_id.as_str(),
            s.port.as_str(),
        )
    };
    sightings
        .iter()
        .filter(|s| s.uplink.is_none())
        .min_by_key(|s| rank(s))
}

/// The command that brings a MAC's edge from `current` to what its
/// sightings say, if any.
pub fn decide(
    mac_sightings: &[Sighting],
    current: Option<&EdgePort>,
    names: &HashMap<String, String>,
    fresh: Option<&str>,
) -> Option<MacCommand> {
    match (edge_of(mac_sightings, fresh), current) {
        (Some(s), cur) => {
            let at = EdgePort {
                device_id: s.device_id.clone(),
                device: names
                    .get(&s.device_id)
                    .cloned()
                    .unwrap_or_else(|| s.device_id.clone()),
                port: s.port.clone(),
                vlan: s.vlan,
            };
            match cur {
                Some(c) if c.same_port(&at) && c.vlan == at.vlan => None,
                _ => Some(MacCommand::Locate { at }),
            }
        }
        (None, Some(c)) => Some(MacCommand::Leave {
            device_id: c.device_id.clone(),
            port: c.port.clone(),
        }),
        (None, None) => None,
    }
}

impl Collector {
    pub fn new(world: Arc<dyn FdbWorld>, puller: Arc<Puller>, telemetry: Telemetry) -> Self {
        Self {
            world,
            puller,
            leases: Leases::new(telemetry.clone()),
            telemetry,
            work: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }
    }

    /// Every switch.
    pub async fn switches(&self) -> Result<Vec<FdbTarget>, String> {
        self.world.switches().await
    }

    /// The settings in force now.
    pub async fn settings(&self) -> Result<FdbSettingsValues, String> {
        self.world.settings().await
    }

    /// Collects one switch under its lease, and records the collection.
    #[tracing::instrument(name = "fdb_collect", skip(self, t, meta), fields(device = %t.device.name))]
    pub async fn collect(&self, t: &FdbTarget, meta: &Metadata) -> Outcome {
        let id = &t.device.device_id;
        let lease = format!("{LEASE_PREFIX}{id}");
        let ttl = Duration::from_secs(300);
        let run = async {
            let outcome = self.collect_inner(t, meta).await;
            match &outcome {
                Outcome::Collected { rows, moved } => {
                    tracing::info!(rows, moved, "MAC table collected")
                }
                Outcome::Failed(reason) => {
                    tracing::warn!(address = %t.device.address, %reason, "MAC table collection failed; nothing changed")
                }
                Outcome::Busy => {}
            }
            outcome
        };
        sightings::recorded(&self.leases, &self.telemetry, "fdb", id, lease, ttl, run).await
    }

    async fn collect_inner(&self, t: &FdbTarget, meta: &Metadata) -> Outcome {
        let d = &t.device;
        let (output, _transcript) = self
            .puller
            .run_command(d, d.dialect.mac_table_command(), meta)
            .await;
        let output = match output {
            Ok(o) => o,
            Err(reason) => return Outcome::Failed(reason),
        };
        let _work = self.work.acquire().await.expect("never closed");
        let entries = match d.dialect.parse_mac_table(&output) {
            Ok(e) => e,
            Err(e) => return Outcome::Failed(format!("the MAC table could not be read: {e}")),
        };
        let rows = entries.len();
        let seen = learned(entries);
        let known = match self.world.known_macs().await {
            Ok(k) => k,
            Err(e) => return Outcome::Failed(format!("reading known device MACs: {e}")),
        };
        let settings = match self.world.settings().await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("reading the Search Port settings: {e}")),
        };
        let ports = port_statuses(&seen, t, &known, settings.uplink_threshold as usize);
        let (id, limit) = (d.device_id.clone(), settings.miss_limit);
        // Milliseconds: a MAC that moves is seen in both places within the
        // same second, and the later sighting must rank first.
        let now = chrono::Utc::now().timestamp_millis();
        let delta = match self
            .telemetry
            .blocking(move |tel| tel.record_fdb_blocking(&id, now, &seen, &ports, limit))
            .await
        {
            Ok(delta) => delta,
            Err(e) => return Outcome::Failed(format!("keeping the sightings: {e}")),
        };
        let changed = delta.changed.into_iter().collect();
        match self.settle(changed, Some(&d.device_id), meta).await {
            Ok(moved) => Outcome::Collected { rows, moved },
            Err(e) => Outcome::Failed(format!("recording moves: {e}")),
        }
    }

    /// Brings the edge of each of `macs` in line with its sightings (those
    /// on `fresh`, the switch just read, win a tie); returns how many
    /// events were recorded.
    pub async fn settle(
        &self,
        macs: Vec<String>,
        fresh: Option<&str>,
        meta: &Metadata,
    ) -> Result<usize, String> {
        if macs.is_empty() {
            return Ok(0);
        }
        let names = self.world.device_names().await?;
        let (mut moved, mut failed) = (0, Vec::new());
        // In slices, so a first collection of a big table stays bounded.
        for chunk in macs.chunks(500) {
            let chunk = chunk.to_vec();
            let ask = chunk.clone();
            let sightings = self
                .telemetry
                .blocking(move |tel| tel.sightings_of_blocking(&ask))
                .await
                .map_err(|e| e.to_string())?;
            let edges = self.world.edges(chunk.clone()).await?;
            let commands = chunk.into_iter().filter_map(|mac| {
                let found = sightings.get(&mac).map(Vec::as_slice).unwrap_or(&[]);
                let cmd = decide(found, edges.get(&mac), &names, fresh)?;
                Some(async move {
                    let done = self.world.mac_command(mac.clone(), cmd, meta.clone()).await;
                    (mac, done)
                })
            });
            // Several at once: the writer commits concurrent commands
            // together, one at a time would wait a commit each.
            let mut done = futures::stream::iter(commands).buffer_unordered(SETTLE_AT_ONCE);
            while let Some((mac, result)) = done.next().await {
                // One MAC's failure does not keep the others unsettled.
                match result {
                    Ok(recorded) => moved += usize::from(recorded),
                    Err(e) => {
                        tracing::warn!(%mac, error = %e, "recording a MAC's move failed");
                        failed.push(mac);
                    }
                }
            }
        }
        if failed.is_empty() {
            Ok(moved)
        } else {
            Err(format!(
                "{} of the moves could not be recorded (first: {})",
                failed.len(),
                failed[0]
            ))
        }
    }
}

#[cfg(test)]
mod tests;
