//! Config pulls and "test connection": log into a device over its CLI, run
//! the dialect's command, and turn what came back into commands — a new
//! config version only when the normalised text changed, `ConfigPullFailed`
//! with the reason otherwise. The scheduler's config-pull jobs and the
//! "pull now" buttons both come here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ispmon_events::device::{DeviceCommand, StoredConfig};
use ispmon_events::secrets::SecretRef;
use ispmon_events::Metadata;
use ispmon_projections::devices::{self as device_views, DeviceRow};
use ispmon_scheduler::cli::session::{
    exec, CliError, Credentials, HostKeyCheck, SessionLimiter, Target, Timeouts, TransportKind,
};
use ispmon_scheduler::cli::Dialect;

use super::{diff, ConfigCache};
use crate::commands::CommandError;
use crate::core::Core;

/// What one pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new version with this number was stored.
    NewVersion(u32),
    /// The config is the same as the latest version.
    Unchanged,
    /// The pull failed; the reason was recorded as an event.
    Failed(String),
    /// A pull of this device was already running.
    Busy,
}

/// The last attempt on a device (not an event: an unchanged pull changes
/// nothing in the log). Kept in memory for the pages and in telemetry.db
/// across restarts.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// The session transcript, secrets masked.
    pub transcript: String,
}

impl Outcome {
    /// The outcome as telemetry.db keeps it.
    fn encode(&self) -> String {
        match self {
            Outcome::NewVersion(v) => format!("new {v}"),
            Outcome::Unchanged => "unchanged".into(),
            Outcome::Failed(reason) => format!("failed {reason}"),
            Outcome::Busy => "busy".into(),
        }
    }

    fn decode(text: &str) -> Option<Self> {
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

/// Pulls configs; one per process, shared by the web edge and the scheduler.
pub struct Puller {
    core: Core,
    limiter: Arc<SessionLimiter>,
    timeouts: Timeouts,
    cache: ConfigCache,
    running: Mutex<HashSet<String>>,
    attempts: Mutex<HashMap<String, Attempt>>,
}

fn transport(t: &str) -> TransportKind {
    if t == "telnet" {
        TransportKind::Telnet
    } else {
        TransportKind::Ssh
    }
}

/// Replaces every occurrence of the given secrets in a text.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "********");
    }
    out
}

struct Session {
    target: Target,
    creds: Credentials,
    host_key: HostKeyCheck,
    dialect: Dialect,
}

impl Puller {
    pub fn new(core: Core, global_sessions: usize, timeouts: Timeouts, cache: ConfigCache) -> Self {
        Self {
            core,
            limiter: Arc::new(SessionLimiter::new(global_sessions.max(1))),
            timeouts,
            cache,
            running: Mutex::new(HashSet::new()),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Loads the last attempts kept in telemetry.db before this process
    /// started (an attempt made since is newer and stays).
    pub async fn load_attempts(&self) {
        let rows = match self.core.telemetry.pull_attempts().await {
            Ok(rows) => rows,
            Err(e) => return tracing::warn!(error = %e, "loading the last pull attempts failed"),
        };
        let mut attempts = self.attempts.lock().expect("attempts lock");
        for row in rows {
            let Some(outcome) = Outcome::decode(&row.outcome) else {
                continue;
            };
            attempts.entry(row.device_id).or_insert(Attempt {
                at: row.at,
                outcome,
                duration_ms: row.duration_ms,
                transcript: row.transcript,
            });
        }
    }

    pub fn cache(&self) -> &ConfigCache {
        &self.cache
    }

    /// The last attempt on a device since this process started.
    pub fn last_attempt(&self, device_id: &str) -> Option<Attempt> {
        self.attempts
            .lock()
            .expect("attempts lock")
            .get(device_id)
            .cloned()
    }

    pub fn is_running(&self, device_id: &str) -> bool {
        self.running
            .lock()
            .expect("running lock")
            .contains(device_id)
    }

    async fn secret(&self, r: &str) -> Result<String, String> {
        match self.core.secrets.get(&SecretRef(r.to_string())).await {
            Ok(Some(bytes)) => {
                String::from_utf8(bytes).map_err(|_| "stored password is not text".into())
            }
            Ok(None) => Err("the stored password is missing".into()),
            Err(e) => Err(format!("reading the stored password: {e}")),
        }
    }

    async fn session(&self, d: &DeviceRow) -> Result<Session, String> {
        let dialect =
            Dialect::parse(&d.dialect).ok_or_else(|| format!("unknown dialect {}", d.dialect))?;
        let password = match d.password_ref.as_str() {
            "" => String::new(),
            r => self.secret(r).await?,
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
                transport: transport(&d.transport),
                dialect,
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
            dialect,
        })
    }

    async fn record(
        &self,
        id: &str,
        outcome: Outcome,
        started: Instant,
        transcript: String,
    ) -> Outcome {
        let attempt = Attempt {
            at: ispmon_events::store::now_rfc3339(),
            outcome: outcome.clone(),
            duration_ms: started.elapsed().as_millis() as u64,
            transcript,
        };
        let row = ispmon_scheduler::telemetry::PullAttemptRow {
            device_id: id.to_string(),
            at: attempt.at.clone(),
            outcome: attempt.outcome.encode(),
            duration_ms: attempt.duration_ms,
            transcript: attempt.transcript.clone(),
        };
        self.attempts
            .lock()
            .expect("attempts lock")
            .insert(id.to_string(), attempt);
        if let Err(e) = self.core.telemetry.save_pull_attempt(row).await {
            tracing::warn!(device = id, error = %e, "keeping the pull attempt failed");
        }
        outcome
    }

    async fn fail(
        &self,
        d: &DeviceRow,
        reason: String,
        seen_host_key: Option<String>,
        meta: &Metadata,
    ) {
        let cmd = DeviceCommand::FailPull {
            reason: reason.clone(),
            seen_host_key,
        };
        if let Err(e) = self.core.commands.device(&d.device_id, cmd, meta).await {
            tracing::warn!(device = %d.name, error = %e, "recording a failed pull");
        }
    }

    /// Pulls one device's config.
    pub async fn pull(&self, d: &DeviceRow, meta: &Metadata) -> Outcome {
        if !self
            .running
            .lock()
            .expect("running lock")
            .insert(d.device_id.clone())
        {
            return Outcome::Busy;
        }
        let started = Instant::now();
        let (outcome, transcript) = self.pull_inner(d, meta).await;
        self.running
            .lock()
            .expect("running lock")
            .remove(&d.device_id);
        match &outcome {
            Outcome::Failed(reason) => {
                tracing::warn!(device = %d.name, address = %d.address, %reason, "config pull failed")
            }
            other => tracing::info!(device = %d.name, outcome = ?other, "config pulled"),
        }
        self.record(&d.device_id, outcome, started, transcript)
            .await
    }

    async fn pull_inner(&self, d: &DeviceRow, meta: &Metadata) -> (Outcome, String) {
        let s = match self.session(d).await {
            Ok(s) => s,
            Err(reason) => {
                self.fail(d, reason.clone(), None, meta).await;
                return (Outcome::Failed(reason), String::new());
            }
        };
        let _permit = self.limiter.acquire(&d.device_id).await;
        let command = s.dialect.config_command();
        let run = exec(&s.target, &s.creds, &s.host_key, &self.timeouts, &[command]).await;
        let secrets = s.creds.secrets();
        let transcript = scrub(&run.transcript.render(), &secrets);
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
        if let (Some(seen), None) = (&run.host_key, &d.host_key) {
            let cmd = DeviceCommand::RecordHostKey {
                fingerprint: seen.clone(),
            };
            if let Err(e) = self.core.commands.device(&d.device_id, cmd, meta).await {
                tracing::warn!(device = %d.name, error = %e, "recording the host key");
            }
        }
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
        let outcome = match self.store(d, &text, meta).await {
            Ok(o) => o,
            Err(e) => {
                let reason = format!("storing the config: {e}");
                self.fail(d, reason.clone(), None, meta).await;
                Outcome::Failed(reason)
            }
        };
        (outcome, transcript)
    }

    async fn store(&self, d: &DeviceRow, text: &str, meta: &Metadata) -> anyhow::Result<Outcome> {
        let hash = ispmon_events::blobs::sha256_hex(text.as_bytes());
        if d.last_hash.as_deref() == Some(hash.as_str()) {
            return Ok(Outcome::Unchanged);
        }
        let previous = match &d.last_hash {
            Some(h) => self.cache.text(&self.core, h).await?,
            None => None,
        };
        let (added, removed) = diff::summary(previous.as_deref().unwrap_or(""), text);
        let blobs = self.core.blobs.clone();
        let bytes = text.as_bytes().to_vec();
        tokio::task::spawn_blocking(move || blobs.put(&bytes)).await??;
        let config = StoredConfig {
            hash: hash.clone(),
            size: text.len() as u64,
            lines: text.lines().count() as u64,
            added,
            removed,
        };
        match self
            .core
            .commands
            .device(&d.device_id, DeviceCommand::StoreConfig { config }, meta)
            .await
        {
            Ok(_) => {}
            Err(CommandError::Conflict) => {
                anyhow::bail!("the device changed meanwhile; pull again")
            }
            Err(e) => anyhow::bail!("{e}"),
        }
        let id = d.device_id.clone();
        let row = self
            .core
            .views
            .read(move |c| device_views::get(c, &id))
            .await?;
        Ok(match row {
            Some(r) if r.last_hash.as_deref() == Some(hash.as_str()) => {
                Outcome::NewVersion(r.versions)
            }
            _ => Outcome::Unchanged,
        })
    }

    /// Pulls several devices concurrently (bounded by the session limiter).
    pub async fn pull_many(self: &Arc<Self>, devices: Vec<DeviceRow>, meta: &Metadata) -> Report {
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
        d: &DeviceRow,
        meta: &Metadata,
    ) -> (Result<String, String>, String) {
        let s = match self.session(d).await {
            Ok(s) => s,
            Err(reason) => return (Err(reason), String::new()),
        };
        let _permit = self.limiter.acquire(&d.device_id).await;
        let command = s.dialect.version_command();
        let run = exec(&s.target, &s.creds, &s.host_key, &self.timeouts, &[command]).await;
        let secrets = s.creds.secrets();
        let transcript = scrub(&run.transcript.render(), &secrets);
        match run.outputs {
            Ok(out) => {
                if let (Some(seen), None) = (&run.host_key, &d.host_key) {
                    let cmd = DeviceCommand::RecordHostKey {
                        fingerprint: seen.clone(),
                    };
                    let _ = self.core.commands.device(&d.device_id, cmd, meta).await;
                }
                (Ok(scrub(&out.join("\n"), &secrets)), transcript)
            }
            Err(e) => (Err(scrub(&e.reason(), &secrets)), transcript),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_every_copy_of_a_secret() {
        assert_eq!(
            scrub("pw s3cret and s3cret", &["s3cret", "x"]),
            "pw ******** and ********"
        );
    }

    #[test]
    fn outcomes_are_kept_as_text_and_read_back() {
        for o in [
            Outcome::NewVersion(12),
            Outcome::Unchanged,
            Outcome::Failed("login refused: wrong password".into()),
            Outcome::Busy,
        ] {
            assert_eq!(Outcome::decode(&o.encode()), Some(o));
        }
        assert_eq!(Outcome::decode("new x"), None);
        assert_eq!(Outcome::decode("something"), None);
    }
}
