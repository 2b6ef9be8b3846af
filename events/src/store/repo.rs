//! cqrs-es `PersistedEventRepository` over the SQLite event store.
//!
//! Used in cqrs-es "aggregate store" mode: every commit writes the aggregate's
//! snapshot in the same transaction, so loading an aggregate is one row read.

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use serde_json::Value;

use super::cache::{self, CachedSnapshot};
use super::{read, EventStore, StoreError, StoredEvent};

#[derive(Clone)]
pub struct SqliteRepository {
    store: EventStore,
}

impl SqliteRepository {
    pub fn new(store: EventStore) -> Self {
        Self { store }
    }
}

impl From<StoreError> for PersistenceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => PersistenceError::OptimisticLockError,
            StoreError::Sqlite(e) => PersistenceError::ConnectionError(Box::new(e)),
            StoreError::Json(e) => PersistenceError::DeserializationError(Box::new(e)),
            other => PersistenceError::UnknownError(Box::new(other)),
        }
    }
}

/// A stored row as cqrs-es reads it, upcast to its type's current version.
fn to_serialized(e: StoredEvent) -> Result<SerializedEvent, PersistenceError> {
    let mut payload = serde_json::from_str(&e.payload)?;
    let event_version = super::upcast::upcast(
        &e.aggregate_type,
        &e.event_type,
        &e.event_version,
        &mut payload,
    );
    Ok(SerializedEvent {
        aggregate_id: e.aggregate_id,
        sequence: e.aggregate_seq as usize,
        aggregate_type: e.aggregate_type,
        event_type: e.event_type,
        event_version,
        payload,
        metadata: serde_json::from_str(&e.metadata)?,
    })
}

impl SqliteRepository {
    async fn events_after(
        &self,
        aggregate_type: &'static str,
        aggregate_id: &str,
        after: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let id = aggregate_id.to_string();
        let rows = self
            .store
            .read(move |c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {} FROM events WHERE aggregate_type = ?1 AND aggregate_id = ?2
                       AND aggregate_seq > ?3 ORDER BY aggregate_seq",
                    read::COLUMNS
                ))?;
                let rows = stmt.query_map(
                    rusqlite::params![aggregate_type, id, after as u64],
                    StoredEvent::from_row,
                )?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        rows.into_iter().map(to_serialized).collect()
    }
}

impl PersistedEventRepository for SqliteRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.events_after(A::TYPE, aggregate_id, 0).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.events_after(A::TYPE, aggregate_id, last_sequence)
            .await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        let key = cache::key(A::TYPE, aggregate_id);
        let cached = match self.store.inner.snapshots.get(&key) {
            Some(c) => Some(c),
            None => {
                let id = aggregate_id.to_string();
                let row = self
                    .store
                    .read(move |c| read::snapshot(c, A::TYPE, &id))
                    .await?;
                match row {
                    None => None,
                    Some((payload, last_sequence, version)) => {
                        let snap = CachedSnapshot {
                            payload: serde_json::from_str(&payload)?,
                            last_sequence,
                            version,
                        };
                        self.store.inner.snapshots.offer(key, snap.clone());
                        Some(snap)
                    }
                }
            }
        };
        Ok(cached.map(|s| SerializedSnapshot {
            aggregate_id: aggregate_id.to_string(),
            aggregate: s.payload,
            current_sequence: s.last_sequence as usize,
            current_snapshot: s.version as usize,
        }))
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if events.is_empty() {
            return Ok(());
        }
        self.store.append_events(events, snapshot_update).await?;
        Ok(())
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let events = self.get_events::<A>(aggregate_id).await?;
        feed(events).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        let rows = self
            .store
            .read(|c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {} FROM events WHERE aggregate_type = ?1 ORDER BY seq",
                    read::COLUMNS
                ))?;
                let rows = stmt.query_map([A::TYPE], StoredEvent::from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let events = rows
            .into_iter()
            .map(to_serialized)
            .collect::<Result<Vec<_>, _>>()?;
        feed(events).await
    }
}

async fn feed(events: Vec<SerializedEvent>) -> Result<ReplayStream, PersistenceError> {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    for e in events {
        feed.push(Ok(e)).await?;
    }
    Ok(stream)
}
