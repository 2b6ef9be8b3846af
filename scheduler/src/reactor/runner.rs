//! The [`Runner`]: one reactor driven over the event log and its outbox.
//! Each step decides the new events (batch by batch, each with its
//! checkpoint in one transaction), then attempts every due effect, then
//! prunes old records at most hourly.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use ispmon_events::EventStore;
use rusqlite::Connection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::outbox::{self, Claimed, Finish, NewEffect, Status};
use super::{Attempt, Done, Failure, FailureKind, Reactor, ReactorError, Row};

/// What one [`Runner::run_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Effects queued from new events.
    pub queued: usize,
    /// Effects decided to be skipped.
    pub skipped: usize,
    /// Effects carried out.
    pub done: usize,
    /// Attempts that failed (to be retried, or given up).
    pub failed: usize,
}

/// A reactor with its outbox; cheap to clone. Any number of runners of the
/// same reactor may work at once, in this process or another sharing the
/// file: each has its own owner id for leases.
pub struct Runner<R: Reactor> {
    inner: Arc<Inner<R>>,
}

impl<R: Reactor> Clone for Runner<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<R> {
    reactor: R,
    store: EventStore,
    path: PathBuf,
    full_sync: bool,
    owner: String,
    /// Opened on first use; only touched on blocking threads.
    conn: Mutex<Option<Connection>>,
    /// One step at a time per runner.
    step: tokio::sync::Mutex<()>,
    last_prune: Mutex<Option<DateTime<Utc>>>,
}

impl<R: Reactor> Runner<R> {
    /// A runner of `reactor` over `store`, with its state in the SQLite file
    /// at `path` (opened on first use).
    pub fn new(reactor: R, store: EventStore, path: PathBuf, full_sync: bool) -> Self {
        let owner = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Self {
            inner: Arc::new(Inner {
                reactor,
                store,
                path,
                full_sync,
                owner,
                conn: Mutex::new(None),
                step: tokio::sync::Mutex::new(()),
                last_prune: Mutex::new(None),
            }),
        }
    }

    pub fn reactor(&self) -> &R {
        &self.inner.reactor
    }

    fn name(&self) -> &'static str {
        self.inner.reactor.name()
    }

    /// The id this runner leases effects under.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Runs `f` on the outbox on a blocking thread.
    async fn db<T, F>(&self, f: F) -> Result<T, ReactorError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut g = inner.conn.lock().expect("outbox lock");
            if g.is_none() {
                *g = Some(outbox::open(&inner.path, inner.full_sync)?);
            }
            f(g.as_mut().expect("opened above"))
        })
        .await
        .map_err(|e| ReactorError::Task(e.to_string()))?
        .map_err(ReactorError::from)
    }

    /// The checkpoint and state; on the very first call, where the reactor
    /// says it starts (positioned at the log's current end by default).
    pub async fn checkpoint(&self) -> Result<u64, ReactorError> {
        Ok(self.position().await?.0)
    }

    async fn position(&self) -> Result<(u64, String), ReactorError> {
        let name = self.name();
        if let Some(p) = self.db(move |c| outbox::checkpoint(c, name)).await? {
            return Ok(p);
        }
        let head = self.inner.store.head();
        let (seq, state) = self
            .inner
            .reactor
            .start(&self.inner.store, head)
            .await
            .map_err(|reason| ReactorError::Reactor {
                reactor: name,
                reason,
            })?;
        let state = self.json(&state)?;
        self.db(move |c| {
            outbox::start(c, name, seq, &state)?;
            outbox::checkpoint(c, name).map(|p| p.expect("just started"))
        })
        .await
    }

    fn json<T: serde::Serialize>(&self, v: &T) -> Result<String, ReactorError> {
        serde_json::to_string(v).map_err(|err| ReactorError::Json {
            reactor: self.name(),
            err,
        })
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, s: &str) -> Result<T, ReactorError> {
        serde_json::from_str(s).map_err(|err| ReactorError::Json {
            reactor: self.name(),
            err,
        })
    }

    /// Takes over at once the effects other runners of this file had
    /// claimed, instead of waiting for their leases to run out; how many.
    /// Call it only when no other runner can be alive: ispmon calls it at
    /// start, holding its data dir's lock, with the outbox in that dir, so
    /// a claim found then was made by a process that was killed.
    pub async fn take_over_orphans(&self) -> Result<usize, ReactorError> {
        let (name, owner) = (self.name(), self.inner.owner.clone());
        let now = rfc3339(Utc::now());
        let n = self
            .db(move |c| outbox::expire_others(c, name, &owner, &now))
            .await?;
        if n > 0 {
            tracing::warn!(
                reactor = name,
                effects = n,
                "taking over effects a killed process had claimed"
            );
        }
        Ok(n)
    }

    /// Decides new events, then attempts every due effect (those just
    /// queued included: the clock is read after deciding).
    pub async fn run_once(&self) -> Result<StepReport, ReactorError> {
        self.step(None).await
    }

    /// [`Runner::run_once`] as if it were `now` when attempting (tests use
    /// a later `now` to reach retries and lease expiries without waiting).
    /// Effects fall due when queued, by the wall clock.
    pub async fn run_once_at(&self, now: DateTime<Utc>) -> Result<StepReport, ReactorError> {
        self.step(Some(now)).await
    }

    async fn step(&self, at: Option<DateTime<Utc>>) -> Result<StepReport, ReactorError> {
        let _one = self.inner.step.lock().await;
        let mut report = StepReport::default();
        self.decide_new(&mut report).await?;
        let now = at.unwrap_or_else(Utc::now);
        self.perform_due(now, &mut report).await?;
        self.prune(now).await?;
        Ok(report)
    }

    /// Reads the log past the checkpoint and queues what it calls for,
    /// batch by batch, each batch with its checkpoint and state in one
    /// transaction.
    async fn decide_new(&self, report: &mut StepReport) -> Result<(), ReactorError> {
        let r = &self.inner.reactor;
        let name = r.name();
        loop {
            let (from, state) = self.position().await?;
            let batch = self.inner.store.since(from, r.policy().batch).await?;
            let Some(last) = batch.last().map(|e| e.seq) else {
                return Ok(());
            };
            let ctx = r
                .context(&self.inner.store, &batch)
                .await
                .map_err(|reason| ReactorError::Reactor {
                    reactor: name,
                    reason,
                })?;
            let mut state: R::State = self.parse(&state)?;
            let mut effects = Vec::new();
            for e in &batch {
                let decided =
                    r.decide(&mut state, &ctx, e)
                        .map_err(|reason| ReactorError::Decide {
                            reactor: name,
                            seq: e.seq,
                            reason,
                        })?;
                for d in decided {
                    effects.push(NewEffect {
                        seq: e.seq,
                        key: d.key,
                        effect: self.json(&d.effect)?,
                        skip: d.skip,
                        not_before: d.not_before.map(rfc3339),
                    });
                }
            }
            let skipped = effects.iter().filter(|e| e.skip.is_some()).count();
            let queued = effects.len() - skipped;
            let state = self.json(&state)?;
            let won = self
                .db(move |c| outbox::queue(c, name, from, last, &state, &effects))
                .await?;
            if won {
                report.queued += queued;
                report.skipped += skipped;
            }
            // Else another runner decided this batch; read on from its checkpoint.
        }
    }

    /// Attempts every effect due at `now`, one after another (or a claim's
    /// worth at once, when the policy says they are independent).
    async fn perform_due(
        &self,
        now: DateTime<Utc>,
        report: &mut StepReport,
    ) -> Result<(), ReactorError> {
        let policy = self.inner.reactor.policy();
        let name = self.name();
        let at = rfc3339(now);
        let until = rfc3339(now + chrono::Duration::from_std(policy.lease).expect("small"));
        loop {
            let (a, u, owner) = (at.clone(), until.clone(), self.inner.owner.clone());
            let claimed = self
                .db(move |c| outbox::claim(c, name, &owner, &a, &u, policy.claim))
                .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let attempt = |cl: &outbox::Claimed| {
                let parsed = self.parse::<R::Effect>(&cl.effect);
                let attempt = cl.attempt;
                async move {
                    match parsed {
                        Ok(effect) => self.inner.reactor.perform(&effect, attempt).await,
                        Err(e) => Err(Failure::permanent(format!(
                            "the effect cannot be read: {e}"
                        ))),
                    }
                }
            };
            let mut outcomes = Vec::with_capacity(claimed.len());
            if policy.concurrent {
                outcomes = futures::future::join_all(claimed.iter().map(attempt)).await;
            } else {
                for cl in &claimed {
                    outcomes.push(attempt(cl).await);
                }
            }
            for (cl, outcome) in claimed.into_iter().zip(outcomes) {
                let finish = settle(&cl, outcome, now, &policy);
                if finish.status == Status::Done {
                    report.done += 1;
                } else if finish.tried {
                    report.failed += 1;
                    tracing::warn!(
                        reactor = name,
                        seq = cl.seq,
                        key = %cl.key,
                        attempt = cl.attempt,
                        error = finish.error.as_deref().unwrap_or(""),
                        "effect not carried out"
                    );
                }
                let (at, owner) = (at.clone(), self.inner.owner.clone());
                self.db(move |c| outbox::finish(c, &cl, &owner, &at, &finish))
                    .await?;
            }
        }
    }

    /// Drops old finished effects and attempts, at most hourly.
    async fn prune(&self, now: DateTime<Utc>) -> Result<(), ReactorError> {
        {
            let mut last = self.inner.last_prune.lock().expect("prune lock");
            if last.is_some_and(|t| now - t < chrono::Duration::hours(1)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let keep = chrono::Duration::from_std(self.inner.reactor.policy().retention)
            .unwrap_or(chrono::Duration::days(30));
        let before = rfc3339(now - keep);
        let name = self.name();
        self.db(move |c| outbox::prune(c, name, &before)).await?;
        Ok(())
    }

    /// The latest effects, newest first.
    pub async fn rows(&self, limit: usize) -> Result<Vec<Row<R::Effect>>, ReactorError> {
        let name = self.name();
        let raw = self.db(move |c| outbox::rows(c, name, limit)).await?;
        raw.into_iter()
            .map(|r| {
                Ok(Row {
                    effect: self.parse(&r.effect)?,
                    id: r.id,
                    seq: r.seq,
                    key: r.key,
                    status: r.status,
                    attempts: r.attempts,
                    next_attempt_at: r.next_attempt_at,
                    reason: r.reason,
                    created_at: r.created_at,
                    done_at: r.done_at,
                })
            })
            .collect()
    }

    /// The latest attempts, newest first; only failed ones when asked.
    pub async fn attempts(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<Attempt<R::Effect>>, ReactorError> {
        let name = self.name();
        let raw = self
            .db(move |c| outbox::attempts(c, name, failed_only, limit))
            .await?;
        Ok(raw
            .into_iter()
            .map(|a| Attempt {
                effect: a.effect.and_then(|e| serde_json::from_str(&e).ok()),
                at: a.at,
                seq: a.seq,
                key: a.key,
                attempt: a.attempt,
                owner: a.owner,
                ok: a.ok,
                code: a.code,
                error: a.error,
            })
            .collect())
    }

    /// How long the loop may sleep: until the next due retry or lease
    /// expiry, at most the policy's idle time.
    async fn idle_for(&self) -> Duration {
        let idle = self.inner.reactor.policy().idle;
        let name = self.name();
        let next = self
            .db(move |c| outbox::next_due(c, name))
            .await
            .ok()
            .flatten();
        let Some(next) = next.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()) else {
            return idle;
        };
        (next.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(idle)
    }

    /// Starts the reactor's loop as one task named `reactor` (with the
    /// reactor's name in its span); a panicking step is logged and the loop
    /// starts again a second later. The task ends when `cancel` fires.
    pub fn spawn(&self, cancel: CancellationToken) -> JoinHandle<()> {
        let this = self.clone();
        let span = tracing::info_span!("reactor", name = self.name());
        tokio::spawn(this.supervise(cancel).instrument(span))
    }

    async fn supervise(self, cancel: CancellationToken) {
        loop {
            let run = AssertUnwindSafe(self.clone().run(cancel.clone())).catch_unwind();
            if run.await.is_ok() {
                return;
            }
            tracing::error!("reactor loop panicked; starting it again");
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Steps whenever the log grows or an effect falls due, until cancelled.
    async fn run(self, cancel: CancellationToken) {
        let mut head = self.inner.store.subscribe();
        let mut head_open = true;
        tracing::info!("reactor started");
        while !cancel.is_cancelled() {
            let wait = match self.run_once().await {
                Ok(r) => {
                    if r != StepReport::default() {
                        tracing::debug!(?r, "reactor step");
                    }
                    self.idle_for().await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reactor step failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = head.changed(), if head_open => {
                    if changed.is_err() {
                        head_open = false;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("reactor stopped");
    }
}

/// The effect's next state after an attempt's outcome.
fn settle(
    cl: &Claimed,
    outcome: Result<Done, Failure>,
    now: DateTime<Utc>,
    policy: &super::Policy,
) -> Finish {
    let (status, code, error, next, tried) = match outcome {
        Ok(done) => (Status::Done, done.code, None, None, true),
        Err(f) => match f.kind {
            FailureKind::Drop => (Status::Dropped, f.code, Some(f.reason), None, false),
            FailureKind::Retry if cl.attempt < policy.max_attempts => {
                let wait = chrono::Duration::from_std(policy.backoff(cl.attempt)).expect("small");
                let next = Some(rfc3339(now + wait));
                (Status::Pending, f.code, Some(f.reason), next, true)
            }
            FailureKind::Retry | FailureKind::Permanent => {
                (Status::Failed, f.code, Some(f.reason), None, true)
            }
        },
    };
    Finish {
        status,
        code,
        error,
        next_attempt_at: next,
        tried,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
