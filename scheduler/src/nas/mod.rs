//! NAS session polling: read each NAS's PPPoE sessions over its CLI
//! (MikroTik `/ppp active print detail without-paging`), keep them as
//! telemetry (login, MAC, IP, NAS, start, end; 400 days), and turn a
//! login's changed binding (its MAC or its IP) into a Login command.
//!
//! One NAS down or slow does not affect the others: each is polled on its
//! own, under its own lease, and a failed poll changes nothing (its
//! sessions stay as last seen, with their age). A steady poll writes no
//! events; only logins whose MAC or IP differs from the read model are
//! commanded.
//!
//! - [`sessions`]: the telemetry table.
//! - [`job`]: the scheduled poll (every `nas_interval_s` of the settings
//!   in force, default 60 s) and its scopes.

pub mod job;
pub mod sessions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ispmon_events::fdb_settings::FdbSettingsValues;
use ispmon_events::login::{Binding, LoginCommand};
use ispmon_events::Metadata;

use crate::cli::PppSession;
use crate::config_pull::{PullTarget, Puller, WorldFuture};
use crate::fdb::sightings::{recorded, Recorded};
use crate::lease::Leases;
use crate::telemetry::Telemetry;

/// What the poller needs from the application.
pub trait NasWorld: Send + Sync {
    /// Every live device with the `nas` role.
    fn nas_devices(&self) -> WorldFuture<'_, Vec<PullTarget>>;
    /// Each login's binding as the read model has it (logins without one
    /// are left out).
    fn bindings(&self, logins: Vec<String>) -> WorldFuture<'_, HashMap<String, Binding>>;
    /// Issues a Login command: whether it recorded an event (one that
    /// changes nothing is not an error).
    fn login_command(
        &self,
        login: String,
        command: LoginCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool>;
    /// The Search Port settings in force now (how often a NAS is polled).
    fn settings(&self) -> WorldFuture<'_, FdbSettingsValues>;
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `sessions` online; `rebound` logins whose MAC or IP changed.
    Polled {
        sessions: usize,
        rebound: usize,
    },
    Failed(String),
    Busy,
}

impl Recorded for Outcome {
    fn counts(&self) -> Option<(usize, usize)> {
        match self {
            Outcome::Polled { sessions, rebound } => Some((*sessions, *rebound)),
            _ => None,
        }
    }
    fn failure(&self) -> Option<&str> {
        match self {
            Outcome::Failed(reason) => Some(reason),
            _ => None,
        }
    }
    fn busy() -> Self {
        Outcome::Busy
    }
    fn failed(reason: String) -> Self {
        Outcome::Failed(reason)
    }
}

const LEASE_PREFIX: &str = "nas/";

/// Polls NAS; one per process, shared by the job and the buttons.
pub struct Poller {
    world: Arc<dyn NasWorld>,
    puller: Arc<Puller>,
    telemetry: Telemetry,
    leases: Leases,
}

impl Poller {
    pub fn new(world: Arc<dyn NasWorld>, puller: Arc<Puller>, telemetry: Telemetry) -> Self {
        Self {
            world,
            puller,
            leases: Leases::new(telemetry.clone()),
            telemetry,
        }
    }

    pub async fn nas_devices(&self) -> Result<Vec<PullTarget>, String> {
        self.world.nas_devices().await
    }

    /// The settings in force now.
    pub async fn settings(&self) -> Result<FdbSettingsValues, String> {
        self.world.settings().await
    }

    /// Polls one NAS under its lease, and records the poll.
    #[tracing::instrument(name = "nas_poll", skip(self, d, meta), fields(device = %d.name))]
    pub async fn poll(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let lease = format!("{LEASE_PREFIX}{}", d.device_id);
        let run = async {
            let outcome = self.poll_inner(d, meta).await;
            if let Outcome::Failed(reason) = &outcome {
                tracing::warn!(address = %d.address, %reason, "NAS poll failed; its sessions stay as last seen");
            }
            outcome
        };
        let ttl = Duration::from_secs(120);
        recorded(
            &self.leases,
            &self.telemetry,
            "nas",
            &d.device_id,
            lease,
            ttl,
            run,
        )
        .await
    }

    async fn poll_inner(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let Some(command) = d.dialect.ppp_sessions_command() else {
            return Outcome::Failed(format!(
                "{} has no PPPoE session listing",
                d.dialect.label()
            ));
        };
        let (output, _transcript) = self.puller.run_command(d, command, meta).await;
        let output = match output {
            Ok(o) => o,
            Err(reason) => return Outcome::Failed(reason),
        };
        let sessions = match d.dialect.parse_ppp_sessions(&output) {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("the session list could not be read: {e}")),
        };
        let now = chrono::Utc::now().timestamp();
        let (id, rows) = (d.device_id.clone(), sessions.clone());
        if let Err(e) = self
            .telemetry
            .blocking(move |t| t.record_sessions_blocking(&id, now, &rows))
            .await
        {
            return Outcome::Failed(format!("keeping the sessions: {e}"));
        }
        match self.rebind(d, &sessions, meta).await {
            Ok(rebound) => Outcome::Polled {
                sessions: sessions.len(),
                rebound,
            },
            Err(e) => Outcome::Failed(format!("recording bindings: {e}")),
        }
    }

    /// Commands each login whose MAC or IP differs from the read model.
    async fn rebind(
        &self,
        d: &PullTarget,
        sessions: &[PppSession],
        meta: &Metadata,
    ) -> Result<usize, String> {
        let mut rebound = 0;
        let mut failed = Vec::new();
        for chunk in sessions.chunks(500) {
            let logins: Vec<String> = chunk.iter().map(|s| s.name.clone()).collect();
            let known = self.world.bindings(logins).await?;
            for s in chunk {
                let binding = Binding {
                    mac: s.mac.clone(),
                    ip: s.address.clone(),
                    nas_id: d.device_id.clone(),
                    nas: d.name.clone(),
                };
                let same = known
                    .get(&s.name)
                    .is_some_and(|b| b.mac == binding.mac && b.ip == binding.ip);
                if same {
                    continue;
                }
                let cmd = LoginCommand::Bind { binding };
                match self
                    .world
                    .login_command(s.name.clone(), cmd, meta.clone())
                    .await
                {
                    Ok(recorded) => rebound += usize::from(recorded),
                    Err(e) => {
                        tracing::warn!(login = %s.name, error = %e, "recording a login's binding failed");
                        failed.push(s.name.clone());
                    }
                }
            }
        }
        if failed.is_empty() {
            Ok(rebound)
        } else {
            Err(format!(
                "{} bindings could not be recorded (first: {})",
                failed.len(),
                failed[0]
            ))
        }
    }
}

#[cfg(test)]
mod tests;
