//! The scheduled GPON polls: `gpon-poll` wakes every 30 s and polls each
//! OLT whose last poll is older than the poll interval in force (default
//! 5 min); `gpon-autofind` wakes every 10 s for autofind (default every
//! 60 s). On command each polls every OLT, those with a tag, or one. OLTs
//! are polled side by side; each within its own budget.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::{Metadata, Source};

use super::poll::{GponPoller, Outcome, AUTOFIND_KIND, POLL_KIND};
use crate::{Job, JobFuture, Scope};

pub const POLL_JOB: &str = "gpon-poll";
pub const AUTOFIND_JOB: &str = "gpon-autofind";

pub struct GponJob {
    poller: Arc<GponPoller>,
    autofind: bool,
}

impl GponJob {
    pub fn poll(poller: Arc<GponPoller>) -> Self {
        GponJob {
            poller,
            autofind: false,
        }
    }
    pub fn autofind(poller: Arc<GponPoller>) -> Self {
        GponJob {
            poller,
            autofind: true,
        }
    }
}

impl Job for GponJob {
    fn name(&self) -> &'static str {
        if self.autofind {
            AUTOFIND_JOB
        } else {
            POLL_JOB
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(if self.autofind { 10 } else { 30 })
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let p = &self.poller;
            let all = p.olts().await.map_err(|e| format!("reading OLTs: {e}"))?;
            let picked = match &scope {
                Scope::Due => {
                    let s = p
                        .settings()
                        .await
                        .map_err(|e| format!("reading the GPON settings: {e}"))?;
                    let (kind, every) = if self.autofind {
                        (AUTOFIND_KIND, s.autofind_secs)
                    } else {
                        (POLL_KIND, s.poll_secs)
                    };
                    let every = Duration::from_secs(u64::from(every));
                    crate::fdb::sightings::due(&p.telemetry, kind, |_| every, all, |d| &d.device_id)
                        .await?
                }
                other => crate::jobs::pick(all, other, "OLT", |d| (&d.device_id, &d.tags))?,
            };
            if picked.is_empty() {
                return Ok("no OLT due".to_string());
            }
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, self.name()));
            let mut set = tokio::task::JoinSet::new();
            for d in picked {
                let (p, meta, autofind) = (Arc::clone(p), meta.clone(), self.autofind);
                set.spawn(async move {
                    let o = if autofind {
                        p.autofind(&d, &meta).await
                    } else {
                        p.poll(&d, &meta).await
                    };
                    (d.name, o)
                });
            }
            let (mut ok, mut onts, mut changed, mut failed) = (0, 0, 0, Vec::new());
            while let Some(done) = set.join_next().await {
                match done {
                    Ok((
                        name,
                        Outcome::Polled {
                            onts: n,
                            changed: c,
                            failed_ports,
                            ..
                        },
                    )) => {
                        ok += 1;
                        onts += n;
                        changed += c;
                        for f in failed_ports {
                            failed.push(format!("{name} {f}"));
                        }
                    }
                    Ok((_, Outcome::Busy)) => {}
                    Ok((name, Outcome::Failed(r))) => failed.push(format!("{name}: {r}")),
                    Err(e) => failed.push(format!("a poll task failed: {e}")),
                }
            }
            let what = if self.autofind { "waiting" } else { "ONTs" };
            let summary = format!("{ok} OLTs polled, {onts} {what}, {changed} changes");
            if failed.is_empty() {
                Ok(summary)
            } else {
                Err(format!("{summary}; failed: {}", failed.join("; ")))
            }
        })
    }
}
