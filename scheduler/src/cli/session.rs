//! TEMPORARY placeholder with the agreed API; replaced by the transport work.
#![allow(dead_code)]
use std::time::Duration;

use super::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Ssh,
    Telnet,
}
pub struct Target {
    pub host: String,
    pub port: u16,
    pub transport: TransportKind,
    pub dialect: Dialect,
    pub legacy_ssh: bool,
}
pub struct Credentials {
    pub login: String,
    pub password: String,
    pub enable_password: Option<String>,
}
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
pub enum HostKeyCheck {
    FirstContact,
    Expect(String),
}
#[derive(Default)]
pub struct Transcript;
impl Transcript {
    pub fn render(&self) -> String {
        String::new()
    }
}
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("host key changed")]
    HostKeyChanged { expected: String, seen: String },
    #[error("{0}")]
    Protocol(String),
}
impl CliError {
    pub fn reason(&self) -> String {
        self.to_string()
    }
}
pub struct Exec {
    pub outputs: Result<Vec<String>, CliError>,
    pub transcript: Transcript,
    pub host_key: Option<String>,
}
pub async fn exec(
    _t: &Target,
    _c: &Credentials,
    _h: &HostKeyCheck,
    _to: &Timeouts,
    _cmds: &[&str],
) -> Exec {
    Exec {
        outputs: Err(CliError::Protocol("not implemented".into())),
        transcript: Transcript,
        host_key: None,
    }
}
pub struct SessionLimiter;
impl SessionLimiter {
    pub fn new(_global: usize) -> Self {
        Self
    }
    pub async fn acquire(&self, _key: &str) {}
}
