//! ispmon-scheduler: turns time into commands.
//!
//! Jobs (ICMP sweeps, config pulls, FDB/NAS collection, billing sync, ONT
//! provisioning — added by their issues) implement [`Job`]: one idempotent
//! `run_once` that tests call directly, and that the [`Scheduler`] calls on
//! its [`Schedule`] (every N seconds, or a cron expression), supervised,
//! recording each run for the admin page.
//!
//! - [`Job`], [`Schedule`]: a named unit of scheduled work and when it runs.
//! - [`Scheduler`]: runs jobs through tokio-cron-scheduler until cancelled;
//!   `status()` reports last run, next run, failures; `run_now` triggers one;
//!   `reschedule` replaces a job's schedule.
//! - [`icmp`]: the ICMP prober (`Prober`, `SurgePinger` on surge-ping).
//! - [`sweep`]: the ICMP sweep job (scopes, debounce, parent/child).
//! - [`telemetry`]: ping samples with rollups and retention (`telemetry.db`).
//! - [`reactor`]: the reactor kit — work that follows the event log
//!   (checkpoint, outbox, leases, retries, attempts) in `reactors.db`.
//! - [`notify`]: the notifier, the first reactor (webhook, Telegram).

pub mod cli;
pub mod icmp;
pub mod notify;
pub mod reactor;
pub mod sweep;
pub mod telemetry;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{watch, OnceCell};
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// When a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every so often (whole seconds, at least one), the first time one
    /// period after it is scheduled.
    Every(Duration),
    /// A cron expression in UTC with a seconds field first:
    /// `sec min hour day-of-month month day-of-week` (`0 30 3 * * *`: 03:30:00
    /// every day).
    Cron(String),
}

/// A unit of scheduled work. `run_once` returns a one-line summary, or the
/// reason it failed; the scheduler goes on either way.
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    /// When it runs; by default every [`Job::interval`]. Read again after
    /// every run, so a job whose setting changed is rescheduled.
    fn schedule(&self) -> Schedule {
        Schedule::Every(self.interval())
    }
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchedulerError {
    #[error("no job named {0}")]
    NoSuchJob(String),
    #[error("not a valid cron expression: {0}")]
    BadCron(String),
    #[error("the cron scheduler failed: {0}")]
    Cron(String),
}

/// One registered job.
struct Entry {
    job: Arc<dyn Job>,
    cancel: CancellationToken,
    /// Claimed by the one run in progress: runs never overlap.
    running: AtomicBool,
    /// `run_now` while running: one more run right after.
    queued: AtomicBool,
    /// The schedule asked for, and the one registered with the cron
    /// scheduler (with its id there); the async lock orders registrations.
    wanted: Mutex<Schedule>,
    registered: tokio::sync::Mutex<Option<(Schedule, Uuid)>>,
}

struct Inner {
    cron: OnceCell<JobScheduler>,
    entries: Mutex<BTreeMap<&'static str, Arc<Entry>>>,
    status: Mutex<BTreeMap<&'static str, JobStatus>>,
    /// Bumped on every status change, for [`Scheduler::wait_status`].
    changed: watch::Sender<u64>,
}

/// Runs jobs on their schedules, through tokio-cron-scheduler, until
/// cancelled.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                cron: OnceCell::new(),
                entries: Mutex::default(),
                status: Mutex::default(),
                changed: watch::Sender::new(0),
            }),
        }
    }
}

impl Scheduler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a job on its [`Job::schedule`] (replacing one of the same
    /// name). It stops running when `cancel` fires. An invalid cron
    /// expression is recorded as the job's last outcome and the job only
    /// runs through [`Scheduler::run_now`] until rescheduled.
    pub fn add(&self, job: Arc<dyn Job>, cancel: CancellationToken) {
        let name = job.name();
        let entry = Arc::new(Entry {
            wanted: Mutex::new(job.schedule()),
            job,
            cancel: cancel.clone(),
            running: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            registered: tokio::sync::Mutex::new(None),
        });
        let old = self
            .inner
            .entries
            .lock()
            .expect("scheduler lock")
            .insert(name, Arc::clone(&entry));
        if let Some(old) = old {
            old.cancel.cancel();
        }
        self.update(name, |s| *s = JobStatus::default());
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.register(name, &entry).await {
                tracing::error!(job = name, error = %e, "cannot schedule the job");
                this.update(name, |s| s.last_outcome = Some(Err(e.to_string())));
            }
            entry.cancel.cancelled().await;
            this.unregister(name, &entry).await;
        });
    }

    /// Replaces a job's schedule; its next run follows the new one.
    pub async fn reschedule(&self, name: &str, schedule: Schedule) -> Result<(), SchedulerError> {
        let (name, entry) = self.entry(name)?;
        // Checked before anything changes.
        cron_job(self, name, &schedule)?;
        *entry.wanted.lock().expect("scheduler lock") = schedule;
        self.register(name, &entry).await
    }

    /// Makes the cron scheduler's job for `entry` match its wanted schedule.
    async fn register(&self, name: &'static str, entry: &Arc<Entry>) -> Result<(), SchedulerError> {
        let mut registered = entry.registered.lock().await;
        let wanted = entry.wanted.lock().expect("scheduler lock").clone();
        if entry.cancel.is_cancelled() || registered.as_ref().is_some_and(|(s, _)| *s == wanted) {
            return Ok(());
        }
        let cron = self.cron().await?;
        let job = cron_job(self, name, &wanted)?;
        let id = cron
            .add(job)
            .await
            .map_err(|e| SchedulerError::Cron(e.to_string()))?;
        if let Some((_, old)) = registered.take() {
            remove(cron, &old).await;
        }
        *registered = Some((wanted, id));
        drop(registered);
        self.refresh_next_run(name, entry).await;
        Ok(())
    }

    /// Takes the job off the cron scheduler (on cancel).
    async fn unregister(&self, name: &'static str, entry: &Arc<Entry>) {
        if let Some((_, id)) = entry.registered.lock().await.take() {
            if let Some(cron) = self.inner.cron.get() {
                remove(cron, &id).await;
            }
        }
        let entries = self.inner.entries.lock().expect("scheduler lock");
        if entries.get(name).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            drop(entries);
            self.update(name, |s| s.next_run = None);
        } else {
            drop(entries);
        }
    }

    /// The cron scheduler, started on first use.
    async fn cron(&self) -> Result<&JobScheduler, SchedulerError> {
        self.inner
            .cron
            .get_or_try_init(|| async {
                let cron = JobScheduler::new().await?;
                cron.start().await?;
                Ok(cron)
            })
            .await
            .map_err(|e: tokio_cron_scheduler::JobSchedulerError| {
                SchedulerError::Cron(e.to_string())
            })
    }

    /// Stores the cron scheduler's next tick for the job as its next run.
    async fn refresh_next_run(&self, name: &'static str, entry: &Entry) {
        let Some(id) = entry.registered.lock().await.as_ref().map(|(_, id)| *id) else {
            return;
        };
        let Some(cron) = self.inner.cron.get() else {
            return;
        };
        let next = cron.clone().next_tick_for_job(id).await.ok().flatten();
        self.update(name, |s| s.next_run = next);
    }

    fn entry(&self, name: &str) -> Result<(&'static str, Arc<Entry>), SchedulerError> {
        self.inner
            .entries
            .lock()
            .expect("scheduler lock")
            .get_key_value(name)
            .map(|(k, e)| (*k, Arc::clone(e)))
            .ok_or_else(|| SchedulerError::NoSuchJob(name.to_string()))
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut JobStatus)) {
        f(self
            .inner
            .status
            .lock()
            .expect("scheduler lock")
            .entry(name)
            .or_default());
        self.inner.changed.send_modify(|n| *n += 1);
    }

    /// A tick of the cron scheduler, or `run_now`: runs the job unless it is
    /// running already (then a `run_now` is queued, a tick is skipped), and
    /// again while runs were queued meanwhile.
    async fn fire(self, name: &'static str, entry: Arc<Entry>, queue: bool) {
        if entry.cancel.is_cancelled() {
            return;
        }
        if entry
            .running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            if queue {
                entry.queued.store(true, Ordering::Release);
            } else {
                tracing::debug!(job = name, "still running: tick skipped");
            }
            return;
        }
        loop {
            self.run(name, entry.job.as_ref(), &entry.cancel).await;
            entry.running.store(false, Ordering::Release);
            // The job's own setting may have moved its schedule.
            let schedule = entry.job.schedule();
            let moved = *entry.wanted.lock().expect("scheduler lock") != schedule
                && cron_job(&self, name, &schedule).is_ok();
            if moved {
                *entry.wanted.lock().expect("scheduler lock") = schedule;
                if let Err(e) = self.register(name, &entry).await {
                    tracing::error!(job = name, error = %e, "cannot reschedule the job");
                }
            } else {
                self.refresh_next_run(name, &entry).await;
            }
            let again = entry.queued.swap(false, Ordering::AcqRel)
                && !entry.cancel.is_cancelled()
                && entry
                    .running
                    .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
            if !again {
                return;
            }
        }
    }

    async fn run(&self, name: &'static str, job: &dyn Job, cancel: &CancellationToken) {
        self.update(name, |s| {
            s.running = true;
            s.last_started = Some(Utc::now());
        });
        let outcome = tokio::select! {
            outcome = job.run_once() => outcome,
            _ = cancel.cancelled() => Err("cancelled: shutting down".to_string()),
        };
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
            s.last_outcome = Some(outcome);
        });
    }

    /// Runs a job now (or, while it runs, once more right after); false when
    /// no such job.
    pub fn run_now(&self, name: &str) -> bool {
        match self.entry(name) {
            Ok((name, entry)) => {
                tokio::spawn(self.clone().fire(name, entry, true));
                true
            }
            Err(_) => false,
        }
    }

    /// Every job's status, by name.
    pub fn status(&self) -> BTreeMap<&'static str, JobStatus> {
        self.inner.status.lock().expect("scheduler lock").clone()
    }

    /// Waits (at most `timeout`) until a job's status satisfies `done`, and
    /// returns it; `None` on timeout.
    pub async fn wait_status(
        &self,
        name: &str,
        timeout: Duration,
        done: impl Fn(&JobStatus) -> bool,
    ) -> Option<JobStatus> {
        let mut rx = self.inner.changed.subscribe();
        tokio::time::timeout(timeout, async {
            loop {
                rx.borrow_and_update();
                if let Some(s) = self.status().get(name).filter(|s| done(s)) {
                    return Some(s.clone());
                }
                rx.changed().await.ok()?;
            }
        })
        .await
        .ok()
        .flatten()
    }

    pub fn job_names(&self) -> Vec<&'static str> {
        self.inner
            .entries
            .lock()
            .expect("scheduler lock")
            .keys()
            .copied()
            .collect()
    }
}

/// The cron scheduler's job for a schedule: each tick fires the entry.
fn cron_job(
    s: &Scheduler,
    name: &'static str,
    schedule: &Schedule,
) -> Result<CronJob, SchedulerError> {
    // Weak: the cron scheduler holding this closure is the scheduler's own.
    let inner = Arc::downgrade(&s.inner);
    let tick = move |_id, _cron| -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let inner = inner.clone();
        Box::pin(async move {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let this = Scheduler { inner };
            if let Ok((name, entry)) = this.entry(name) {
                this.fire(name, entry, false).await;
            }
        })
    };
    match schedule {
        Schedule::Every(d) => {
            // The cron scheduler counts whole seconds.
            let d = Duration::from_secs(d.as_secs().max(1));
            CronJob::new_repeated_async(d, tick).map_err(|e| SchedulerError::Cron(e.to_string()))
        }
        Schedule::Cron(expr) => CronJob::new_async(expr.as_str(), tick)
            .map_err(|_| SchedulerError::BadCron(expr.clone())),
    }
}

async fn remove(cron: &JobScheduler, id: &Uuid) {
    if let Err(e) = cron.remove(id).await {
        tracing::warn!(error = %e, "cannot remove a job from the cron scheduler");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    const WAIT: Duration = Duration::from_secs(10);

    /// Counts its runs; run `fail_on` fails.
    struct Counter {
        n: AtomicU64,
        fail_on: u64,
        schedule: Schedule,
    }

    fn counter(schedule: Schedule, fail_on: u64) -> Arc<Counter> {
        Arc::new(Counter {
            n: AtomicU64::new(0),
            fail_on,
            schedule,
        })
    }

    impl Job for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }
        fn schedule(&self) -> Schedule {
            self.schedule.clone()
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

    async fn runs(s: &Scheduler, n: u64) -> JobStatus {
        s.wait_status("counter", WAIT, |st| st.runs >= n && !st.running)
            .await
            .unwrap_or_else(|| panic!("{n} runs within {WAIT:?}: {:?}", s.status()))
    }

    async fn next_run(s: &Scheduler, f: impl Fn(DateTime<Utc>) -> bool) -> DateTime<Utc> {
        s.wait_status("counter", WAIT, |st| st.next_run.is_some_and(&f))
            .await
            .and_then(|st| st.next_run)
            .unwrap_or_else(|| panic!("next run: {:?}", s.status()))
    }

    #[tokio::test]
    async fn run_now_runs_the_job_at_once_and_failures_are_recorded_without_stopping_it() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            counter(Schedule::Every(Duration::from_secs(3600)), 1),
            cancel.clone(),
        );
        assert!(s.run_now("counter"));
        let st = runs(&s, 1).await;
        assert_eq!(st.failures, 1);
        assert_eq!(st.last_outcome, Some(Err("run 1 failed".into())));
        assert!(st.last_started.is_some());
        assert!(s.run_now("counter"));
        let st = runs(&s, 2).await;
        assert_eq!(st.last_outcome, Some(Ok("run 2".into())));
        assert_eq!(st.failures, 1);
        assert!(!s.run_now("nope"));
        assert_eq!(s.job_names(), vec!["counter"]);
        // The next run is an hour away.
        let next = next_run(&s, |_| true).await;
        assert!(next > Utc::now() + chrono::Duration::minutes(59));
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_job_on_a_short_interval_runs_again_and_again_even_when_a_run_fails() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            counter(Schedule::Every(Duration::from_secs(1)), 1),
            cancel.clone(),
        );
        let st = runs(&s, 2).await;
        assert_eq!(st.failures, 1, "the first run failed, the second did not");
        assert_eq!(st.last_outcome, Some(Ok("run 2".into())));
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_cron_schedule_sets_the_next_run_to_its_next_match() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            counter(Schedule::Cron("0 30 3 * * *".into()), 0),
            cancel.clone(),
        );
        let next = next_run(&s, |_| true).await;
        let now = Utc::now();
        let today = now
            .date_naive()
            .and_hms_opt(3, 30, 0)
            .expect("03:30")
            .and_utc();
        let expected = if today > now {
            today
        } else {
            today + chrono::Duration::days(1)
        };
        assert_eq!(next, expected);
        cancel.cancel();
    }

    #[tokio::test]
    async fn reschedule_replaces_the_schedule() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            counter(Schedule::Every(Duration::from_secs(3600)), 0),
            cancel.clone(),
        );
        next_run(&s, |_| true).await;
        assert_eq!(
            s.reschedule("counter", Schedule::Cron("not cron".into()))
                .await,
            Err(SchedulerError::BadCron("not cron".into()))
        );
        assert_eq!(
            s.reschedule("nope", Schedule::Every(Duration::from_secs(1)))
                .await,
            Err(SchedulerError::NoSuchJob("nope".into()))
        );
        s.reschedule("counter", Schedule::Cron("0 0 0 1 1 *".into()))
            .await
            .unwrap();
        let new_year = next_run(&s, |t| {
            t.format("%m-%d %H:%M:%S").to_string() == "01-01 00:00:00"
        })
        .await;
        assert!(new_year > Utc::now());
        s.reschedule("counter", Schedule::Every(Duration::from_secs(1)))
            .await
            .unwrap();
        let st = runs(&s, 1).await;
        assert_eq!(st.last_outcome, Some(Ok("run 1".into())));
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_cancelled_job_stops_being_scheduled() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        s.add(
            counter(Schedule::Every(Duration::from_secs(1)), 0),
            cancel.clone(),
        );
        next_run(&s, |_| true).await;
        cancel.cancel();
        let st = s
            .wait_status("counter", WAIT, |st| st.next_run.is_none())
            .await
            .expect("no next run once cancelled");
        assert!(!st.running);
    }
}
