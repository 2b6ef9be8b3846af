//! Issuing commands: run through cqrs-es, map errors for the edge, then wait
//! (bounded) until the projections show the result (read-your-writes).

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework};
use ispmon_events::device::{Device, DeviceCommand};
use ispmon_events::firmware::{Firmware, FirmwareCommand};
use ispmon_events::folder::{Folder, FolderCommand};
use ispmon_events::host::{Host, HostCommand};
use ispmon_events::icmp_settings::{IcmpSettings, IcmpSettingsCommand, SETTINGS_ID};
use ispmon_events::notify_settings::{NotifySettings, NotifySettingsCommand};
use ispmon_events::store::{ReservationTaken, SqliteRepository};
use ispmon_events::user::{User, UserCommand};
use ispmon_events::{EventStore, Metadata, StoreError};
use ispmon_projections::Views;

type Framework<A> = CqrsFramework<A, PersistedEventStore<SqliteRepository, A>>;

/// How long a handler waits for its change to reach the read models.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The aggregate refused the command; the message is for the user.
    #[error("{0}")]
    Rejected(String),
    /// Another command changed the aggregate first.
    #[error("conflict")]
    Conflict,
    /// A unique key is held by another entity.
    #[error("{0}")]
    Taken(ReservationTaken),
    #[error("{0}")]
    Internal(String),
}

impl<E: std::error::Error> From<AggregateError<E>> for CommandError {
    fn from(e: AggregateError<E>) -> Self {
        match e {
            AggregateError::UserError(e) => CommandError::Rejected(e.to_string()),
            AggregateError::AggregateConflict => CommandError::Conflict,
            AggregateError::UnexpectedError(b) => match b.downcast_ref::<StoreError>() {
                Some(StoreError::Reserved(t)) => CommandError::Taken(t.clone()),
                Some(StoreError::Conflict) => CommandError::Conflict,
                _ => CommandError::Internal(b.to_string()),
            },
            other => CommandError::Internal(other.to_string()),
        }
    }
}

/// The command side of the application.
#[derive(Clone)]
pub struct Commands {
    users: Arc<Framework<User>>,
    hosts: Arc<Framework<Host>>,
    folders: Arc<Framework<Folder>>,
    icmp_settings: Arc<Framework<IcmpSettings>>,
    notify_settings: Arc<Framework<NotifySettings>>,
    devices: Arc<Framework<Device>>,
    firmware: Arc<Framework<Firmware>>,
    store: EventStore,
    views: Views,
}

fn framework<A: Aggregate<Services = ()>>(store: &EventStore) -> Arc<Framework<A>> {
    let repo = SqliteRepository::new(store.clone());
    Arc::new(CqrsFramework::new(
        PersistedEventStore::new_aggregate_store(repo),
        vec![],
        (),
    ))
}

impl Commands {
    pub fn new(store: EventStore, views: Views) -> Self {
        Self {
            users: framework(&store),
            hosts: framework(&store),
            folders: framework(&store),
            icmp_settings: framework(&store),
            notify_settings: framework(&store),
            devices: framework(&store),
            firmware: framework(&store),
            store,
            views,
        }
    }

    async fn run<A: Aggregate>(
        &self,
        fw: &Framework<A>,
        id: &str,
        command: A::Command,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        fw.execute_with_metadata(id, command, meta.to_map()).await?;
        Ok(self.settle().await)
    }

    /// Executes a Host command (see [`Commands::user`]).
    pub async fn host(
        &self,
        id: &str,
        command: HostCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.hosts, id, command, meta).await
    }

    /// Executes a Folder command.
    pub async fn folder(
        &self,
        id: &str,
        command: FolderCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.folders, id, command, meta).await
    }

    /// Executes a Device command.
    pub async fn device(
        &self,
        id: &str,
        command: DeviceCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.devices, id, command, meta).await
    }

    /// Executes a Firmware command.
    pub async fn firmware(
        &self,
        id: &str,
        command: FirmwareCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.firmware, id, command, meta).await
    }

    /// Changes the ICMP settings (a single aggregate).
    pub async fn icmp_settings(
        &self,
        command: IcmpSettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.icmp_settings, SETTINGS_ID, command, meta)
            .await
    }

    /// Changes the notification settings (a single aggregate).
    pub async fn notify_settings(
        &self,
        command: NotifySettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        let id = ispmon_events::notify_settings::SETTINGS_ID;
        self.run(&self.notify_settings, id, command, meta).await
    }

    /// Executes a User command; returns the log position after it, once the
    /// read models have reached it (or the wait timed out).
    #[tracing::instrument(skip(self, command, meta), fields(request_id = %meta.request_id))]
    pub async fn user(
        &self,
        user_id: &str,
        command: UserCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.run(&self.users, user_id, command, meta).await
    }

    /// Waits until the projections reach the current head of the log.
    pub async fn settle(&self) -> u64 {
        let seq = self.store.head();
        if !self.views.wait_for(seq, READ_YOUR_WRITES).await {
            tracing::warn!(seq, "read models did not catch up in time");
        }
        seq
    }
}
