//! Issuing commands: run through cqrs-es, map errors for the edge, then wait
//! (bounded) until the projections show the result (read-your-writes).

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
use ispmon_events::{DomainError, EventStore, Metadata, StoreError};
use ispmon_projections::Views;

type Framework<A> = CqrsFramework<A, PersistedEventStore<SqliteRepository, A>>;

/// How long a handler waits for its change to reach the read models.
const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The aggregate refused the command: its own error, typed.
    #[error("{0}")]
    Rejected(Rejection),
    /// Another command changed the aggregate first.
    #[error("conflict")]
    Conflict,
    /// A unique key is held by another entity.
    #[error("{0}")]
    Taken(ReservationTaken),
    #[error("{0}")]
    Internal(String),
}

/// An aggregate's refusal, its type kept: where each message goes
/// ([`DomainError::field_errors`]), whether nothing changed, and the error
/// itself for a caller that matches on it ([`Rejection::get`]).
#[derive(Debug)]
pub struct Rejection(Box<dyn DomainError>);

impl Rejection {
    pub fn new(e: impl DomainError) -> Self {
        Self(Box::new(e))
    }

    /// The aggregate's error, when it is an `E`.
    pub fn get<E: DomainError>(&self) -> Option<&E> {
        let e: &(dyn std::error::Error + 'static) = &*self.0;
        e.downcast_ref::<E>()
    }

    pub fn is_unchanged(&self) -> bool {
        self.0.is_unchanged()
    }

    pub fn field_errors(&self) -> Vec<(&'static str, String)> {
        self.0.field_errors()
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl CommandError {
    /// The command changed nothing (the aggregate said so, by type).
    pub fn is_unchanged(&self) -> bool {
        matches!(self, CommandError::Rejected(r) if r.is_unchanged())
    }
}

impl<E: DomainError> From<AggregateError<E>> for CommandError {
    fn from(e: AggregateError<E>) -> Self {
        match e {
            AggregateError::UserError(e) => CommandError::Rejected(Rejection::new(e)),
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

/// The command side of the application. Any registered aggregate's command
/// runs through [`Commands::execute`]; adding an aggregate adds nothing here
/// (the named methods below are shorthands).
#[derive(Clone)]
pub struct Commands {
    store: EventStore,
    views: Views,
}

impl Commands {
    pub fn new(store: EventStore, views: Views) -> Self {
        Self { store, views }
    }

    /// Executes a command that may race another writer of the same
    /// aggregate (two collectors settling one MAC or login): a conflict is
    /// tried again against the new state, up to three times, and a command
    /// that changes nothing is done. Whether an event was recorded.
    pub async fn execute_settled<A>(
        &self,
        id: &str,
        command: A::Command,
        meta: &Metadata,
    ) -> Result<bool, String>
    where
        A: Aggregate<Services = ()>,
        A::Error: DomainError,
        A::Command: Clone,
    {
        for _ in 0..3 {
            match self.execute::<A>(id, command.clone(), meta).await {
                Ok(_) => return Ok(true),
                Err(e) if e.is_unchanged() => return Ok(false),
                Err(CommandError::Conflict) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        Err(format!("{} {id} kept changing under three tries", A::TYPE))
    }

    /// Executes a command on aggregate `A` with id `id`; returns the log
    /// position after it, once the read models have reached it (or the wait
    /// timed out). A framework is a thin handle on the one store, so one is
    /// made per call.
    #[tracing::instrument(skip(self, command, meta), fields(aggregate = A::TYPE, request_id = %meta.request_id))]
    pub async fn execute<A>(
        &self,
        id: &str,
        command: A::Command,
        meta: &Metadata,
    ) -> Result<u64, CommandError>
    where
        A: Aggregate<Services = ()>,
        A::Error: DomainError,
    {
        let fw: Framework<A> = CqrsFramework::new(
            PersistedEventStore::new_aggregate_store(SqliteRepository::new(self.store.clone())),
            vec![],
            (),
        );
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
        self.execute::<Host>(id, command, meta).await
    }

    /// Executes a Folder command.
    pub async fn folder(
        &self,
        id: &str,
        command: FolderCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.execute::<Folder>(id, command, meta).await
    }

    /// Executes a Device command.
    pub async fn device(
        &self,
        id: &str,
        command: DeviceCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.execute::<Device>(id, command, meta).await
    }

    /// Executes a Firmware command.
    pub async fn firmware(
        &self,
        id: &str,
        command: FirmwareCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.execute::<Firmware>(id, command, meta).await
    }

    /// Changes the ICMP settings (a single aggregate).
    pub async fn icmp_settings(
        &self,
        command: IcmpSettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.execute::<IcmpSettings>(SETTINGS_ID, command, meta)
            .await
    }

    /// Changes the notification settings (a single aggregate).
    pub async fn notify_settings(
        &self,
        command: NotifySettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        let id = ispmon_events::notify_settings::SETTINGS_ID;
        self.execute::<NotifySettings>(id, command, meta).await
    }

    /// Changes the Search Port settings (a single aggregate).
    pub async fn fdb_settings(
        &self,
        command: ispmon_events::fdb_settings::FdbSettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        let id = ispmon_events::fdb_settings::SETTINGS_ID;
        self.execute::<ispmon_events::fdb_settings::FdbSettings>(id, command, meta)
            .await
    }

    /// Changes the SLA settings (a single aggregate).
    pub async fn sla_settings(
        &self,
        command: ispmon_events::sla_settings::SlaSettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        let id = ispmon_events::sla_settings::SETTINGS_ID;
        self.execute::<ispmon_events::sla_settings::SlaSettings>(id, command, meta)
            .await
    }

    /// Changes the billing settings (a single aggregate).
    pub async fn billing_settings(
        &self,
        command: ispmon_events::billing_settings::BillingSettingsCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        let id = ispmon_events::billing_settings::SETTINGS_ID;
        self.execute::<ispmon_events::billing_settings::BillingSettings>(id, command, meta)
            .await
    }

    /// Executes a Subscriber command (keyed by the billing's id).
    pub async fn subscriber(
        &self,
        billing_id: &str,
        command: ispmon_events::subscriber::SubscriberCommand,
        meta: &Metadata,
    ) -> Result<u64, CommandError> {
        self.execute::<ispmon_events::subscriber::Subscriber>(billing_id, command, meta)
            .await
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
        self.execute::<User>(user_id, command, meta).await
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

/// A command for the web edge: its refusal as an [`crate::error::AppError`].
pub async fn run<A>(
    commands: &Commands,
    id: &str,
    command: A::Command,
    meta: &Metadata,
) -> crate::error::AppResult<()>
where
    A: Aggregate<Services = ()>,
    A::Error: DomainError,
{
    commands.execute::<A>(id, command, meta).await?;
    Ok(())
}

/// [`run`] for a command whose "nothing changed" is simply done (saving a
/// form as it was, assigning to who already has it).
pub async fn settle<A>(
    commands: &Commands,
    id: &str,
    command: A::Command,
    meta: &Metadata,
) -> crate::error::AppResult<()>
where
    A: Aggregate<Services = ()>,
    A::Error: DomainError,
{
    match commands.execute::<A>(id, command, meta).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_unchanged() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
