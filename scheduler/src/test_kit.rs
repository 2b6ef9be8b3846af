//! Fakes the engines' tests share: a pull world that records what it is
//! asked, a CLI that answers each session with the next scripted result,
//! and a device.

use std::collections::HashMap;
use std::sync::Mutex;

use ispmon_events::device::DeviceCommand;
use ispmon_events::Metadata;

use crate::cli::connector::ExecFuture;
use crate::cli::session::{
    CliError, Credentials, Exec, HostKeyCheck, Target, Timeouts, Transcript, TransportKind,
};
use crate::cli::{CliConnector, Dialect};
use crate::config_pull::{PullTarget, PullWorld, WorldFuture};

#[derive(Default)]
pub struct FakePullWorld {
    /// Configs stored: (device id, previous hash, text).
    pub stored: Mutex<Vec<(String, Option<String>, String)>>,
    pub commands: Mutex<Vec<(String, DeviceCommand)>>,
    pub secrets: HashMap<String, String>,
}

impl FakePullWorld {
    /// Knows the password of [`device`] (`pw-1` → `Pa55word`).
    pub fn with_password() -> Self {
        Self {
            secrets: HashMap::from([("pw-1".to_string(), "Pa55word".to_string())]),
            ..Default::default()
        }
    }
}

impl PullWorld for FakePullWorld {
    fn devices(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(async { Ok(vec![device()]) })
    }
    fn secret(&self, reference: String) -> WorldFuture<'_, Option<String>> {
        Box::pin(async move { Ok(self.secrets.get(&reference).cloned()) })
    }
    fn store_config(
        &self,
        device_id: String,
        previous_hash: Option<String>,
        text: String,
        _meta: Metadata,
    ) -> WorldFuture<'_, Option<u32>> {
        Box::pin(async move {
            let mut s = self.stored.lock().unwrap();
            s.push((device_id, previous_hash, text));
            Ok(Some(s.len() as u32))
        })
    }
    fn command(
        &self,
        device_id: String,
        command: DeviceCommand,
        _meta: Metadata,
    ) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            self.commands.lock().unwrap().push((device_id, command));
            Ok(())
        })
    }
}

/// Answers every session with the next scripted result.
pub struct Scripted {
    answers: Mutex<Vec<Result<String, CliError>>>,
    host_key: Option<String>,
    /// Every command sent, in order.
    pub seen_commands: Mutex<Vec<String>>,
}

impl Scripted {
    /// Answers sessions with `answers` in turn; the host key `SHA256:abc`.
    pub fn new(answers: Vec<Result<String, CliError>>) -> Self {
        Self {
            answers: Mutex::new(answers),
            host_key: Some("SHA256:abc".into()),
            seen_commands: Mutex::new(Vec::new()),
        }
    }

    /// Adds the answer to the next session.
    pub fn push(&self, answer: Result<String, CliError>) {
        self.answers.lock().unwrap().push(answer);
    }
}

impl CliConnector for Scripted {
    fn exec<'a>(
        &'a self,
        _target: &'a Target,
        creds: &'a Credentials,
        _host_key: &'a HostKeyCheck,
        _timeouts: &'a Timeouts,
        commands: &'a [&'a str],
    ) -> ExecFuture<'a> {
        Box::pin(async move {
            self.seen_commands
                .lock()
                .unwrap()
                .extend(commands.iter().map(|c| c.to_string()));
            let answer = self.answers.lock().unwrap().remove(0);
            let mut transcript = Transcript::default();
            // A device that echoes the password back, as broken gear does.
            transcript.received(&format!("login ok {}\n", creds.password), &[]);
            Exec {
                outputs: answer.map(|a| vec![a]),
                transcript,
                host_key: self.host_key.clone(),
            }
        })
    }
}

pub fn device() -> PullTarget {
    PullTarget {
        device_id: "d1".into(),
        name: "sw-1".into(),
        address: "127.0.0.1".into(),
        port: 2222,
        transport: TransportKind::Ssh,
        dialect: Dialect::CiscoIos,
        legacy_ssh: false,
        login: "admin".into(),
        password_ref: Some("pw-1".into()),
        enable_ref: None,
        key_ref: None,
        host_key: None,
        mask_secrets: false,
        last_hash: None,
        tags: vec![],
        pull_schedule: None,
    }
}
