//! The jobs kit: [`Job`] (a named unit of scheduled work with one idempotent
//! `run` over a [`Scope`]), [`Schedule`] (every N seconds, or cron), and the
//! [`Scheduler`] that runs jobs on their schedules through
//! tokio-cron-scheduler and on command, supervised: every run is a task the
//! scheduler spawned and tracks, stopped by the job's cancellation token, and
//! recorded for the admin page. Pages and the API never spawn work of their
//! own: "check now" / "pull now" is [`Scheduler::run_now`] (in the
//! background) or [`Scheduler::run`] (and wait for the outcome).
//!
//! Runs of one job over one scope never overlap; runs over different scopes
//! may (a "pull this device" while the nightly pull is on its way). A tick
//! while the scheduled run is still going is skipped; a `run_now` of the
//! scheduled scope while it runs is queued once.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispmon_events::Metadata;
use tokio::sync::{oneshot, watch, OnceCell};
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
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

/// What one run covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The clock's tick: whatever the job's own schedule makes due.
    Due,
    /// Everything the job covers, now.
    All,
    /// The targets (devices, hosts) carrying this tag.
    Tag(String),
    /// One target, by id.
    One(String),
    /// A job-specific subset named by a word (the sweep's `down`).
    Subset(&'static str),
}

impl Scope {
    /// For logs, the jobs page and "already running" messages.
    pub fn describe(&self) -> String {
        match self {
            Scope::Due => "the scheduled run".into(),
            Scope::All => "everything".into(),
            Scope::Tag(t) => format!("tag “{t}”"),
            Scope::One(id) => format!("“{id}”"),
            Scope::Subset(w) => (*w).to_string(),
        }
    }
}

/// The targets of an `All`, `Tag` or `One` run among `items` (`key` gives
/// an item's id and tags; `what` names them in messages: "device",
/// "switch"). A tag or id that matches nothing is an error naming it;
/// `Due` and `Subset` are the job's own to decide and refused here.
pub fn pick<T>(
    items: Vec<T>,
    scope: &Scope,
    what: &str,
    key: impl Fn(&T) -> (&String, &Vec<String>),
) -> Result<Vec<T>, String> {
    match scope {
        Scope::All => Ok(items),
        Scope::Tag(tag) => {
            let found: Vec<T> = items
                .into_iter()
                .filter(|i| key(i).1.iter().any(|t| t.eq_ignore_ascii_case(tag)))
                .collect();
            if found.is_empty() {
                return Err(format!("no {what} has the tag “{tag}”"));
            }
            Ok(found)
        }
        Scope::One(id) => {
            let found: Vec<T> = items.into_iter().filter(|i| key(i).0 == id).collect();
            if found.is_empty() {
                return Err(format!("no live {what} with id {id}"));
            }
            Ok(found)
        }
        Scope::Due | Scope::Subset(_) => {
            Err(format!("{} is not a scope over {what}s", scope.describe()))
        }
    }
}

/// A unit of scheduled work. `run` returns a one-line summary, or the
/// reason it failed; the scheduler goes on either way.
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    /// When it runs; by default every [`Job::interval`]. Read again after
    /// every run, so a job whose setting changed is rescheduled.
    fn schedule(&self) -> Schedule {
        Schedule::Every(self.interval())
    }
    /// One run over `scope`, asked for by `by` (a user's metadata, carried
    /// into the commands the run issues, so the audit log names them), or
    /// by the clock (`None`). A job refuses a scope it does not understand
    /// with an `Err` naming it.
    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_>;
    /// The scheduled run (what a tick does).
    fn run_once(&self) -> JobFuture<'_> {
        self.run(Scope::Due, None)
    }
}

/// What the admin page shows about a job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStatus {
    pub runs: u64,
    pub failures: u64,
    /// Some run of the job is in progress.
    pub running: bool,
    pub last_started: Option<DateTime<Utc>>,
    /// The scope of the last finished run.
    pub last_scope: Option<Scope>,
    pub last_outcome: Option<Result<String, String>>,
    pub next_run: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchedulerError {
    #[error("no job named {0}")]
    NoSuchJob(String),
    #[error("{0} is already running; wait for it to finish")]
    AlreadyRunning(String),
    #[error("not a valid cron expression: {0}")]
    BadCron(String),
    #[error("the cron scheduler failed: {0}")]
    Cron(String),
    #[error("cancelled: shutting down")]
    Cancelled,
}

/// One registered job.
struct Entry {
    job: Arc<dyn Job>,
    cancel: CancellationToken,
    /// The scopes being run now: one run per scope at a time.
    running: Mutex<HashSet<Scope>>,
    /// `run_now(Due)` while the scheduled run runs: one more right after.
    queued: AtomicBool,
    /// The schedule asked for, and the one registered with the cron
    /// scheduler (with its id there); the async lock orders registrations.
    wanted: Mutex<Schedule>,
    registered: tokio::sync::Mutex<Option<(Schedule, Uuid)>>,
}

impl Entry {
    /// Claims `scope`; false when a run of it is in progress.
    fn claim(&self, scope: &Scope) -> bool {
        self.running
            .lock()
            .expect("scheduler lock")
            .insert(scope.clone())
    }

    fn release(&self, scope: &Scope) {
        self.running.lock().expect("scheduler lock").remove(scope);
    }

    fn busy(&self) -> bool {
        !self.running.lock().expect("scheduler lock").is_empty()
    }
}

struct Inner {
    cron: OnceCell<JobScheduler>,
    entries: Mutex<BTreeMap<&'static str, Arc<Entry>>>,
    status: Mutex<BTreeMap<&'static str, JobStatus>>,
    /// Every run the scheduler started, for [`Scheduler::stopped`].
    tasks: TaskTracker,
    /// Bumped on every status change, for [`Scheduler::wait_status`].
    changed: watch::Sender<u64>,
}

/// Runs jobs on their schedules, through tokio-cron-scheduler, and on
/// command, until cancelled.
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
                tasks: TaskTracker::new(),
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
    /// runs on command until rescheduled.
    pub fn add(&self, job: Arc<dyn Job>, cancel: CancellationToken) {
        let name = job.name();
        let entry = Arc::new(Entry {
            wanted: Mutex::new(job.schedule()),
            job,
            cancel: cancel.clone(),
            running: Mutex::new(HashSet::new()),
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
        self.inner.tasks.spawn(async move {
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

    /// A tick of the cron scheduler: the scheduled run, unless it is still
    /// going (then the tick is skipped); again while a `run_now(Due)` was
    /// queued meanwhile.
    async fn tick(self, name: &'static str, entry: Arc<Entry>) {
        if entry.cancel.is_cancelled() || !entry.claim(&Scope::Due) {
            tracing::debug!(job = name, "still running: tick skipped");
            return;
        }
        loop {
            // The outcome is in the status and the log.
            let _ = self.run_claimed(name, &entry, Scope::Due, None).await;
            self.follow_schedule(name, &entry).await;
            let again = entry.queued.swap(false, Ordering::AcqRel)
                && !entry.cancel.is_cancelled()
                && entry.claim(&Scope::Due);
            if !again {
                return;
            }
        }
    }

    /// Re-registers the job when its own setting moved its schedule.
    async fn follow_schedule(&self, name: &'static str, entry: &Arc<Entry>) {
        let schedule = entry.job.schedule();
        let moved = *entry.wanted.lock().expect("scheduler lock") != schedule
            && cron_job(self, name, &schedule).is_ok();
        if moved {
            *entry.wanted.lock().expect("scheduler lock") = schedule;
            if let Err(e) = self.register(name, entry).await {
                tracing::error!(job = name, error = %e, "cannot reschedule the job");
            }
        } else {
            self.refresh_next_run(name, entry).await;
        }
    }

    /// Runs the job over a scope already claimed, records the outcome and
    /// releases the scope.
    async fn run_claimed(
        &self,
        name: &'static str,
        entry: &Entry,
        scope: Scope,
        by: Option<Metadata>,
    ) -> Result<String, String> {
        self.update(name, |s| {
            s.running = true;
            s.last_started = Some(Utc::now());
        });
        let outcome = tokio::select! {
            outcome = entry.job.run(scope.clone(), by) => outcome,
            _ = entry.cancel.cancelled() => Err(SchedulerError::Cancelled.to_string()),
        };
        match &outcome {
            Ok(summary) => {
                tracing::info!(job = name, scope = %scope.describe(), summary, "job ran")
            }
            Err(reason) => {
                tracing::warn!(job = name, scope = %scope.describe(), reason, "job failed")
            }
        }
        entry.release(&scope);
        let busy = entry.busy();
        let recorded = outcome.clone();
        self.update(name, |s| {
            s.running = busy;
            s.runs += 1;
            if recorded.is_err() {
                s.failures += 1;
            }
            s.last_scope = Some(scope);
            s.last_outcome = Some(recorded);
        });
        outcome
    }

    /// Claims `scope` of a job for a run on command.
    fn claim(
        &self,
        name: &str,
        scope: &Scope,
    ) -> Result<(&'static str, Arc<Entry>), SchedulerError> {
        let (name, entry) = self.entry(name)?;
        if entry.cancel.is_cancelled() {
            return Err(SchedulerError::Cancelled);
        }
        if !entry.claim(scope) {
            return Err(SchedulerError::AlreadyRunning(format!(
                "{name} of {}",
                scope.describe()
            )));
        }
        Ok((name, entry))
    }

    /// Starts a run of a job over `scope` in the background. While a run of
    /// the same scope is going: the scheduled scope is queued once more,
    /// any other is refused with [`SchedulerError::AlreadyRunning`].
    pub fn run_now(
        &self,
        name: &str,
        scope: Scope,
        by: Option<Metadata>,
    ) -> Result<(), SchedulerError> {
        match self.claim(name, &scope) {
            Ok((name, entry)) => {
                let this = self.clone();
                self.inner.tasks.spawn(async move {
                    let _ = this.run_claimed(name, &entry, scope.clone(), by).await;
                    if scope == Scope::Due {
                        this.follow_schedule(name, &entry).await;
                        if entry.queued.swap(false, Ordering::AcqRel) {
                            this.tick(name, entry).await;
                        }
                    }
                });
                Ok(())
            }
            Err(SchedulerError::AlreadyRunning(_)) if scope == Scope::Due => {
                let (_, entry) = self.entry(name)?;
                entry.queued.store(true, Ordering::Release);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Runs a job over `scope` and waits for its outcome. The run is the
    /// scheduler's task, not the caller's: it finishes (and is recorded)
    /// even when the caller goes away. Refused while the same scope runs.
    pub async fn run(
        &self,
        name: &str,
        scope: Scope,
        by: Option<Metadata>,
    ) -> Result<Result<String, String>, SchedulerError> {
        let (name, entry) = self.claim(name, &scope)?;
        let (tx, rx) = oneshot::channel();
        let this = self.clone();
        self.inner.tasks.spawn(async move {
            let outcome = this.run_claimed(name, &entry, scope, by).await;
            let _ = tx.send(outcome);
        });
        rx.await.map_err(|_| SchedulerError::Cancelled)
    }

    /// Waits until every run the scheduler started has ended (after the
    /// cancellation tokens fired, that is soon).
    pub async fn stopped(&self) {
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// A number that grows each time any job's status changes (a run
    /// started or ended): what a cached view of the statuses compares.
    pub fn generation(&self) -> u64 {
        *self.inner.changed.borrow()
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
                this.tick(name, entry).await;
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
        fn run(&self, scope: Scope, _by: Option<Metadata>) -> JobFuture<'_> {
            Box::pin(async move {
                let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
                if n == self.fail_on {
                    Err(format!("run {n} failed"))
                } else if scope == Scope::Due {
                    Ok(format!("run {n}"))
                } else {
                    Ok(format!("run {n} of {}", scope.describe()))
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
        s.run_now("counter", Scope::Due, None).unwrap();
        let st = runs(&s, 1).await;
        assert_eq!(st.failures, 1);
        assert_eq!(st.last_outcome, Some(Err("run 1 failed".into())));
        assert!(st.last_started.is_some());
        s.run_now("counter", Scope::Due, None).unwrap();
        let st = runs(&s, 2).await;
        assert_eq!(st.last_outcome, Some(Ok("run 2".into())));
        assert_eq!(st.failures, 1);
        assert_eq!(
            s.run_now("nope", Scope::Due, None),
            Err(SchedulerError::NoSuchJob("nope".into()))
        );
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

    /// Waits at its gate until opened; counts runs per scope.
    struct Gated {
        gate: tokio::sync::Semaphore,
        started: tokio::sync::Notify,
        seen: Mutex<Vec<Scope>>,
    }

    impl Job for Gated {
        fn name(&self) -> &'static str {
            "gated"
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }
        fn run(&self, scope: Scope, _by: Option<Metadata>) -> JobFuture<'_> {
            Box::pin(async move {
                self.seen.lock().unwrap().push(scope.clone());
                self.started.notify_one();
                let _open = self.gate.acquire().await.map_err(|e| e.to_string())?;
                match scope {
                    Scope::Tag(t) if t == "bad" => Err("no such tag".into()),
                    other => Ok(format!("done {}", other.describe())),
                }
            })
        }
    }

    fn gated() -> Arc<Gated> {
        Arc::new(Gated {
            gate: tokio::sync::Semaphore::new(0),
            started: tokio::sync::Notify::new(),
            seen: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn a_scope_that_is_running_is_refused_while_other_scopes_run_beside_it() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        let job = gated();
        s.add(job.clone(), cancel.clone());
        s.run_now("gated", Scope::One("d1".into()), None).unwrap();
        job.started.notified().await;
        assert_eq!(
            s.run_now("gated", Scope::One("d1".into()), None),
            Err(SchedulerError::AlreadyRunning("gated of “d1”".into()))
        );
        let st = s.status()["gated"].clone();
        assert!(st.running, "the status says a run is in progress");
        s.run_now("gated", Scope::Tag("core".into()), None).unwrap();
        job.started.notified().await;
        assert_eq!(
            *job.seen.lock().unwrap(),
            vec![Scope::One("d1".into()), Scope::Tag("core".into())]
        );
        job.gate.add_permits(2);
        let st = s
            .wait_status("gated", WAIT, |st| st.runs == 2 && !st.running)
            .await
            .expect("both runs end");
        assert_eq!(st.failures, 0);
        // Once ended, the same scope may run again.
        job.gate.add_permits(1);
        assert_eq!(
            s.run("gated", Scope::One("d1".into()), None).await,
            Ok(Ok("done “d1”".into()))
        );
        cancel.cancel();
    }

    #[tokio::test]
    async fn run_waits_for_the_outcome_and_a_caller_that_goes_away_does_not_stop_the_run() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        let job = gated();
        s.add(job.clone(), cancel.clone());
        let waiting = {
            let s = s.clone();
            tokio::spawn(async move { s.run("gated", Scope::Tag("bad".into()), None).await })
        };
        job.started.notified().await;
        waiting.abort();
        job.gate.add_permits(1);
        let st = s
            .wait_status("gated", WAIT, |st| st.runs == 1)
            .await
            .expect("the run ends although its caller left");
        assert_eq!(st.last_outcome, Some(Err("no such tag".into())));
        assert_eq!(st.last_scope, Some(Scope::Tag("bad".into())));
        assert_eq!(st.failures, 1);
        cancel.cancel();
    }

    #[tokio::test]
    async fn cancelling_stops_a_run_in_progress_and_the_scheduler_reports_it_stopped() {
        let s = Scheduler::new();
        let cancel = CancellationToken::new();
        let job = gated();
        s.add(job.clone(), cancel.clone());
        s.run_now("gated", Scope::All, None).unwrap();
        job.started.notified().await;
        cancel.cancel();
        tokio::time::timeout(WAIT, s.stopped())
            .await
            .expect("every task ends once cancelled");
        let st = s.status()["gated"].clone();
        assert_eq!(
            st.last_outcome,
            Some(Err("cancelled: shutting down".into()))
        );
        assert!(!st.running);
        assert_eq!(
            s.run_now("gated", Scope::All, None),
            Err(SchedulerError::Cancelled)
        );
    }
}
