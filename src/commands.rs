//! Issuing commands: run through cqrs-es, map errors for the edge, then wait
//! (bounded) until the projections show the result (read-your-writes).

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, CqrsFramework};
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
    store: EventStore,
    views: Views,
}

impl Commands {
    pub fn new(store: EventStore, views: Views) -> Self {
        let repo = SqliteRepository::new(store.clone());
        Self {
            users: Arc::new(CqrsFramework::new(
                PersistedEventStore::new_aggregate_store(repo),
                vec![],
                (),
            )),
            store,
            views,
        }
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
        self.users
            .execute_with_metadata(user_id, command, meta.to_map())
            .await?;
        Ok(self.settle().await)
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
