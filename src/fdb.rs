//! The FDB collector's world: how the engine in `ispmon_scheduler::fdb` sees
//! the application — switches from the devices read model (with the trunk
//! ports of their latest stored config and the admins' port marks), our
//! devices' management MACs, MAC edges from the macs read model, the
//! Search Port settings in force, and Mac commands. The engine, its job and
//! its rules live in the scheduler crate; this is the thin adapter.

use std::collections::HashMap;
use std::sync::Arc;

use ispmon_events::fdb_settings::FdbSettingsValues;
use ispmon_events::mac::{EdgePort, MacCommand};
use ispmon_events::Metadata;
use ispmon_projections::devices::{self as device_views, DeviceRow};
use ispmon_projections::macs;
use ispmon_scheduler::cli::canonical_port;
use ispmon_scheduler::config_pull::{Puller, WorldFuture};
use ispmon_scheduler::fdb::FdbWorld;
pub use ispmon_scheduler::fdb::{Collector, FdbTarget, Outcome, PortRole};

use crate::core::Core;
use crate::devices::ConfigCache;

/// The application as the FDB collector sees it.
pub struct AppFdbWorld {
    core: Core,
    cache: ConfigCache,
}

/// The collector over this application, reading switches through `puller`'s
/// CLI sessions and limits, under the Search Port settings in force.
pub fn collector(core: &Core, cache: ConfigCache, puller: Arc<Puller>) -> Arc<Collector> {
    let world = Arc::new(AppFdbWorld {
        core: core.clone(),
        cache,
    });
    Arc::new(Collector::new(world, puller, core.telemetry.clone()))
}

/// The Search Port settings in force, from the read model.
pub(crate) async fn settings(core: &Core) -> Result<FdbSettingsValues, String> {
    core.views
        .read(ispmon_projections::fdb_settings::values)
        .await
        .map_err(|e| e.to_string())
}

fn is_switch(d: &DeviceRow) -> bool {
    d.roles.iter().any(|r| r == "switch")
}

impl AppFdbWorld {
    async fn target(&self, d: &DeviceRow, marks: &[(String, String)]) -> Result<FdbTarget, String> {
        let device = crate::devices::pull::target(d)?;
        let mut trunks = HashMap::new();
        if let Some(hash) = &d.last_hash {
            match self.cache.text(&self.core, hash).await {
                Ok(Some(text)) => {
                    for t in device.dialect.trunk_ports(&text) {
                        trunks.insert(t.port, t.mode);
                    }
                }
                Ok(None) => tracing::warn!(device = %d.name, "the latest stored config is missing"),
                Err(e) => {
                    tracing::warn!(device = %d.name, error = %e, "reading the latest stored config")
                }
            }
        }
        let marks = marks
            .iter()
            .filter_map(|(port, role)| {
                let role = match role.as_str() {
                    "uplink" => PortRole::Uplink,
                    "access" => PortRole::Access,
                    _ => return None,
                };
                Some((canonical_port(port), role))
            })
            .collect();
        Ok(FdbTarget {
            device,
            trunks,
            marks,
            interval: d
                .fdb_interval_min
                .map(|m| std::time::Duration::from_secs(u64::from(m) * 60)),
        })
    }
}

impl FdbWorld for AppFdbWorld {
    fn switches(&self) -> WorldFuture<'_, Vec<FdbTarget>> {
        Box::pin(async move {
            let (rows, marks) = self
                .core
                .views
                .read(|c| Ok((device_views::all_live(c)?, device_views::port_marks(c)?)))
                .await
                .map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for d in rows.iter().filter(|d| is_switch(d)) {
                let none = Vec::new();
                let m = marks.get(&d.device_id).unwrap_or(&none);
                match self.target(d, m).await {
                    Ok(t) => out.push(t),
                    Err(e) => {
                        tracing::warn!(device = %d.name, error = %e, "switch skipped by the FDB collection")
                    }
                }
            }
            Ok(out)
        })
    }

    fn known_macs(&self) -> WorldFuture<'_, HashMap<String, String>> {
        Box::pin(async move {
            let rows = self
                .core
                .views
                .read(device_views::all_live)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .into_iter()
                .filter_map(|d| Some((d.mgmt_mac?, d.name)))
                .collect())
        })
    }

    fn edges(&self, macs: Vec<String>) -> WorldFuture<'_, HashMap<String, EdgePort>> {
        Box::pin(async move {
            let found = self
                .core
                .views
                .read(move |c| macs::edges(c, &macs))
                .await
                .map_err(|e| e.to_string())?;
            Ok(found.into_iter().map(|(m, e)| (m, e.port())).collect())
        })
    }

    fn device_names(&self) -> WorldFuture<'_, HashMap<String, String>> {
        Box::pin(async move {
            let rows = self
                .core
                .views
                .read(device_views::all_live)
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows.into_iter().map(|d| (d.device_id, d.name)).collect())
        })
    }

    fn mac_command(
        &self,
        mac: String,
        command: MacCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            self.core
                .commands
                .execute_settled::<ispmon_events::mac::Mac>(&mac, command, &meta)
                .await
        })
    }

    fn settings(&self) -> WorldFuture<'_, FdbSettingsValues> {
        Box::pin(settings(&self.core))
    }
}

/// Asks a switch now where it sees `mac` (the dialect's single-MAC lookup,
/// through the CLI sessions and limits); the rows that name the MAC, or why
/// the switch could not be asked. Changes nothing.
pub async fn recheck(
    st: &crate::state::AppState,
    device_id: &str,
    mac: &str,
    meta: &Metadata,
) -> crate::error::AppResult<Result<Vec<ispmon_scheduler::cli::MacEntry>, String>> {
    let d = st.find(device_id, device_views::get).await?;
    if d.retired || !is_switch(&d) {
        return Err(crate::error::AppError::BadRequest(format!(
            "{} is not a live switch",
            d.name
        )));
    }
    let target = match crate::devices::pull::target(&d) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let Some(command) = target.dialect.mac_lookup_command(mac) else {
        return Ok(Err(format!(
            "{} ({}) has no single-MAC lookup",
            d.name,
            target.dialect.label()
        )));
    };
    let (output, _transcript) = st.puller.run_command(&target, &command, meta).await;
    let output = match output {
        Ok(o) => o,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(match target.dialect.parse_mac_table(&output) {
        Ok(rows) => Ok(rows.into_iter().filter(|r| r.mac == mac).collect()),
        Err(e) => Err(format!("the answer could not be read: {e}")),
    })
}
