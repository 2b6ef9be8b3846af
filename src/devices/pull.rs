//! The config pull's world: how the engine in `ispmon_scheduler::config_pull`
//! sees the application — live devices from the read model, sealed
//! passwords from the secrets table, and storing a config (blob store, then
//! `StoreConfig`). The engine, its job and its outcomes live in the
//! scheduler crate; this is the thin adapter.

use std::sync::Arc;

use ispmon_events::device::{DeviceCommand, StoredConfig};
use ispmon_events::secrets::SecretRef;
use ispmon_events::Metadata;
use ispmon_projections::devices::{self as device_views, DeviceRow};
use ispmon_scheduler::cli::session::{Timeouts, TransportKind};
use ispmon_scheduler::cli::{CliConnector, Dialect};
pub use ispmon_scheduler::config_pull::{Attempt, Outcome, Puller, Report};
use ispmon_scheduler::config_pull::{PullTarget, PullWorld, WorldFuture};

use super::{diff, ConfigCache};
use crate::commands::CommandError;
use crate::core::Core;

/// A device row as the pull engine takes it; an unknown dialect or
/// transport is an error naming it, never a silent default.
pub fn target(d: &DeviceRow) -> Result<PullTarget, String> {
    let dialect =
        Dialect::parse(&d.dialect).ok_or_else(|| format!("unknown dialect {}", d.dialect))?;
    let transport = match d.transport.as_str() {
        "ssh" => TransportKind::Ssh,
        "telnet" => TransportKind::Telnet,
        other => return Err(format!("unknown transport {other}")),
    };
    Ok(PullTarget {
        device_id: d.device_id.clone(),
        name: d.name.clone(),
        address: d.address.clone(),
        port: d.port,
        transport,
        dialect,
        legacy_ssh: d.legacy_ssh,
        login: d.login.clone(),
        password_ref: Some(d.password_ref.clone()).filter(|r| !r.is_empty()),
        enable_ref: d.enable_ref.clone(),
        key_ref: d.key_ref.clone(),
        host_key: d.host_key.clone(),
        mask_secrets: d.mask_secrets,
        last_hash: d.last_hash.clone(),
        tags: d.tags.clone(),
        pull_schedule: d.pull_schedule.clone(),
    })
}

/// Every live device that `keep` admits, as the CLI engines take it; a
/// device whose row cannot be read is left out with a warning naming the
/// engine (`what`).
pub async fn live_targets(
    core: &Core,
    keep: impl Fn(&DeviceRow) -> bool,
    what: &str,
) -> Result<Vec<PullTarget>, String> {
    let rows = core
        .views
        .read(device_views::all_live)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .filter(|d| keep(d))
        .filter_map(|d| match target(d) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(device = %d.name, error = %e, "device skipped by the {what}");
                None
            }
        })
        .collect())
}

/// The application as the config pull sees it.
pub struct AppPullWorld {
    core: Core,
    cache: ConfigCache,
}

/// The engine over this application and the given CLI gateway.
pub fn puller(
    core: &Core,
    cache: ConfigCache,
    cli: Arc<dyn CliConnector>,
    global_sessions: usize,
    timeouts: Timeouts,
) -> Arc<Puller> {
    let world = Arc::new(AppPullWorld {
        core: core.clone(),
        cache,
    });
    Arc::new(Puller::new(
        world,
        cli,
        global_sessions,
        timeouts,
        core.telemetry.clone(),
    ))
}

impl PullWorld for AppPullWorld {
    fn devices(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(live_targets(&self.core, |_| true, "config pull"))
    }

    fn secret(&self, reference: String) -> WorldFuture<'_, Option<String>> {
        Box::pin(async move {
            match self.core.secrets.get(&SecretRef(reference)).await {
                Ok(Some(bytes)) => String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| "the stored password is not text".into()),
                Ok(None) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn store_config(
        &self,
        device_id: String,
        previous_hash: Option<String>,
        text: String,
        meta: Metadata,
    ) -> WorldFuture<'_, Option<u32>> {
        Box::pin(async move {
            self.store(&device_id, previous_hash, text, &meta)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn command(
        &self,
        device_id: String,
        command: DeviceCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            self.core
                .commands
                .device(&device_id, command, &meta)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

impl AppPullWorld {
    async fn store(
        &self,
        device_id: &str,
        previous_hash: Option<String>,
        text: String,
        meta: &Metadata,
    ) -> anyhow::Result<Option<u32>> {
        let hash = ispmon_events::blobs::sha256_hex(text.as_bytes());
        let previous = match &previous_hash {
            Some(h) => self.cache.text(&self.core, h).await?,
            None => None,
        };
        let (added, removed) = diff::summary(previous.as_deref().unwrap_or(""), &text);
        let blobs = self.core.blobs.clone();
        let config = StoredConfig {
            hash: hash.clone(),
            size: text.len() as u64,
            lines: text.lines().count() as u64,
            added,
            removed,
        };
        tokio::task::spawn_blocking(move || blobs.put(text.as_bytes())).await??;
        match self
            .core
            .commands
            .device(device_id, DeviceCommand::StoreConfig { config }, meta)
            .await
        {
            Ok(_) => {}
            Err(CommandError::Conflict) => {
                anyhow::bail!("the device changed meanwhile; pull again")
            }
            Err(e) => anyhow::bail!("{e}"),
        }
        let id = device_id.to_string();
        let row = self
            .core
            .views
            .read(move |c| device_views::get(c, &id))
            .await?;
        Ok(match row {
            Some(r) if r.last_hash.as_deref() == Some(hash.as_str()) => Some(r.versions),
            _ => None,
        })
    }
}
