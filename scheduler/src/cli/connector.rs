//! [`CliConnector`]: the gateway a job uses to run commands on a device, as
//! a trait object so tests can put an emulator (or a scripted fake) in place
//! of the network. [`Network`] is the real one: SSH or telnet through
//! [`session::exec`](super::session::exec).

use std::future::Future;
use std::pin::Pin;

use super::session::{
    connect, exec, CliError, CliFailure, CliSession, Credentials, Exec, HostKeyCheck, Target,
    Timeouts, Transcript,
};

pub type ExecFuture<'a> = Pin<Box<dyn Future<Output = Exec> + Send + 'a>>;
pub type ConnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn CliSession>, CliFailure>> + Send + 'a>>;

/// Connects, runs each command in order, closes; always with the transcript.
pub trait CliConnector: Send + Sync {
    fn exec<'a>(
        &'a self,
        target: &'a Target,
        creds: &'a Credentials,
        host_key: &'a HostKeyCheck,
        timeouts: &'a Timeouts,
        commands: &'a [&'a str],
    ) -> ExecFuture<'a>;

    /// Connects and logs in, for a job that runs many commands and decides
    /// each from the last (a port sweep, a saga step). Connectors that only
    /// run scripted batches refuse.
    fn connect<'a>(
        &'a self,
        target: &'a Target,
        creds: &'a Credentials,
        host_key: &'a HostKeyCheck,
        timeouts: &'a Timeouts,
    ) -> ConnectFuture<'a> {
        let _ = (target, creds, host_key, timeouts);
        Box::pin(async {
            Err(CliFailure {
                error: CliError::Protocol("this connector runs batches only".into()),
                transcript: Transcript::default(),
                host_key: None,
            })
        })
    }
}

/// The real network: [`session::exec`](super::session::exec).
#[derive(Debug, Clone, Copy, Default)]
pub struct Network;

impl CliConnector for Network {
    fn exec<'a>(
        &'a self,
        target: &'a Target,
        creds: &'a Credentials,
        host_key: &'a HostKeyCheck,
        timeouts: &'a Timeouts,
        commands: &'a [&'a str],
    ) -> ExecFuture<'a> {
        Box::pin(exec(target, creds, host_key, timeouts, commands))
    }

    fn connect<'a>(
        &'a self,
        target: &'a Target,
        creds: &'a Credentials,
        host_key: &'a HostKeyCheck,
        timeouts: &'a Timeouts,
    ) -> ConnectFuture<'a> {
        Box::pin(connect(target, creds, host_key, timeouts))
    }
}
