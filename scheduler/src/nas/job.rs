//! The scheduled NAS poll: a job that wakes every 15 s and polls every NAS
//! whose last poll is older than the interval in the settings in force
//! (default 60 s). On command it polls every NAS, those with a tag, or
//! one. Each NAS is polled on its own, side by side, so one down or slow
//! does not hold up the others.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::{Metadata, Source};

use super::{Outcome, Poller};
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "nas-poll";
const TICK: Duration = Duration::from_secs(15);

pub struct NasJob {
    poller: Arc<Poller>,
}

impl NasJob {
    pub fn new(poller: Arc<Poller>) -> Self {
        Self { poller }
    }
}

impl Job for NasJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        TICK
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let p = &self.poller;
            let all = p
                .nas_devices()
                .await
                .map_err(|e| format!("reading NAS devices: {e}"))?;
            let picked = match &scope {
                Scope::Due => {
                    let interval = p
                        .settings()
                        .await
                        .map_err(|e| format!("reading the Search Port settings: {e}"))?
                        .nas_interval();
                    crate::fdb::sightings::due(
                        &p.telemetry,
                        "nas",
                        |_| interval,
                        all,
                        |d| &d.device_id,
                    )
                    .await?
                }
                other => crate::jobs::pick(all, other, "NAS", |d| (&d.device_id, &d.tags))?,
            };
            if picked.is_empty() {
                return Ok("no NAS due".to_string());
            }
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            let mut set = tokio::task::JoinSet::new();
            for d in picked {
                let (p, meta) = (Arc::clone(p), meta.clone());
                set.spawn(async move {
                    let o = p.poll(&d, &meta).await;
                    (d.name, o)
                });
            }
            let (mut ok, mut sessions, mut rebound, mut failed) = (0, 0, 0, Vec::new());
            while let Some(done) = set.join_next().await {
                match done {
                    Ok((
                        _,
                        Outcome::Polled {
                            sessions: s,
                            rebound: r,
                        },
                    )) => {
                        ok += 1;
                        sessions += s;
                        rebound += r;
                    }
                    Ok((_, Outcome::Busy)) => {}
                    Ok((name, Outcome::Failed(reason))) => failed.push(format!("{name}: {reason}")),
                    Err(e) => failed.push(e.to_string()),
                }
            }
            let summary = format!(
                "{ok} NAS polled ({sessions} sessions, {rebound} rebound), {} failed",
                failed.len()
            );
            if failed.is_empty() {
                tracing::debug!(%summary, "NAS poll");
                Ok(summary)
            } else if ok == 0 {
                Err(format!("{summary}: {}", failed.join("; ")))
            } else {
                tracing::warn!(%summary, failures = %failed.join("; "), "NAS poll");
                Ok(format!("{summary}: {}", failed.join("; ")))
            }
        })
    }
}
