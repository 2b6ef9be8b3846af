//! The CLI session abstraction: [`connect`] logs into a device over SSH or
//! telnet and returns a [`CliSession`] that runs commands; [`exec`] does a
//! whole job's conversation in one call. Every wait has a deadline
//! ([`Timeouts`]); every outcome, success or not, comes with the
//! [`Transcript`] (passwords masked).
//!
//! - `engine`: the dialogue shared by both transports (login, enable,
//!   paging, prompt wait, output cutting).
//! - `transcript`: what was sent and received.
//! - `limiter`: [`SessionLimiter`], global and per-device concurrency.

#[cfg(test)]
mod dialogue_tests;
pub(crate) mod engine;
mod limiter;
mod transcript;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub use limiter::{LimiterPermit, SessionLimiter};
pub use transcript::{Transcript, TranscriptEntry, MASK};

use crate::cli::dialect::Dialect;
use engine::Engine;

/// How a device is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Ssh,
    Telnet,
}

/// Where and how to talk to one device.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub transport: TransportKind,
    pub dialect: Dialect,
    /// Also offer old SSH algorithms (diffie-hellman-group1/14-sha1, ssh-rsa,
    /// CBC ciphers, hmac-sha1) for gear that knows nothing newer.
    pub legacy_ssh: bool,
}

/// Login and passwords. `Debug` masks the passwords.
#[derive(Clone)]
pub struct Credentials {
    pub login: String,
    pub password: String,
    /// The enable / super password; the login password is tried when absent.
    pub enable_password: Option<String>,
    /// An SSH private key (OpenSSH or PEM text, unencrypted): tried before
    /// the password on SSH.
    pub private_key: Option<String>,
}

impl Credentials {
    /// Every secret in these credentials, for masking texts.
    pub fn secrets(&self) -> Vec<&str> {
        std::iter::once(self.password.as_str())
            .chain(self.enable_password.as_deref())
            .chain(self.private_key.as_deref())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("login", &self.login)
            .field("password", &MASK)
            .field(
                "enable_password",
                &self.enable_password.as_ref().map(|_| MASK),
            )
            .field("private_key", &self.private_key.as_ref().map(|_| MASK))
            .finish()
    }
}

/// Deadlines. `connect` covers TCP and the SSH handshake, `login` the whole
/// login dialogue, `command` the longest silence while a command's output
/// is awaited (each chunk received restarts it; a command may stream for at
/// most ten times this).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub login: Duration,
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            login: Duration::from_secs(10),
            command: Duration::from_secs(30),
        }
    }
}

/// What to make of the SSH host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// Accept any key and report its fingerprint (to be remembered).
    FirstContact,
    /// Only this fingerprint (`"SHA256:base64"`, as OpenSSH prints it).
    Expect(String),
}

/// Where in the conversation something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Connect,
    Login,
    Enable,
    Command(String),
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Connect => f.write_str("connecting"),
            Stage::Login => f.write_str("logging in"),
            Stage::Enable => f.write_str("entering privileged mode"),
            Stage::Command(c) => write!(f, "running `{c}`"),
        }
    }
}

/// Why a CLI conversation failed. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer in time while {stage}")]
    Timeout { stage: Stage },
    #[error("login or password refused")]
    AuthFailed,
    #[error("SSH host key changed: expected {expected}, device offered {seen}")]
    HostKeyChanged { expected: String, seen: String },
    #[error("device closed the connection while {stage}")]
    Closed { stage: Stage },
    #[error("device sent unreadable output (not text) while {stage}")]
    Garbage { stage: Stage },
    #[error("device refused `{command}`: {message}")]
    Rejected { command: String, message: String },
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl CliError {
    /// One short human line for "pull failed" records.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let line = text.lines().next().unwrap_or_default();
        match line.char_indices().nth(200) {
            Some((i, _)) => format!("{}…", &line[..i]),
            None => line.to_owned(),
        }
    }
}

/// A failed [`connect`]: the error, and what was said up to it.
#[derive(Debug, Clone)]
pub struct CliFailure {
    pub error: CliError,
    pub transcript: Transcript,
    /// The SSH host key fingerprint, when the handshake got that far.
    pub host_key: Option<String>,
}

impl fmt::Display for CliFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for CliFailure {}

/// A logged-in CLI session (privileged, paging off).
#[async_trait]
pub trait CliSession: Send {
    /// Runs a command: its output between the echoed command and the next
    /// prompt, pagers answered and removed, escapes cleaned, decoded.
    /// `Err(Rejected)` when the dialect recognises an error message.
    async fn run(&mut self, command: &str) -> Result<String, CliError>;
    fn transcript(&self) -> &Transcript;
    /// The SSH host key fingerprint seen (`None` for telnet).
    fn host_key(&self) -> Option<&str>;
    async fn close(self: Box<Self>);
}

struct Session {
    engine: Engine,
    host_key: Option<String>,
}

#[async_trait]
impl CliSession for Session {
    async fn run(&mut self, command: &str) -> Result<String, CliError> {
        self.engine.command(command).await
    }

    fn transcript(&self) -> &Transcript {
        &self.engine.transcript
    }

    fn host_key(&self) -> Option<&str> {
        self.host_key.as_deref()
    }

    async fn close(mut self: Box<Self>) {
        self.engine.close().await;
    }
}

/// Connects, logs in, enters privileged mode when the dialect has one, and
/// turns paging off.
#[tracing::instrument(skip(creds, host_key, timeouts), fields(host = %target.host, port = target.port, dialect = target.dialect.as_str()))]
pub async fn connect(
    target: &Target,
    creds: &Credentials,
    host_key: &HostKeyCheck,
    timeouts: &Timeouts,
) -> Result<Box<dyn CliSession>, CliFailure> {
    let mut transcript = Transcript::default();
    let mut seen_key = None;
    let opened = match target.transport {
        TransportKind::Ssh => {
            crate::cli::ssh::open(
                target,
                creds,
                host_key,
                timeouts,
                &mut transcript,
                &mut seen_key,
            )
            .await
        }
        TransportKind::Telnet => crate::cli::telnet::open(target, timeouts, &mut transcript).await,
    };
    let wire = match opened {
        Ok(w) => w,
        Err(error) => {
            return Err(CliFailure {
                error,
                transcript,
                host_key: seen_key,
            })
        }
    };
    let mut engine = Engine::new(wire, target.dialect, *timeouts, creds, transcript);
    if let Err(error) = engine.start(creds).await {
        engine.close().await;
        return Err(CliFailure {
            error,
            transcript: engine.transcript,
            host_key: seen_key,
        });
    }
    Ok(Box::new(Session {
        engine,
        host_key: seen_key,
    }))
}

/// What a job gets from [`exec`].
#[derive(Debug, Clone)]
pub struct Exec {
    /// Each command's output, in order, or the first error.
    pub outputs: Result<Vec<String>, CliError>,
    pub transcript: Transcript,
    pub host_key: Option<String>,
}

/// One call for jobs: connect, run each command in order, close. Always
/// returns the transcript.
pub async fn exec(
    target: &Target,
    creds: &Credentials,
    host_key: &HostKeyCheck,
    timeouts: &Timeouts,
    commands: &[&str],
) -> Exec {
    let mut session = match connect(target, creds, host_key, timeouts).await {
        Ok(s) => s,
        Err(f) => {
            tracing::debug!(host = %target.host, reason = %f.error.reason(), transcript = %f.transcript.render(), "cli session failed");
            return Exec {
                outputs: Err(f.error),
                transcript: f.transcript,
                host_key: f.host_key,
            };
        }
    };
    let mut outputs = Vec::with_capacity(commands.len());
    let mut failed = None;
    for command in commands {
        match session.run(command).await {
            Ok(out) => outputs.push(out),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let transcript = session.transcript().clone();
    let host_key = session.host_key().map(str::to_owned);
    session.close().await;
    tracing::debug!(host = %target.host, transcript = %transcript.render(), "cli session done");
    Exec {
        outputs: match failed {
            Some(e) => Err(e),
            None => Ok(outputs),
        },
        transcript,
        host_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_masks_passwords() {
        let c = Credentials {
            login: "admin".into(),
            password: "s3cret".into(),
            enable_password: Some("en4ble".into()),
            private_key: Some("-----BEGIN OPENSSH PRIVATE KEY-----".into()),
        };
        assert_eq!(
            format!("{c:?}"),
            r#"Credentials { login: "admin", password: "********", enable_password: Some("********"), private_key: Some("********") }"#
        );
        let none = Credentials {
            enable_password: None,
            private_key: None,
            ..c
        };
        assert_eq!(
            format!("{none:?}"),
            r#"Credentials { login: "admin", password: "********", enable_password: None, private_key: None }"#,
            "what is not set shows as not set"
        );
    }

    #[test]
    fn reasons_are_one_short_line() {
        let e = CliError::Timeout {
            stage: Stage::Command("show running-config".into()),
        };
        assert_eq!(
            e.reason(),
            "no answer in time while running `show running-config`"
        );
        let e = CliError::Protocol("x\ny".repeat(300));
        assert_eq!(e.reason(), "protocol error: x", "only the first line");
        let e = CliError::Protocol("é".repeat(300));
        let long = e.reason();
        assert_eq!(
            long,
            format!("protocol error: {}…", "é".repeat(200 - 16)),
            "a long line is cut at 200 characters (not bytes) with an ellipsis"
        );
    }
}
