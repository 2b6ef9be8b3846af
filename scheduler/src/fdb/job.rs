//! The scheduled FDB collection: a job that wakes every minute and reads
//! every switch whose last collection is older than its own interval, or
//! the one in the settings in force (or that was never read). On command
//! it reads every switch, those with a tag, or one. Switches are read side
//! by side, within the CLI session limits.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::{Metadata, Source};

use super::{Collector, FdbTarget, Outcome};
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "fdb-collect";
const TICK: Duration = Duration::from_secs(60);

pub struct FdbJob {
    collector: Arc<Collector>,
}

impl FdbJob {
    pub fn new(collector: Arc<Collector>) -> Self {
        Self { collector }
    }
}

/// Totals of a run over several switches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub collected: usize,
    pub failed: usize,
    pub busy: usize,
    pub rows: usize,
    pub moved: usize,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "{} read ({} rows, {} moved), {} failed{}",
            self.collected,
            self.rows,
            self.moved,
            self.failed,
            if self.busy > 0 {
                format!(", {} already running", self.busy)
            } else {
                String::new()
            }
        )
    }
}

impl Collector {
    /// Collects `switches` side by side.
    pub async fn collect_many(
        self: &Arc<Self>,
        switches: Vec<FdbTarget>,
        meta: &Metadata,
    ) -> Report {
        let mut set = tokio::task::JoinSet::new();
        for s in switches {
            let (me, meta) = (Arc::clone(self), meta.clone());
            set.spawn(async move { me.collect(&s, &meta).await });
        }
        let mut report = Report::default();
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Outcome::Collected { rows, moved }) => {
                    report.collected += 1;
                    report.rows += rows;
                    report.moved += moved;
                }
                Ok(Outcome::Busy) => report.busy += 1,
                Ok(Outcome::Failed(_)) | Err(_) => report.failed += 1,
            }
        }
        report
    }
}

impl Job for FdbJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        TICK
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let switches = self
                .collector
                .switches()
                .await
                .map_err(|e| format!("reading switches: {e}"))?;
            let picked = match &scope {
                Scope::Due => {
                    let c = &self.collector;
                    let every = c
                        .settings()
                        .await
                        .map_err(|e| format!("reading the Search Port settings: {e}"))?
                        .fdb_interval();
                    let interval = |s: &FdbTarget| s.interval.unwrap_or(every);
                    super::sightings::due(&c.telemetry, "fdb", interval, switches, |s| {
                        &s.device.device_id
                    })
                    .await?
                }
                other => crate::jobs::pick(switches, other, "switch", |s| {
                    (&s.device.device_id, &s.device.tags)
                })?,
            };
            if picked.is_empty() {
                return Ok("no switch due".to_string());
            }
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            if let (Scope::One(_), [s]) = (&scope, picked.as_slice()) {
                let name = &s.device.name;
                return match self.collector.collect(s, &meta).await {
                    Outcome::Collected { rows, moved } => {
                        Ok(format!("{name}: {rows} rows, {moved} moved"))
                    }
                    Outcome::Busy => Ok(format!("{name}: a collection was already running")),
                    Outcome::Failed(reason) => Err(format!("{name}: {reason}")),
                };
            }
            let n = picked.len();
            let report = self.collector.collect_many(picked, &meta).await;
            let summary = format!("{n} switches: {}", report.summary());
            if report.failed > 0 {
                tracing::warn!(%summary, scope = %scope.describe(), "FDB collection");
            } else {
                tracing::info!(%summary, scope = %scope.describe(), "FDB collection");
            }
            Ok(summary)
        })
    }
}
