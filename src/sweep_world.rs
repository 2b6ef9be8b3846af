//! Wiring the ICMP sweep to the application: the read models it reads, the
//! commands it issues, and the scheduler that runs it.

use std::net::IpAddr;
use std::sync::Arc;

use ispmon_events::host::HostCommand;
use ispmon_events::{Metadata, Source};
use ispmon_scheduler::sweep::{SweepWorld, Target, WorldFuture};

use crate::core::Core;

/// The application as the sweep sees it.
pub struct AppWorld {
    pub core: Core,
}

impl SweepWorld for AppWorld {
    fn hosts(
        &self,
    ) -> WorldFuture<
        '_,
        (
            Vec<Target>,
            ispmon_events::icmp_settings::IcmpSettingsValues,
        ),
    > {
        Box::pin(async move {
            let (rows, settings) = self
                .core
                .views
                .read(|c| {
                    Ok((
                        ispmon_projections::hosts::all(c)?,
                        ispmon_projections::folders::icmp_settings(c)?,
                    ))
                })
                .await
                .map_err(|e| e.to_string())?;
            let targets = rows
                .into_iter()
                .filter_map(|h| {
                    // A row the sweep cannot read is skipped loudly, never
                    // probed at a guessed address (a row whose state names
                    // no state fails the read itself).
                    let Ok(ip) = h.ip.parse::<IpAddr>() else {
                        tracing::error!(host = %h.host_id, ip = %h.ip, "host address unreadable; not swept");
                        return None;
                    };
                    Some(Target {
                        host_id: h.host_id,
                        ip,
                        state: h.state,
                        paused: h.paused,
                        parent_id: h.parent_id,
                    })
                })
                .collect();
            Ok((targets, settings))
        })
    }

    fn record(&self, host_id: String, command: HostCommand) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            let meta = Metadata::system(Source::Scheduler, "icmp-sweep");
            self.core
                .commands
                .host(&host_id, command, &meta)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// The sweeper over the real prober.
pub fn sweeper(core: &Core) -> Arc<ispmon_scheduler::sweep::Sweeper> {
    Arc::new(
        ispmon_scheduler::sweep::Sweeper::new(
            Arc::new(AppWorld { core: core.clone() }),
            Arc::new(ispmon_scheduler::icmp::SurgePinger::new()),
        )
        .with_telemetry(core.telemetry.clone()),
    )
}
