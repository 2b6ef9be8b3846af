//! Time-based retention of Search Port telemetry: a job that wakes every
//! hour and deletes the sightings not seen for the settings'
//! `sightings_keep_days` (the table of a switch that was retired, removed
//! or is no longer reachable, a MAC that aged out while its switch was not
//! read), the port statuses of switches left without sightings, and the
//! PPPoE sessions that ended (or were last seen) more than 400 days ago.
//! The collections' own record keeps 30 days as it is written. Only
//! telemetry goes: where a MAC sat and its moves are events and stay.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::Metadata;

use super::Collector;
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "search-prune";
const TICK: Duration = Duration::from_secs(3600);

/// What one prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sightings: usize,
    pub ports: usize,
    pub sessions: usize,
}

impl Collector {
    /// Deletes what is past its retention at `now` (unix milliseconds),
    /// under the settings in force.
    pub async fn prune(&self, now: i64) -> Result<Pruned, String> {
        let keep = self
            .settings()
            .await
            .map_err(|e| format!("reading the Search Port settings: {e}"))?
            .sightings_keep();
        let before = now.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX));
        self.telemetry
            .blocking(move |t| {
                let (sightings, ports) = t.prune_sightings_blocking(before)?;
                let sessions = t.prune_sessions_blocking(now / 1000)?;
                Ok(Pruned {
                    sightings,
                    ports,
                    sessions,
                })
            })
            .await
            .map_err(|e| format!("pruning: {e}"))
    }
}

pub struct PruneJob {
    collector: Arc<Collector>,
}

impl PruneJob {
    pub fn new(collector: Arc<Collector>) -> Self {
        Self { collector }
    }
}

impl Job for PruneJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        TICK
    }

    fn run(&self, scope: Scope, _by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            if !matches!(scope, Scope::Due | Scope::All) {
                return Err(format!(
                    "the prune covers all Search Port telemetry, not {}",
                    scope.describe()
                ));
            }
            let now = chrono::Utc::now().timestamp_millis();
            let p = self.collector.prune(now).await?;
            let summary = format!(
                "{} sightings, {} port statuses and {} sessions past their retention deleted",
                p.sightings, p.ports, p.sessions
            );
            if p != Pruned::default() {
                tracing::info!(%summary, "Search Port prune");
            }
            Ok(summary)
        })
    }
}
