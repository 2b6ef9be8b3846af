//! The reactor kit with a fake reactor over a real event store in a temp
//! dir: exactly-once queuing, at-least-once effects, leases, retries,
//! attempts, retention, the supervised loop.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use ispmon_events::{Durability, EventStore, StoredEvent};
use ispmon_scheduler::reactor::outbox::NO_OUTCOME;
use ispmon_scheduler::reactor::{Decision, Done, Failure, Policy, Reactor, Runner, Status};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// How the fake's `perform` behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Succeed,
    /// Carries the effect out, then the process "dies" (panics) before the
    /// runner can mark it done; only on the first call.
    CrashAfterFirst,
    AlwaysRetry,
    Refuse,
    Drop,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Effect {
    n: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    events: u64,
}

/// What the fake performed: (effect number, attempt).
type Performed = Arc<Mutex<Vec<(u64, u32)>>>;

/// Decides one effect per event (key "a"), a second one (key "b") for an
/// event typed `Two`, a skipped one for `Skip`; records every perform.
struct Fake {
    mode: Mode,
    policy: Policy,
    performed: Performed,
    calls: AtomicU32,
}

impl Fake {
    fn new(mode: Mode, policy: Policy) -> (Self, Performed) {
        let performed = Arc::new(Mutex::new(Vec::new()));
        let fake = Self {
            mode,
            policy,
            performed: Arc::clone(&performed),
            calls: AtomicU32::new(0),
        };
        (fake, performed)
    }
}

impl Reactor for Fake {
    type Effect = Effect;
    type State = Seen;
    type Context = ();

    fn name(&self) -> &'static str {
        "fake"
    }

    fn policy(&self) -> Policy {
        self.policy
    }

    fn decide(
        &self,
        state: &mut Seen,
        _ctx: &(),
        e: &StoredEvent,
    ) -> Result<Vec<Decision<Effect>>, String> {
        state.events += 1;
        let n = state.events;
        Ok(match e.event_type.as_str() {
            "Two" => vec![
                Decision::perform("a", Effect { n }),
                Decision::perform("b", Effect { n }),
            ],
            "Skip" => vec![Decision::skip("a", Effect { n }, "not today")],
            _ => vec![Decision::perform("a", Effect { n })],
        })
    }

    async fn perform(&self, effect: &Effect, attempt: u32) -> Result<Done, Failure> {
        self.performed.lock().unwrap().push((effect.n, attempt));
        let first = self.calls.fetch_add(1, Ordering::SeqCst) == 0;
        match self.mode {
            Mode::Succeed => Ok(Done { code: Some(200) }),
            Mode::CrashAfterFirst if first => panic!("the process died mid-effect"),
            Mode::CrashAfterFirst => Ok(Done::default()),
            Mode::AlwaysRetry => Err(Failure::retry("far side busy").with_code(Some(503))),
            Mode::Refuse => Err(Failure::permanent("refused").with_code(Some(400))),
            Mode::Drop => Err(Failure::drop("nowhere to send it")),
        }
    }
}

struct World {
    dir: tempfile::TempDir,
    store: EventStore,
    next: u64,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = EventStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
        Self {
            dir,
            store,
            next: 0,
        }
    }

    fn runner(&self, fake: Fake) -> Runner<Fake> {
        let path = self.dir.path().join("reactors.db");
        Runner::new(fake, self.store.clone(), path, false)
    }

    /// Appends events of the given types, one command each.
    async fn append(&mut self, types: &[&str]) {
        for t in types {
            self.next += 1;
            let e = SerializedEvent {
                aggregate_id: "probe".into(),
                sequence: self.next as usize,
                aggregate_type: "Probe".into(),
                event_type: (*t).into(),
                event_version: "1".into(),
                payload: serde_json::json!({ *t: {} }),
                metadata: serde_json::json!({}),
            };
            self.store.append(vec![e], None).await.unwrap();
        }
    }
}

fn quick() -> Policy {
    Policy {
        max_attempts: 3,
        first_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(60),
        lease: Duration::from_secs(120),
        claim: 2,
        batch: 7,
        ..Policy::default()
    }
}

/// A moment safely after every row queued so far (rows fall due when
/// queued, by the wall clock).
fn soon() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::minutes(1)
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[tokio::test]
async fn two_runners_racing_queue_and_perform_every_effect_exactly_once() {
    let mut w = World::new();
    let (fa, performed_a) = Fake::new(Mode::Succeed, quick());
    let (fb, performed_b) = Fake::new(Mode::Succeed, quick());
    let (a, b) = (w.runner(fa), w.runner(fb));
    assert_eq!(
        a.checkpoint().await.unwrap(),
        0,
        "a new reactor starts at the log's end"
    );
    let types: Vec<&str> = (0..60)
        .map(|i| if i % 10 == 0 { "Two" } else { "One" })
        .collect();
    w.append(&types).await;

    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    // Stragglers claimed by neither in their step (both stop when none is due).
    a.run_once().await.unwrap();

    assert_eq!(ra.queued + rb.queued, 66, "{ra:?} {rb:?}");
    let rows = a.rows(1000).await.unwrap();
    assert_eq!(rows.len(), 66);
    assert!(rows
        .iter()
        .all(|r| r.status == Status::Done && r.attempts == 1));
    let mut done: Vec<(u64, u32)> = performed_a.lock().unwrap().clone();
    done.extend(performed_b.lock().unwrap().iter().copied());
    assert_eq!(done.len(), 66, "each effect performed once, by one runner");
    let mut keys: Vec<(u64, String)> = rows.iter().map(|r| (r.effect.n, r.key.clone())).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 66, "(reactor, seq, key) is unique");
    assert_eq!(b.checkpoint().await.unwrap(), w.store.head());
}

#[tokio::test]
async fn an_effect_whose_runner_died_after_performing_it_is_performed_again_after_the_lease() {
    let mut w = World::new();
    let (fa, performed) = Fake::new(Mode::CrashAfterFirst, quick());
    let a = w.runner(fa);
    a.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    let t0 = soon();

    let crashed = tokio::spawn({
        let a = a.clone();
        async move { a.run_once_at(t0).await }
    })
    .await;
    assert!(crashed.is_err(), "the step died with the process");
    let row = &a.rows(10).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Claimed, 1));

    // Another runner (the restarted process) sees it leased: no double send.
    let (fb, _) = Fake::new(Mode::Succeed, quick());
    let b = w.runner(fb);
    let r = b.run_once_at(t0 + secs(60)).await.unwrap();
    assert_eq!(r.done, 0, "a held lease is left alone");
    assert_eq!(performed.lock().unwrap().len(), 1);

    // Once the lease ran out, it is taken over and performed again.
    let r = b.run_once_at(t0 + secs(121)).await.unwrap();
    assert_eq!(r.done, 1);
    let row = &b.rows(10).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Done, 2));
    let tries = b.attempts(false, 10).await.unwrap();
    assert_eq!(tries.len(), 2, "both attempts are on record");
    assert_eq!((tries[0].attempt, tries[0].ok), (2, Some(true)));
    assert_eq!(&tries[0].owner, b.owner());
    assert_eq!((tries[1].attempt, tries[1].ok), (1, Some(false)));
    assert_eq!(tries[1].error.as_deref(), Some(NO_OUTCOME));
    assert_eq!(&tries[1].owner, a.owner());
}

#[tokio::test]
async fn a_runner_whose_lease_was_taken_over_does_not_decide_the_effect() {
    let mut w = World::new();
    let (fa, _) = Fake::new(Mode::AlwaysRetry, quick());
    let (fb, _) = Fake::new(Mode::Succeed, quick());
    let (a, b) = (w.runner(fa), w.runner(fb));
    a.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    let t0 = soon();
    // `a` tries late, as if its request had hung past its lease: `b` took
    // the effect over meanwhile and finished it.
    b.run_once_at(t0).await.unwrap();
    let r = a.run_once_at(t0 + secs(200)).await.unwrap();
    assert_eq!(r.failed, 0, "nothing left for a");
    let row = &a.rows(10).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Done, 1));
}

#[tokio::test]
async fn a_failing_effect_is_retried_with_backoff_then_given_up_and_every_attempt_is_kept() {
    let mut w = World::new();
    let (f, performed) = Fake::new(Mode::AlwaysRetry, quick());
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    let t0 = soon();

    let failed = |rep: ispmon_scheduler::reactor::StepReport| rep.failed;
    assert_eq!(failed(r.run_once_at(t0).await.unwrap()), 1);
    assert_eq!(
        failed(r.run_once_at(t0).await.unwrap()),
        0,
        "not due again yet"
    );
    let row = &r.rows(1).await.unwrap()[0];
    assert_eq!(row.status, Status::Pending);
    assert!(row
        .next_attempt_at
        .starts_with(&(t0 + secs(1)).format("%Y-%m-%dT%H:%M:%S").to_string()));
    assert_eq!(failed(r.run_once_at(t0 + secs(1)).await.unwrap()), 1);
    assert_eq!(
        failed(r.run_once_at(t0 + secs(2)).await.unwrap()),
        0,
        "backoff doubled to 2 s"
    );
    assert_eq!(failed(r.run_once_at(t0 + secs(3)).await.unwrap()), 1);
    assert_eq!(
        failed(r.run_once_at(t0 + secs(3600)).await.unwrap()),
        0,
        "given up"
    );

    let row = &r.rows(1).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Failed, 3));
    assert_eq!(row.reason.as_deref(), Some("far side busy"));
    let attempts: Vec<u32> = performed.lock().unwrap().iter().map(|p| p.1).collect();
    assert_eq!(attempts, vec![1, 2, 3]);
    let kept = r.attempts(true, 10).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert!(kept
        .iter()
        .all(|a| a.code == Some(503) && a.ok == Some(false)));
    assert_eq!(kept[0].effect, Some(Effect { n: 1 }));
}

#[tokio::test]
async fn a_refused_effect_is_not_retried_and_a_dropped_one_counts_no_attempt() {
    let mut w = World::new();
    let (f, performed) = Fake::new(Mode::Refuse, quick());
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    r.run_once_at(soon()).await.unwrap();
    r.run_once_at(soon() + secs(3600)).await.unwrap();
    let row = &r.rows(1).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Failed, 1));
    assert_eq!(performed.lock().unwrap().len(), 1);

    let mut w = World::new();
    let (f, _) = Fake::new(Mode::Drop, quick());
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    r.run_once_at(soon()).await.unwrap();
    let row = &r.rows(1).await.unwrap()[0];
    assert_eq!((row.status, row.attempts), (Status::Dropped, 0));
    assert_eq!(row.reason.as_deref(), Some("nowhere to send it"));
    assert!(r.attempts(false, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_skipped_effect_is_kept_with_its_reason_and_never_performed() {
    let mut w = World::new();
    let (f, performed) = Fake::new(Mode::Succeed, quick());
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    w.append(&["Skip"]).await;
    let rep = r.run_once_at(soon()).await.unwrap();
    assert_eq!((rep.queued, rep.skipped, rep.done), (0, 1, 0));
    let row = &r.rows(1).await.unwrap()[0];
    assert_eq!(row.status, Status::Skipped);
    assert_eq!(row.reason.as_deref(), Some("not today"));
    assert!(performed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_checkpoint_and_the_folded_state_outlive_the_runner() {
    let mut w = World::new();
    let (f, _) = Fake::new(Mode::Succeed, quick());
    let first = w.runner(f);
    first.checkpoint().await.unwrap();
    w.append(&["One", "One", "One"]).await;
    let rep = first.run_once().await.unwrap();
    assert_eq!(
        (rep.queued, rep.done),
        (3, 3),
        "what a step queues it performs"
    );
    drop(first);

    // A new process: the same file, nothing in memory.
    w.append(&["One"]).await;
    let (f, performed) = Fake::new(Mode::Succeed, quick());
    let second = w.runner(f);
    let rep = second.run_once().await.unwrap();
    assert_eq!(rep.queued, 1, "the first three are not decided again");
    assert_eq!(
        performed.lock().unwrap().clone(),
        vec![(4, 1)],
        "the folded count went on from 3"
    );
}

#[tokio::test]
async fn old_finished_effects_and_attempts_are_pruned() {
    let mut w = World::new();
    let (f, _) = Fake::new(Mode::Succeed, quick());
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    w.append(&["One"]).await;
    r.run_once_at(soon()).await.unwrap();
    assert_eq!(r.rows(10).await.unwrap().len(), 1);

    let (f, _) = Fake::new(Mode::Succeed, quick());
    let later = w.runner(f);
    later
        .run_once_at(soon() + chrono::Duration::days(31))
        .await
        .unwrap();
    assert!(later.rows(10).await.unwrap().is_empty());
    assert!(later.attempts(false, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_loop_wakes_on_append_survives_a_panic_and_stops_on_cancel() {
    let mut w = World::new();
    let policy = Policy {
        lease: Duration::from_secs(1),
        ..quick()
    };
    let (f, performed) = Fake::new(Mode::CrashAfterFirst, policy);
    let r = w.runner(f);
    r.checkpoint().await.unwrap();
    let cancel = CancellationToken::new();
    let task = r.spawn(cancel.clone());
    w.append(&["One"]).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rows = r.rows(1).await.unwrap();
        if rows.first().is_some_and(|r| r.status == Status::Done) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        performed.lock().unwrap().clone(),
        vec![(1, 1), (1, 2)],
        "performed, panicked, restarted, taken over after the lease"
    );
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the loop stops on cancel")
        .expect("no panic left over");
}
