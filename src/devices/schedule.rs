//! The scheduled config pull: a scheduler job that wakes every minute and
//! pulls every live device whose cron expression (its own, or the default)
//! fired since the previous wake-up. Missed minutes (a stopped server) are
//! not replayed: the first run after a start looks back one interval only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispmon_events::{Metadata, Source};
use ispmon_projections::devices as device_views;
use ispmon_scheduler::{Job, JobFuture};

use super::pull::Puller;
use crate::core::Core;

pub const JOB_NAME: &str = "config-pull";
const TICK: Duration = Duration::from_secs(60);

pub struct ConfigPullJob {
    core: Core,
    puller: Arc<Puller>,
    default_cron: String,
    last: Mutex<DateTime<Utc>>,
}

impl ConfigPullJob {
    pub fn new(core: Core, puller: Arc<Puller>, default_cron: String) -> Self {
        let start = Utc::now() - chrono::Duration::from_std(TICK).expect("tick fits");
        Self {
            core,
            puller,
            default_cron,
            last: Mutex::new(start),
        }
    }
}

/// Did `cron` fire in the window `(after, until]`?
pub fn fired(cron: &croner::Cron, after: &DateTime<Utc>, until: &DateTime<Utc>) -> bool {
    cron.find_next_occurrence(after, false)
        .is_ok_and(|next| next <= *until)
}

impl Job for ConfigPullJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        TICK
    }

    fn run_once(&self) -> JobFuture<'_> {
        Box::pin(async move {
            let now = Utc::now();
            let after = std::mem::replace(&mut *self.last.lock().expect("job lock"), now);
            let devices = self
                .core
                .views
                .read(device_views::all_live)
                .await
                .map_err(|e| format!("reading devices: {e}"))?;
            let default = super::parse_cron(&self.default_cron);
            let due: Vec<_> = devices
                .into_iter()
                .filter(|d| {
                    let cron = match &d.pull_schedule {
                        Some(c) => super::parse_cron(c),
                        None => default.clone(),
                    };
                    cron.is_ok_and(|c| fired(&c, &after, &now))
                })
                .collect();
            if due.is_empty() {
                return Ok("no device due".to_string());
            }
            let n = due.len();
            let meta = Metadata::system(Source::Scheduler, JOB_NAME);
            let report = self.puller.pull_many(due, &meta).await;
            let summary = format!("{n} due: {}", report.summary());
            if report.failed > 0 {
                tracing::warn!(%summary, "scheduled config pull");
            } else {
                tracing::info!(%summary, "scheduled config pull");
            }
            Ok(summary)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cron_fires_only_inside_its_window() {
        let nightly = super::super::parse_cron("0 3 * * *").unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(fired(
            &nightly,
            &t("2026-11-29T02:59:30Z"),
            &t("2026-11-29T03:00:30Z")
        ));
        assert!(
            !fired(
                &nightly,
                &t("2026-11-29T03:00:00Z"),
                &t("2026-11-29T03:01:00Z")
            ),
            "the window is open at its start"
        );
        assert!(!fired(
            &nightly,
            &t("2026-11-29T03:01:00Z"),
            &t("2026-11-29T03:02:00Z")
        ));
        let every_5 = super::super::parse_cron("*/5 * * * *").unwrap();
        assert!(fired(
            &every_5,
            &t("2026-11-29T10:04:10Z"),
            &t("2026-11-29T10:05:10Z")
        ));
    }
}
