//! Reactors: work that follows the event log and does something outside it
//! (send a notification, drive a saga step, start an SLA timer).
//!
//! A [`Reactor`] says what an event calls for ([`Reactor::decide`], pure)
//! and how one such effect is carried out ([`Reactor::perform`]). The
//! [`Runner`] does the rest, the same way for every reactor, with all of its
//! state in one SQLite file (`DATA/reactors.db`, see [`outbox`]) so a second
//! node sees what the first one did (DESIGN §7):
//!
//! - **Tailing from a checkpoint.** Each reactor has a checkpoint (the last
//!   global sequence it decided) and a small folded state (JSON, e.g. the
//!   notifier's settings as of that point in the log), keyed by its name.
//! - **Exactly-once queuing.** The effects a batch of events calls for are
//!   written in the same transaction that moves the checkpoint, and the
//!   checkpoint moves by compare-and-set: of two runners deciding the same
//!   batch, one commits and the other's work is dropped. `(reactor, seq,
//!   key)` is unique besides.
//! - **Leases.** A runner claims due effects with its owner id and a lease
//!   expiry; nobody else touches them until the lease runs out. A runner
//!   that died mid-effect leaves its lease to expire and another takes the
//!   effect over. A runner whose lease was taken over records its attempt's
//!   outcome but no longer decides the effect's status.
//! - **At-least-once effects.** An effect is marked done after `perform`
//!   returned; a crash in between performs it again after the lease expires,
//!   so effects carry something that lets their receiver drop repeats (the
//!   notifier's webhook body carries the event's `seq`).
//! - **Retries with backoff**, up to [`Policy::max_attempts`]; a permanent
//!   failure is not retried; an effect with nothing left to do is dropped.
//! - **Every attempt recorded**, opened when it is claimed and closed with
//!   its outcome; an attempt whose runner died is closed as having no
//!   outcome when its lease is taken over.
//! - **Retention**: finished effects and attempts are pruned after
//!   [`Policy::retention`].
//! - [`Runner::run_once`] / [`Runner::run_once_at`] do one step for tests;
//!   [`Runner::spawn`] runs a named, supervised loop woken on append and
//!   stopped by the cancellation token.
//!
//! - [`outbox`]: the SQL of `reactors.db`.
//! - [`runner`]: the [`Runner`].

pub mod outbox;
pub mod runner;

use std::future::Future;
use std::time::Duration;

use ispmon_events::{EventStore, StoredEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use outbox::{Attempt, Row, Status};
pub use runner::{Runner, StepReport};

/// A reaction to the event log. See the module docs for what the runner
/// guarantees around it.
pub trait Reactor: Send + Sync + 'static {
    /// One thing to do, as stored in the outbox (JSON).
    type Effect: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What the reactor folds from the log besides effects, stored with its
    /// checkpoint (JSON) and moved with it. Keep it small.
    type State: Serialize + DeserializeOwned + Default + Send + Sync + 'static;
    /// Facts gathered for one batch before it is decided (read from the log
    /// as of each event, so the decision stays a function of the log).
    type Context: Default + Send + Sync + 'static;

    /// Keys the checkpoint, the outbox rows and the attempts. Never renamed.
    fn name(&self) -> &'static str;

    fn policy(&self) -> Policy {
        Policy::default()
    }

    /// Where a reactor without a checkpoint starts, and its state there.
    /// By default: at `head` (what happened before it existed is not acted
    /// on) with the default state.
    fn start(
        &self,
        _store: &EventStore,
        head: u64,
    ) -> impl Future<Output = Result<(u64, Self::State), String>> + Send {
        async move { Ok((head, Self::State::default())) }
    }

    /// Reads what [`Reactor::decide`] needs for `batch` beyond the events
    /// and the state; by default nothing.
    fn context(
        &self,
        _store: &EventStore,
        _batch: &[StoredEvent],
    ) -> impl Future<Output = Result<Self::Context, String>> + Send {
        async { Ok(Self::Context::default()) }
    }

    /// What `event` calls for; may fold it into `state`. Pure: the same log
    /// gives the same decisions on any node. An error stops the reactor at
    /// this event (the step fails and is tried again).
    fn decide(
        &self,
        state: &mut Self::State,
        ctx: &Self::Context,
        event: &StoredEvent,
    ) -> Result<Vec<Decision<Self::Effect>>, String>;

    /// Carries out one effect; `attempt` counts from 1.
    fn perform(
        &self,
        effect: &Self::Effect,
        attempt: u32,
    ) -> impl Future<Output = Result<Done, Failure>> + Send;
}

/// One effect an event calls for.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<E> {
    /// Unique among the effects of one event (e.g. the channel).
    pub key: String,
    pub effect: E,
    /// Recorded as skipped for this reason instead of performed.
    pub skip: Option<String>,
    /// Not attempted before this time (an SLA warning due later); `None`:
    /// due when queued.
    pub not_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl<E> Decision<E> {
    pub fn perform(key: impl Into<String>, effect: E) -> Self {
        Self {
            key: key.into(),
            effect,
            skip: None,
            not_before: None,
        }
    }

    /// Performed once `at` has come (at once when it is already past).
    pub fn perform_at(
        key: impl Into<String>,
        effect: E,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            not_before: Some(at),
            ..Self::perform(key, effect)
        }
    }

    /// Kept in the outbox as skipped (shown, never performed).
    pub fn skip(key: impl Into<String>, effect: E, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            effect,
            skip: Some(reason.into()),
            not_before: None,
        }
    }
}

/// An effect carried out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// A code the far side answered (an HTTP status), for the record.
    pub code: Option<u16>,
}

/// Why an effect was not carried out, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
    pub code: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Worth trying again later (a timeout, a 5xx).
    Retry,
    /// Tried and refused; trying again will not help.
    Permanent,
    /// Nothing was tried: the effect has nothing left to do (its
    /// destination was removed). Not counted as an attempt.
    Drop,
}

impl Failure {
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::new(FailureKind::Retry, reason)
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::new(FailureKind::Permanent, reason)
    }

    pub fn drop(reason: impl Into<String>) -> Self {
        Self::new(FailureKind::Drop, reason)
    }

    pub fn with_code(mut self, code: Option<u16>) -> Self {
        self.code = code;
        self
    }

    fn new(kind: FailureKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            code: None,
        }
    }
}

/// How a runner treats one reactor's effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts per effect before it is given up (failed).
    pub max_attempts: u32,
    /// The first retry waits this long, each next one twice as long …
    pub first_backoff: Duration,
    /// … up to this.
    pub max_backoff: Duration,
    /// A claimed effect is its claimer's for this long; it must cover
    /// [`Policy::claim`] effects performed one after another.
    pub lease: Duration,
    /// Effects claimed at once.
    pub claim: usize,
    /// The claimed effects are performed at the same time instead of one
    /// after another (they touch different things: sagas on different
    /// OLT ports); the lease then needs to cover only one.
    pub concurrent: bool,
    /// Events read per deciding transaction.
    pub batch: usize,
    /// Finished effects and attempts are kept this long.
    pub retention: Duration,
    /// The loop looks at the outbox at least this often when idle.
    pub idle: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            lease: Duration::from_secs(120),
            claim: 5,
            concurrent: false,
            batch: 500,
            retention: Duration::from_secs(30 * 24 * 3600),
            idle: Duration::from_secs(30),
        }
    }
}

impl Policy {
    /// How long to wait after failed attempt number `attempt` (1-based):
    /// `first_backoff` doubled each time, capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(20);
        self.first_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReactorError {
    #[error("reactors.db: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("event store: {0}")]
    Store(#[from] ispmon_events::StoreError),
    #[error("reactor {reactor}: state or effect cannot be stored: {err}")]
    Json {
        reactor: &'static str,
        err: serde_json::Error,
    },
    #[error("reactor {reactor} at event {seq}: {reason}")]
    Decide {
        reactor: &'static str,
        seq: u64,
        reason: String,
    },
    #[error("reactor {reactor}: {reason}")]
    Reactor {
        reactor: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Task(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_ten_minutes() {
        let p = Policy::default();
        let waits: Vec<u64> = (1..=12).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    }
}
