//! The ICMP sweep: probe the hosts of a scope, count consecutive failures,
//! and issue `RecordRound` only for hosts whose state the round changes
//! (the aggregate's own decision, run here first so that a quiet round of
//! 10,000 hosts issues no commands at all).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ispmon_events::host::{Host, HostCommand, HostState, RoundSample};
use ispmon_events::icmp_settings::IcmpSettingsValues;

use futures::StreamExt;

use crate::icmp::{ProbeOptions, Prober};

/// State-change commands in flight at once after a round. The writer commits
/// what is queued in one transaction, so this is about how many share an
/// fsync: at 64, the 10,000 changes of a first sweep took ~160 commits.
const RECORD_CONCURRENCY: usize = 1024;
use crate::JobFuture;

/// Which hosts a sweep probes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    /// Hosts down or unreachable.
    Down,
    Host(String),
}

impl Scope {
    pub fn describe(&self) -> String {
        match self {
            Scope::All => "all hosts".into(),
            Scope::Down => "down hosts".into(),
            Scope::Host(id) => format!("host {id}"),
        }
    }
}

/// A host as the read model knows it.
#[derive(Debug, Clone)]
pub struct Target {
    pub host_id: String,
    pub ip: IpAddr,
    pub state: HostState,
    pub paused: bool,
    pub parent_id: Option<String>,
}

pub type WorldFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// What a sweep needs from the application: the hosts and settings (from
/// the read models) and a way to issue Host commands.
pub trait SweepWorld: Send + Sync {
    /// Every host (paused ones included) and the settings in force.
    fn hosts(&self) -> WorldFuture<'_, (Vec<Target>, IcmpSettingsValues)>;
    fn record(&self, host_id: String, command: HostCommand) -> WorldFuture<'_, ()>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    #[error("a check of {0} is already running; wait for it to finish")]
    AlreadyRunning(String),
    #[error("{0}")]
    Failed(String),
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepReport {
    pub probed: usize,
    pub answered: usize,
    pub commands: usize,
    pub elapsed: Duration,
}

/// Runs sweeps; remembers consecutive failures between rounds.
pub struct Sweeper {
    world: Arc<dyn SweepWorld>,
    prober: Arc<dyn Prober>,
    telemetry: Option<crate::telemetry::Telemetry>,
    failures: Mutex<HashMap<String, u32>>,
    running: Mutex<HashSet<Scope>>,
    interval_s: std::sync::atomic::AtomicU32,
}

/// Removes a scope from the running set when the sweep ends, however it ends.
struct RunningGuard<'a>(&'a Mutex<HashSet<Scope>>, Scope);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.lock().expect("sweep lock").remove(&self.1);
    }
}

pub fn probe_options(s: &IcmpSettingsValues) -> ProbeOptions {
    ProbeOptions {
        probes_per_host: s.probes_per_host.max(1),
        gap: Duration::from_millis(s.probe_gap_ms as u64),
        timeout: Duration::from_secs(s.timeout_s.max(1) as u64),
        concurrency: s.concurrency.max(1) as usize,
    }
}

impl Sweeper {
    pub fn new(world: Arc<dyn SweepWorld>, prober: Arc<dyn Prober>) -> Self {
        Self {
            world,
            prober,
            telemetry: None,
            failures: Mutex::new(HashMap::new()),
            running: Mutex::new(HashSet::new()),
            interval_s: std::sync::atomic::AtomicU32::new(
                IcmpSettingsValues::default().sweep_interval_s,
            ),
        }
    }

    /// Records every round's samples in `telemetry`.
    pub fn with_telemetry(mut self, telemetry: crate::telemetry::Telemetry) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// Whether a sweep of `scope` is running now.
    pub fn is_running(&self, scope: &Scope) -> bool {
        self.running.lock().expect("sweep lock").contains(scope)
    }

    /// One sweep of `scope`. Refused while a sweep of the same scope runs.
    #[tracing::instrument(skip(self), fields(scope = %scope.describe()))]
    pub async fn run_once(&self, scope: Scope) -> Result<SweepReport, SweepError> {
        if !self
            .running
            .lock()
            .expect("sweep lock")
            .insert(scope.clone())
        {
            return Err(SweepError::AlreadyRunning(scope.describe()));
        }
        let _guard = RunningGuard(&self.running, scope.clone());
        let start = Instant::now();
        let (all, settings) = self.world.hosts().await.map_err(SweepError::Failed)?;
        self.interval_s.store(
            settings.sweep_interval_s,
            std::sync::atomic::Ordering::Relaxed,
        );
        let known: HashMap<&str, &Target> = all.iter().map(|t| (t.host_id.as_str(), t)).collect();
        let targets: Vec<&Target> = all
            .iter()
            .filter(|t| !t.paused)
            .filter(|t| match &scope {
                Scope::All => true,
                Scope::Down => matches!(t.state, HostState::Down | HostState::Unreachable),
                Scope::Host(id) => &t.host_id == id,
            })
            .collect();
        if let Scope::Host(id) = &scope {
            if targets.is_empty() {
                return Err(SweepError::Failed(format!("no active host {id}")));
            }
        }
        let ips: Vec<IpAddr> = targets.iter().map(|t| t.ip).collect();
        let samples = self
            .prober
            .probe(&ips, &probe_options(&settings))
            .await
            .map_err(|e| SweepError::Failed(e.to_string()))?;
        // The samples go to the telemetry table while the state changes go
        // to the log: two databases, two threads.
        let telemetry = async {
            if let Some(t) = &self.telemetry {
                let at = chrono::Utc::now().timestamp();
                let rows = targets
                    .iter()
                    .map(|t| t.host_id.clone())
                    .zip(samples.iter().copied())
                    .collect();
                if let Err(e) = t.record(at, rows).await {
                    tracing::warn!(error = %e, "telemetry write failed; the sweep goes on");
                }
            }
        };
        let judgement = settings.judgement();
        let debounce = judgement.failed_rounds_before_down.max(1);
        // Consecutive failures, including this round.
        let rounds: Vec<u32> = {
            let mut failures = self.failures.lock().expect("sweep lock");
            targets
                .iter()
                .zip(&samples)
                .map(|(t, s)| {
                    let n = failures.entry(t.host_id.clone()).or_insert(0);
                    *n = if s.received == 0 { *n + 1 } else { 0 };
                    *n
                })
                .collect()
        };
        let probed_down: HashMap<&str, bool> = targets
            .iter()
            .zip(&rounds)
            .map(|(t, n)| (t.host_id.as_str(), *n >= debounce))
            .collect();
        let parent_down = |t: &Target| -> bool {
            let Some(p) = t.parent_id.as_deref() else {
                return false;
            };
            match probed_down.get(p) {
                Some(down) => *down,
                None => known
                    .get(p)
                    .is_some_and(|pt| matches!(pt.state, HostState::Down | HostState::Unreachable)),
            }
        };
        let mut report = SweepReport {
            probed: targets.len(),
            answered: samples.iter().filter(|s| s.received > 0).count(),
            ..Default::default()
        };
        let changes: Vec<(String, HostCommand)> = targets
            .iter()
            .zip(&samples)
            .zip(&rounds)
            .map(|((t, sample), failed_rounds)| {
                let command = HostCommand::RecordRound {
                    sample: *sample,
                    failed_rounds: *failed_rounds,
                    parent_down: parent_down(t),
                    judgement,
                };
                (t, command)
            })
            .filter(|(t, command)| changes_state(t, command))
            .map(|(t, command)| (t.host_id.clone(), command))
            .collect();
        // Issued concurrently so that the store's group commit takes many
        // state changes per fsync.
        let records = futures::stream::iter(changes)
            .map(|(id, command)| async move {
                let r = self.world.record(id.clone(), command).await;
                (id, r)
            })
            .buffer_unordered(RECORD_CONCURRENCY)
            .collect::<Vec<(String, Result<(), String>)>>();
        let ((), results) = futures::join!(telemetry, records);
        for (id, r) in results {
            match r {
                Ok(()) => report.commands += 1,
                Err(e) => tracing::warn!(host = id, error = e, "recording a round failed"),
            }
        }
        report.elapsed = start.elapsed();
        tracing::info!(
            probed = report.probed,
            answered = report.answered,
            commands = report.commands,
            ms = report.elapsed.as_millis() as u64,
            "sweep done"
        );
        Ok(report)
    }

    /// The scheduled job: a sweep of all hosts every configured interval;
    /// on command, of all hosts, the `down` subset or one host.
    pub fn job(self: &Arc<Self>) -> Arc<dyn crate::Job> {
        Arc::new(SweepJob(Arc::clone(self)))
    }
}

/// Whether the aggregate would write an event for this round, decided by
/// the aggregate's own rules on the state the read model shows.
fn changes_state(t: &Target, command: &HostCommand) -> bool {
    let host = Host {
        ip: Some(t.ip.to_string()),
        state: t.state,
        ..Default::default()
    };
    host.decide(command.clone())
        .is_ok_and(|events| !events.is_empty())
}

/// The sweep job's name on the scheduler.
pub const JOB_NAME: &str = "icmp-sweep";

struct SweepJob(Arc<Sweeper>);

impl crate::Job for SweepJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(
            self.0
                .interval_s
                .load(std::sync::atomic::Ordering::Relaxed)
                .max(10) as u64,
        )
    }
    fn run(&self, scope: crate::Scope, _by: Option<ispmon_events::Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let scope = match scope {
                crate::Scope::Due | crate::Scope::All => Scope::All,
                crate::Scope::Subset("down") => Scope::Down,
                crate::Scope::One(id) => Scope::Host(id),
                other => return Err(format!("a sweep cannot cover {}", other.describe())),
            };
            self.0
                .run_once(scope)
                .await
                .map(|r| {
                    format!(
                        "{} probed, {} answered, {} changes",
                        r.probed, r.answered, r.commands
                    )
                })
                .map_err(|e| e.to_string())
        })
    }
}

/// A sample of a host that answered every probe in `ms` (for tests).
pub fn answered(ms: f64) -> RoundSample {
    RoundSample {
        sent: 1,
        received: 1,
        loss_pct: 0.0,
        min_ms: Some(ms),
        avg_ms: Some(ms),
        max_ms: Some(ms),
        jitter_ms: Some(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::icmp::ProbeFuture;

    /// A world of hosts held in memory; commands apply to it as the read
    /// model would after projection.
    #[derive(Default)]
    struct World {
        hosts: Mutex<Vec<Target>>,
        log: Mutex<Vec<(String, HostCommand)>>,
    }

    impl SweepWorld for World {
        fn hosts(&self) -> WorldFuture<'_, (Vec<Target>, IcmpSettingsValues)> {
            Box::pin(async move {
                Ok((
                    self.hosts.lock().unwrap().clone(),
                    IcmpSettingsValues::default(),
                ))
            })
        }
        fn record(&self, host_id: String, command: HostCommand) -> WorldFuture<'_, ()> {
            Box::pin(async move {
                let mut hosts = self.hosts.lock().unwrap();
                let t = hosts.iter_mut().find(|t| t.host_id == host_id).unwrap();
                let mut h = Host {
                    ip: Some(t.ip.to_string()),
                    state: t.state,
                    ..Default::default()
                };
                for e in h.decide(command.clone()).unwrap() {
                    cqrs_apply(&mut h, e);
                }
                t.state = h.state;
                self.log.lock().unwrap().push((host_id, command));
                Ok(())
            })
        }
    }

    fn cqrs_apply(h: &mut Host, e: ispmon_events::host::HostEvent) {
        use cqrs_es::Aggregate;
        h.apply(e);
    }

    /// Answers for the IPs in its set, silence for the rest.
    struct Fake(Mutex<HashSet<IpAddr>>);

    impl Prober for Fake {
        fn probe<'a>(&'a self, targets: &'a [IpAddr], _: &'a ProbeOptions) -> ProbeFuture<'a> {
            Box::pin(async move {
                let up = self.0.lock().unwrap();
                Ok(targets
                    .iter()
                    .map(|ip| {
                        if up.contains(ip) {
                            answered(1.0)
                        } else {
                            RoundSample {
                                sent: 1,
                                ..Default::default()
                            }
                        }
                    })
                    .collect())
            })
        }
    }

    fn target(id: &str, ip: &str, parent: Option<&str>) -> Target {
        Target {
            host_id: id.into(),
            ip: ip.parse().unwrap(),
            state: HostState::Pending,
            paused: false,
            parent_id: parent.map(String::from),
        }
    }

    fn state(w: &World, id: &str) -> HostState {
        w.hosts
            .lock()
            .unwrap()
            .iter()
            .find(|t| t.host_id == id)
            .unwrap()
            .state
    }

    #[tokio::test]
    async fn hosts_go_down_after_the_debounce_and_children_become_unreachable() {
        let world = Arc::new(World::default());
        *world.hosts.lock().unwrap() = vec![
            target("router", "127.0.0.1", None),
            target("switch", "127.0.0.2", Some("router")),
        ];
        let up: HashSet<IpAddr> =
            ["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()].into();
        let prober = Arc::new(Fake(Mutex::new(up)));
        let s = Sweeper::new(world.clone(), prober.clone());
        let r = s.run_once(Scope::All).await.unwrap();
        assert_eq!((r.probed, r.answered, r.commands), (2, 2, 2));
        assert_eq!(state(&world, "router"), HostState::Up);
        let r = s.run_once(Scope::All).await.unwrap();
        assert_eq!(r.commands, 0, "a quiet round issues no commands");

        prober.0.lock().unwrap().clear();
        s.run_once(Scope::All).await.unwrap();
        assert_eq!(
            state(&world, "router"),
            HostState::Up,
            "one failed round is not down"
        );
        s.run_once(Scope::All).await.unwrap();
        assert_eq!(state(&world, "router"), HostState::Down);
        assert_eq!(state(&world, "switch"), HostState::Unreachable);

        prober
            .0
            .lock()
            .unwrap()
            .insert("127.0.0.1".parse().unwrap());
        prober
            .0
            .lock()
            .unwrap()
            .insert("127.0.0.2".parse().unwrap());
        s.run_once(Scope::Down).await.unwrap();
        assert_eq!(state(&world, "router"), HostState::Up);
        assert_eq!(state(&world, "switch"), HostState::Up);
    }

    #[tokio::test]
    async fn a_scope_already_running_is_refused_but_another_scope_is_not() {
        let world = Arc::new(World::default());
        *world.hosts.lock().unwrap() = vec![target("a", "127.0.0.1", None)];
        let s = Sweeper::new(world, Arc::new(Fake(Mutex::new(HashSet::new()))));
        s.running.lock().unwrap().insert(Scope::All);
        let busy = s.run_once(Scope::All).await.unwrap_err();
        assert_eq!(busy, SweepError::AlreadyRunning("all hosts".into()));
        assert_eq!(
            busy.to_string(),
            "a check of all hosts is already running; wait for it to finish"
        );
        let one = s.run_once(Scope::Host("a".into())).await.unwrap();
        assert_eq!(
            (one.probed, one.answered),
            (1, 0),
            "host a alone is probed (and is silent)"
        );
        assert_eq!(
            s.run_once(Scope::Host("zzz".into())).await.unwrap_err(),
            SweepError::Failed("no active host zzz".into())
        );
    }
}
