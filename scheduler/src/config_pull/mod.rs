//! The config pull: log into a device over its CLI, run the dialect's config
//! command, and turn what came back into commands — a new config version
//! only when the normalised text changed, `FailPull` with the reason
//! otherwise. The scheduled job ([`job`]) and the "pull now" buttons (through
//! the [`Scheduler`](crate::Scheduler)) both come here.
//!
//! The engine sees the application only through [`PullWorld`] (devices,
//! secrets, storing a config, issuing a device command) and the network only
//! through an `Arc<dyn CliConnector>`, so tests put emulators in either place.
//! What a second process would need is in `telemetry.db`: the lease that
//! says a device is being pulled, and each device's last attempt with its
//! masked transcript.
//!
//! - [`job`]: the scheduled pull (cron per device) and its scopes.

pub mod job;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ispmon_events::device::DeviceCommand;
use ispmon_events::Metadata;

use crate::cli::session::{
    CliError, Credentials, Exec, HostKeyCheck, SessionLimiter, Target, Timeouts, TransportKind,
};
use crate::cli::{CliConnector, Dialect};
use crate::lease::Leases;
use crate::telemetry::{PullAttemptRow, Telemetry};

pub type WorldFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// A device as the pull needs it (no secrets: references to them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullTarget {
    pub device_id: String,
    pub name: String,
    pub address: String,
    pub port: u16,
    pub transport: TransportKind,
    pub dialect: Dialect,
    pub legacy_ssh: bool,
    pub login: String,
    pub password_ref: Option<String>,
    pub enable_ref: Option<String>,
    pub key_ref: Option<String>,
    /// The accepted host key fingerprint (none: first contact).
    pub host_key: Option<String>,
    pub mask_secrets: bool,
    /// The hash of the latest stored config.
    pub last_hash: Option<String>,
    pub tags: Vec<String>,
    /// The device's own cron expression (none: the default).
    pub pull_schedule: Option<String>,
}

/// What the pull needs from the application.
pub trait PullWorld: Send + Sync {
    /// Every device that is not retired.
    fn devices(&self) -> WorldFuture<'_, Vec<PullTarget>>;
    /// A sealed secret by its reference; `None` when it is missing.
    fn secret(&self, reference: String) -> WorldFuture<'_, Option<String>>;
    /// Stores a changed config (blob and `StoreConfig`, with the diff
    /// against `previous_hash`); the version number it became, or `None`
    /// when the latest version already has this text.
    fn store_config(
        &self,
        device_id: String,
        previous_hash: Option<String>,
        text: String,
        meta: Metadata,
    ) -> WorldFuture<'_, Option<u32>>;
    /// Issues a device command (`FailPull`, `RecordHostKey`).
    fn command(
        &self,
        device_id: String,
        command: DeviceCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, ()>;
}

/// What one pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new version with this number was stored.
    NewVersion(u32),
    /// The config is the same as the latest version.
    Unchanged,
    /// The pull failed; the reason was recorded as an event.
    Failed(String),
    /// A pull of this device was already running (here or elsewhere).
    Busy,
}

impl Outcome {
    /// The outcome as telemetry.db keeps it.
    pub fn encode(&self) -> String {
        match self {
            Outcome::NewVersion(v) => format!("new {v}"),
            Outcome::Unchanged => "unchanged".into(),
            Outcome::Failed(reason) => format!("failed {reason}"),
            Outcome::Busy => "busy".into(),
        }
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
        match kind {
            "new" => rest.parse().ok().map(Outcome::NewVersion),
            "unchanged" => Some(Outcome::Unchanged),
            "failed" => Some(Outcome::Failed(rest.to_string())),
            "busy" => Some(Outcome::Busy),
            _ => None,
        }
    }
}

/// A device's last attempt, as telemetry.db keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// The session transcript, secrets masked.
    pub transcript: String,
}

impl Attempt {
    fn from_row(row: PullAttemptRow) -> Option<Self> {
        Some(Attempt {
            outcome: Outcome::decode(&row.outcome)?,
            at: row.at,
            duration_ms: row.duration_ms,
            transcript: row.transcript,
        })
    }
}

/// Totals of a pull over several devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub new_versions: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub busy: usize,
    pub median_ms: u64,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "{} new, {} unchanged, {} failed{}",
            self.new_versions,
            self.unchanged,
            self.failed,
            if self.busy > 0 {
                format!(", {} already running", self.busy)
            } else {
                String::new()
            }
        )
    }
}

/// Replaces every occurrence of the given secrets in a text.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "********");
    }
    out
}

/// The lease name of a device's pull.
fn lease_name(device_id: &str) -> String {
    format!("{LEASE_PREFIX}{device_id}")
}

const LEASE_PREFIX: &str = "config-pull/";

struct Session {
    target: Target,
    creds: Credentials,
    host_key: HostKeyCheck,
    dialect: Dialect,
}

/// A logged-in session from [`Puller::open`].
pub struct OpenSession {
    pub session: Box<dyn crate::cli::session::CliSession>,
    /// The device's secrets, to mask transcripts with.
    pub secrets: Vec<String>,
    _permit: crate::cli::session::LimiterPermit,
}

/// Pulls configs; one per process, shared by the job and the pages.
pub struct Puller {
    world: Arc<dyn PullWorld>,
    cli: Arc<dyn CliConnector>,
    limiter: Arc<SessionLimiter>,
    timeouts: Timeouts,
    telemetry: Telemetry,
    leases: Leases,
}

impl Puller {
    pub fn new(
        world: Arc<dyn PullWorld>,
        cli: Arc<dyn CliConnector>,
        global_sessions: usize,
        timeouts: Timeouts,
        telemetry: Telemetry,
    ) -> Self {
        Self {
            world,
            cli,
            limiter: Arc::new(SessionLimiter::new(global_sessions.max(1))),
            timeouts,
            leases: Leases::new(telemetry.clone()),
            telemetry,
        }
    }

    /// How long a pull's lease lasts: every stage's timeout, with room; a
    /// holder that died frees the device after this.
    fn lease_ttl(&self) -> Duration {
        let t = &self.timeouts;
        (t.connect + t.login + t.command * 4).max(Duration::from_secs(60))
    }

    /// A device's last attempt (from telemetry.db, whoever made it).
    pub async fn last_attempt(&self, device_id: &str) -> Option<Attempt> {
        match self.telemetry.pull_attempt(device_id.to_string()).await {
            Ok(row) => row.and_then(Attempt::from_row),
            Err(e) => {
                tracing::warn!(device = device_id, error = %e, "reading the last pull attempt failed");
                None
            }
        }
    }

    /// Every device's last attempt, by device id.
    pub async fn last_attempts(&self) -> std::collections::HashMap<String, Attempt> {
        match self.telemetry.pull_attempts().await {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|r| {
                    let id = r.device_id.clone();
                    Attempt::from_row(r).map(|a| (id, a))
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "reading the last pull attempts failed");
                Default::default()
            }
        }
    }

    /// Whether a pull of the device is running (in any process).
    pub async fn is_running(&self, device_id: &str) -> bool {
        self.leases
            .held(lease_name(device_id))
            .await
            .unwrap_or(false)
    }

    /// The ids of the devices being pulled now.
    pub async fn running(&self) -> std::collections::HashSet<String> {
        self.leases
            .held_under(LEASE_PREFIX.to_string())
            .await
            .unwrap_or_default()
    }

    /// Every live device.
    pub async fn devices(&self) -> Result<Vec<PullTarget>, String> {
        self.world.devices().await
    }

    async fn secret(&self, r: &str) -> Result<String, String> {
        match self.world.secret(r.to_string()).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err("the stored password is missing".into()),
            Err(e) => Err(format!("reading the stored password: {e}")),
        }
    }

    async fn session(&self, d: &PullTarget) -> Result<Session, String> {
        let password = match &d.password_ref {
            Some(r) => self.secret(r).await?,
            None => String::new(),
        };
        let private_key = match &d.key_ref {
            Some(r) => Some(self.secret(r).await?),
            None => None,
        };
        let enable_password = match &d.enable_ref {
            Some(r) => Some(self.secret(r).await?),
            None => None,
        };
        Ok(Session {
            target: Target {
                host: d.address.clone(),
                port: d.port,
                transport: d.transport,
                dialect: d.dialect,
                legacy_ssh: d.legacy_ssh,
            },
            creds: Credentials {
                login: d.login.clone(),
                password,
                enable_password,
                private_key,
            },
            host_key: match &d.host_key {
                Some(k) => HostKeyCheck::Expect(k.clone()),
                None => HostKeyCheck::FirstContact,
            },
            dialect: d.dialect,
        })
    }

    async fn record(&self, id: &str, outcome: &Outcome, started: Instant, transcript: String) {
        let row = PullAttemptRow {
            device_id: id.to_string(),
            at: ispmon_events::store::now_rfc3339(),
            outcome: outcome.encode(),
            duration_ms: started.elapsed().as_millis() as u64,
            transcript,
        };
        if let Err(e) = self.telemetry.save_pull_attempt(row).await {
            tracing::warn!(device = id, error = %e, "keeping the pull attempt failed");
        }
    }

    async fn fail(
        &self,
        d: &PullTarget,
        reason: String,
        seen_host_key: Option<String>,
        meta: &Metadata,
    ) {
        let cmd = DeviceCommand::FailPull {
            reason,
            seen_host_key,
        };
        let id = d.device_id.clone();
        if let Err(e) = self.world.command(id, cmd, meta.clone()).await {
            tracing::warn!(device = %d.name, error = %e, "recording a failed pull");
        }
    }

    async fn record_host_key(&self, d: &PullTarget, seen: Option<&String>, meta: &Metadata) {
        if let (Some(seen), None) = (seen, &d.host_key) {
            let cmd = DeviceCommand::RecordHostKey {
                fingerprint: seen.clone(),
            };
            let id = d.device_id.clone();
            if let Err(e) = self.world.command(id, cmd, meta.clone()).await {
                tracing::warn!(device = %d.name, error = %e, "recording the host key");
            }
        }
    }

    /// One command in a session (under the session limits), with the
    /// transcript, our secrets masked.
    async fn run_one(&self, d: &PullTarget, s: &Session, command: &str) -> (Exec, String) {
        let _permit = self.limiter.acquire(&d.device_id).await;
        let commands = [command];
        let run = self
            .cli
            .exec(&s.target, &s.creds, &s.host_key, &self.timeouts, &commands)
            .await;
        let transcript = scrub(&run.transcript.render(), &s.creds.secrets());
        (run, transcript)
    }

    /// Pulls one device's config, under its lease.
    #[tracing::instrument(name = "config_pull", skip(self, d, meta), fields(device = %d.name))]
    pub async fn pull(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let lease = lease_name(&d.device_id);
        match self.leases.claim(lease.clone(), self.lease_ttl()).await {
            Ok(true) => {}
            Ok(false) => return Outcome::Busy,
            Err(e) => {
                let reason = format!("taking the device's lease: {e}");
                return Outcome::Failed(reason);
            }
        }
        let started = Instant::now();
        let (outcome, transcript) = self.pull_inner(d, meta).await;
        match &outcome {
            Outcome::Failed(reason) => {
                tracing::warn!(address = %d.address, %reason, "config pull failed")
            }
            other => tracing::info!(outcome = ?other, "config pulled"),
        }
        self.record(&d.device_id, &outcome, started, transcript)
            .await;
        if let Err(e) = self.leases.release(lease).await {
            tracing::warn!(device = %d.name, error = %e, "giving the lease back failed; it expires");
        }
        outcome
    }

    async fn pull_inner(&self, d: &PullTarget, meta: &Metadata) -> (Outcome, String) {
        let s = match self.session(d).await {
            Ok(s) => s,
            Err(reason) => {
                self.fail(d, reason.clone(), None, meta).await;
                return (Outcome::Failed(reason), String::new());
            }
        };
        let (run, transcript) = self.run_one(d, &s, s.dialect.config_command()).await;
        let secrets = s.creds.secrets();
        let outputs = match run.outputs {
            Ok(o) => o,
            Err(e) => {
                let seen = match &e {
                    CliError::HostKeyChanged { seen, .. } => Some(seen.clone()),
                    _ => None,
                };
                let reason = scrub(&e.reason(), &secrets);
                self.fail(d, reason.clone(), seen, meta).await;
                return (Outcome::Failed(reason), transcript);
            }
        };
        self.record_host_key(d, run.host_key.as_ref(), meta).await;
        let raw = outputs.into_iter().next().unwrap_or_default();
        let mut text = s.dialect.normalise_config(&raw);
        if d.mask_secrets {
            text = s.dialect.mask_secrets(&text);
        }
        // Whatever the device printed, our own copies of its passwords never
        // reach the blob store.
        let text = scrub(&text, &secrets);
        if text.trim().is_empty() {
            let reason = "the device returned an empty config".to_string();
            self.fail(d, reason.clone(), None, meta).await;
            return (Outcome::Failed(reason), transcript);
        }
        let hash = ispmon_events::blobs::sha256_hex(text.as_bytes());
        if d.last_hash.as_deref() == Some(hash.as_str()) {
            return (Outcome::Unchanged, transcript);
        }
        let stored = self
            .world
            .store_config(d.device_id.clone(), d.last_hash.clone(), text, meta.clone())
            .await;
        let outcome = match stored {
            Ok(Some(v)) => Outcome::NewVersion(v),
            Ok(None) => Outcome::Unchanged,
            Err(e) => {
                let reason = format!("storing the config: {e}");
                self.fail(d, reason.clone(), None, meta).await;
                Outcome::Failed(reason)
            }
        };
        (outcome, transcript)
    }

    /// Pulls several devices concurrently (bounded by the session limiter).
    pub async fn pull_many(self: &Arc<Self>, devices: Vec<PullTarget>, meta: &Metadata) -> Report {
        let mut set = tokio::task::JoinSet::new();
        for d in devices {
            let me = Arc::clone(self);
            let meta = meta.clone();
            set.spawn(async move {
                let t = Instant::now();
                let o = me.pull(&d, &meta).await;
                (o, t.elapsed())
            });
        }
        let mut report = Report::default();
        let mut times: Vec<Duration> = Vec::new();
        while let Some(done) = set.join_next().await {
            let Ok((outcome, took)) = done else {
                report.failed += 1;
                continue;
            };
            times.push(took);
            match outcome {
                Outcome::NewVersion(_) => report.new_versions += 1,
                Outcome::Unchanged => report.unchanged += 1,
                Outcome::Failed(_) => report.failed += 1,
                Outcome::Busy => report.busy += 1,
            }
        }
        times.sort();
        report.median_ms = times
            .get(times.len() / 2)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        report
    }

    /// Logs in and runs the dialect's version command; returns the version
    /// output (or the error) and the transcript with secrets masked. Records
    /// the host key on first contact.
    pub async fn test_connection(
        &self,
        d: &PullTarget,
        meta: &Metadata,
    ) -> (Result<String, String>, String) {
        self.run_command(d, d.dialect.version_command(), meta).await
    }

    /// Logs in for a job that runs many commands in one session (under the
    /// session limits, held until the returned permit is dropped): the
    /// session, our secrets (to mask what it prints), and the permit.
    /// Records the host key on first contact.
    pub async fn open(&self, d: &PullTarget, meta: &Metadata) -> Result<OpenSession, String> {
        let s = self.session(d).await?;
        let permit = self.limiter.acquire(&d.device_id).await;
        let secrets: Vec<String> = s.creds.secrets().into_iter().map(str::to_owned).collect();
        match self
            .cli
            .connect(&s.target, &s.creds, &s.host_key, &self.timeouts)
            .await
        {
            Ok(session) => {
                self.record_host_key(d, session.host_key().map(str::to_owned).as_ref(), meta)
                    .await;
                Ok(OpenSession {
                    session,
                    secrets,
                    _permit: permit,
                })
            }
            Err(f) => {
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                Err(scrub(&f.error.reason(), &secrets))
            }
        }
    }

    /// Logs in and runs one command (under the session limits); returns its
    /// output (or why it failed) and the transcript, our secrets masked in
    /// both. Records the host key on first contact. The FDB collector and
    /// the live MAC re-check come here too.
    pub async fn run_command(
        &self,
        d: &PullTarget,
        command: &str,
        meta: &Metadata,
    ) -> (Result<String, String>, String) {
        let s = match self.session(d).await {
            Ok(s) => s,
            Err(reason) => return (Err(reason), String::new()),
        };
        let (run, transcript) = self.run_one(d, &s, command).await;
        let secrets = s.creds.secrets();
        match run.outputs {
            Ok(out) => {
                self.record_host_key(d, run.host_key.as_ref(), meta).await;
                (Ok(scrub(&out.join("\n"), &secrets)), transcript)
            }
            Err(e) => (Err(scrub(&e.reason(), &secrets)), transcript),
        }
    }
}

#[cfg(test)]
mod tests;
