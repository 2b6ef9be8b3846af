//! ispmon-scheduler: turns time into commands.
//!
//! Jobs (ICMP sweeps, config pulls, FDB/NAS collection, billing sync, ONT
//! provisioning — added by their issues) implement [`Job`]: one idempotent
//! `run_once` that tests call directly, and that the [`Scheduler`] calls on
//! its interval, supervised, recording each run for the admin page.
//!
//! - [`Job`]: a named unit of scheduled work.
//! - [`Scheduler`]: runs jobs on their intervals until cancelled; `status()`
//!   reports last run, next run, failures; `run_now` triggers one.
//! - [`icmp`]: the ICMP prober (`Prober`, `SurgePinger` on surge-ping).
//! - [`sweep`]: the ICMP sweep job (scopes, debounce, parent/child).
//! - [`telemetry`]: ping samples with rollups and retention (`telemetry.db`).

pub mod cli;
pub mod icmp;
pub mod sweep;
pub mod telemetry;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// A unit of scheduled work. `run_once` returns a one-line summary, or the
/// reason it failed; the scheduler goes on either way.
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    fn run_once(&self) -> JobFuture<'_>;
}

/// What the admin page shows about a job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStatus {
    pub runs: u64,
    pub failures: u64,
    pub running: bool,
    pub last_started: Option<DateTime<Utc>>,
    pub last_outcome: Option<Result<String, String>>,
    pub next_run: Option<DateTime<Utc>>,
}

struct Entry {
    trigger: Arc<Notify>,
}

/// Runs jobs on their intervals until cancelled.
#[derive(Clone, Default)]
pub struct Scheduler {
    entries: Arc<Mutex<BTreeMap<&'static str, Entry>>>,
    status: Arc<Mutex<BTreeMap<&'static str, JobStatus>>>,
}

impl Scheduler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a job and starts its loop (first run after one interval, or
    /// at once when triggered with [`Scheduler::run_now`]).
    pub fn add(&self, job: Arc<dyn Job>, cancel: CancellationToken) {
        let name = job.name();
        let trigger = Arc::new(Notify::new());
        self.entries.lock().expect("scheduler lock").insert(
            name,
            Entry {
                trigger: Arc::clone(&trigger),
            },
        );
        self.status
            .lock()
            .expect("scheduler lock")
            .insert(name, JobStatus::default());
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let interval = job.interval();
                this.update(name, |s| {
                    s.next_run = chrono::Duration::from_std(interval)
                        .ok()
                        .map(|d| Utc::now() + d)
                });
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(interval) => {},
                    _ = trigger.notified() => {},
                }
                let _ = this.run(name, job.as_ref()).await;
            }
        });
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut JobStatus)) {
        if let Some(s) = self.status.lock().expect("scheduler lock").get_mut(name) {
            f(s);
        }
    }

    async fn run(&self, name: &'static str, job: &dyn Job) -> Result<String, String> {
        self.update(name, |s| {
            s.running = true;
            s.last_started = Some(Utc::now());
        });
        let outcome = job.run_once().await;
        match &outcome {
            Ok(summary) => tracing::info!(job = name, summary, "job ran"),
            Err(reason) => tracing::warn!(job = name, reason, "job failed"),
        }
        self.update(name, |s| {
            s.running = false;
            s.runs += 1;
            if outcome.is_err() {
                s.failures += 1;
            }
            s.last_outcome = Some(outcome.clone());
        });
        outcome
    }

    /// Wakes a job's loop to run it now; false when no such job.
    pub fn run_now(&self, name: &str) -> bool {
        match self.entries.lock().expect("scheduler lock").get(name) {
            Some(e) => {
                e.trigger.notify_one();
                true
            }
            None => false,
        }
    }

    /// Every job's status, by name.
    pub fn status(&self) -> BTreeMap<&'static str, JobStatus> {
        self.status.lock().expect("scheduler lock").clone()
    }

    pub fn job_names(&self) -> Vec<&'static str> {
        self.entries
            .lock()
            .expect("scheduler lock")
            .keys()
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Counter {
        n: AtomicU64,
        fail_on: u64,
    }

    impl Job for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }
        fn run_once(&self) -> JobFuture<'_> {
            Box::pin(async move {
                let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
                if n == self.fail_on {
                    Err(format!("run {n} failed"))
                } else {
                    Ok(format!("run {n}"))
                }
            })
        }
    }

    async fn wait_runs(s: &Scheduler, runs: u64) -> JobStatus {
        loop {
            let st = s.status()["counter"].clone();
            if st.runs >= runs {
                return st;
            }
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn run_now_runs_the_job_and_failures_are_recorded_without_stopping_it() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            Arc::new(Counter {
                n: AtomicU64::new(0),
                fail_on: 1,
            }),
            cancel.clone(),
        );
        assert!(s.run_now("counter"));
        let st = tokio::time::timeout(Duration::from_secs(5), wait_runs(&s, 1))
            .await
            .unwrap();
        assert_eq!(st.failures, 1);
        assert_eq!(st.last_outcome, Some(Err("run 1 failed".into())));
        assert!(s.run_now("counter"));
        let st = tokio::time::timeout(Duration::from_secs(5), wait_runs(&s, 2))
            .await
            .unwrap();
        assert_eq!(st.last_outcome, Some(Ok("run 2".into())));
        assert_eq!(st.failures, 1);
        assert!(!s.run_now("nope"));
        assert_eq!(s.job_names(), vec!["counter"]);
        cancel.cancel();
    }
}
