//! The scheduled config pull: a job that wakes every minute and pulls every
//! live device whose cron expression (its own, or the default) fired since
//! the previous wake-up. Missed minutes (a stopped server) are not replayed:
//! the first run after a start looks back one interval only. On command it
//! pulls everything, the devices with a tag, or one device.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispmon_events::{Metadata, Source};

use super::{Outcome, PullTarget, Puller};
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "config-pull";
const TICK: Duration = Duration::from_secs(60);

/// Parses a cron expression (5 fields, or 6 with seconds; UTC).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let fields = expr.split_whitespace().count();
    if !(5..=6).contains(&fields) {
        return Err(format!(
            "“{expr}” is not a cron expression: it needs 5 fields (minute hour day month weekday)"
        ));
    }
    croner::Cron::from_str(expr)
        .map_err(|e| format!("“{expr}” is not a valid cron expression: {e}"))
}

/// Did `cron` fire in the window `(after, until]`?
pub fn fired(cron: &croner::Cron, after: &DateTime<Utc>, until: &DateTime<Utc>) -> bool {
    cron.find_next_occurrence(after, false)
        .is_ok_and(|next| next <= *until)
}

pub struct ConfigPullJob {
    puller: Arc<Puller>,
    default_cron: String,
    last: Mutex<DateTime<Utc>>,
}

impl ConfigPullJob {
    pub fn new(puller: Arc<Puller>, default_cron: String) -> Self {
        let start = Utc::now() - chrono::Duration::from_std(TICK).expect("tick fits");
        Self {
            puller,
            default_cron,
            last: Mutex::new(start),
        }
    }

    /// The devices a run over `scope` pulls.
    fn select(&self, devices: Vec<PullTarget>, scope: &Scope) -> Result<Vec<PullTarget>, String> {
        Ok(match scope {
            Scope::Due => {
                let now = Utc::now();
                let after = std::mem::replace(&mut *self.last.lock().expect("job lock"), now);
                let default = parse_cron(&self.default_cron);
                devices
                    .into_iter()
                    .filter(|d| {
                        let cron = match &d.pull_schedule {
                            Some(c) => parse_cron(c),
                            None => default.clone(),
                        };
                        cron.is_ok_and(|c| fired(&c, &after, &now))
                    })
                    .collect()
            }
            Scope::Subset(w) => return Err(format!("a config pull has no subset “{w}”")),
            other => crate::jobs::pick(devices, other, "device", |d| (&d.device_id, &d.tags))?,
        })
    }
}

impl Job for ConfigPullJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        TICK
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let devices = self
                .puller
                .devices()
                .await
                .map_err(|e| format!("reading devices: {e}"))?;
            let due = self.select(devices, &scope)?;
            if due.is_empty() {
                return Ok("no device due".to_string());
            }
            let n = due.len();
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            if let (Scope::One(_), [d]) = (&scope, due.as_slice()) {
                return match self.puller.pull(d, &meta).await {
                    Outcome::NewVersion(v) => Ok(format!("{}: new version {v}", d.name)),
                    Outcome::Unchanged => Ok(format!("{}: unchanged", d.name)),
                    Outcome::Busy => Ok(format!("{}: a pull was already running", d.name)),
                    Outcome::Failed(reason) => Err(format!("{}: {reason}", d.name)),
                };
            }
            let report = self.puller.pull_many(due, &meta).await;
            let summary = format!("{n} due: {}", report.summary());
            if report.failed > 0 {
                tracing::warn!(%summary, scope = %scope.describe(), "config pull");
            } else {
                tracing::info!(%summary, scope = %scope.describe(), "config pull");
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
        let nightly = parse_cron("0 3 * * *").unwrap();
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
        let every_5 = parse_cron("*/5 * * * *").unwrap();
        assert!(fired(
            &every_5,
            &t("2026-11-29T10:04:10Z"),
            &t("2026-11-29T10:05:10Z")
        ));
    }

    #[test]
    fn cron_expressions_with_the_wrong_number_of_fields_are_refused_by_name() {
        let e = parse_cron("0 3 * *").unwrap_err();
        assert!(e.contains("“0 3 * *”") && e.contains("5 fields"), "{e}");
        assert!(
            parse_cron("0 0 3 * * *").is_ok(),
            "six fields, seconds first"
        );
        assert!(parse_cron("61 3 * * *")
            .unwrap_err()
            .contains("not a valid"));
    }
}
