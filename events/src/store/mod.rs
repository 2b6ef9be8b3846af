//! The SQLite event store.
//!
//! - `writer`: the one thread that owns the write connection; group commit.
//! - `cache`: the latest snapshots of recently used aggregates, in memory.
//! - `checkpoint`: the thread that checkpoints the WAL beside the writer.
//! - `feed`: the events this process committed last, for the projections.
//! - `chain`: the hash chain over the log.
//! - `read`: queries over the log (aggregate loads, tailing, audit filters).
//! - `repo`: the cqrs-es `PersistedEventRepository` over this store.
//! - [`upcast`]: old event versions read in their type's current shape.

mod cache;
mod chain;
mod checkpoint;
mod feed;
pub mod read;
mod repo;
pub mod upcast;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cqrs_es::persist::SerializedEvent;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

pub use chain::{chain_hash, verify_chain, ChainError, GENESIS};
pub use read::{EventFilter, StoredEvent};
pub use repo::SqliteRepository;

use crate::sqlite::Pool;

const MIGRATIONS: &[(&str, &str)] = &[(
    "0001_init",
    include_str!("../../../migrations/events/0001_init.sql"),
)];

/// How hard a commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: an acknowledged command survives power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives a process crash; the last commits may be
    /// lost on power loss. Faster.
    Normal,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("optimistic concurrency conflict")]
    Conflict,
    #[error("{0}")]
    Reserved(#[from] ReservationTaken),
    #[error("the event store writer has stopped")]
    Closed,
    #[error("secret: {0}")]
    Crypto(String),
}

/// A unique key (a login, an IP) is already held by another aggregate.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{scope} '{key}' is already taken")]
pub struct ReservationTaken {
    pub scope: String,
    pub key: String,
}

pub(crate) enum WriteOp {
    Append {
        events: Vec<writer::NewEvent>,
        snapshot: Option<writer::NewSnapshot>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    PutSecret {
        row: crate::secrets::SecretRow,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
}

struct Inner {
    path: PathBuf,
    tx: mpsc::UnboundedSender<WriteOp>,
    readers: Arc<Pool>,
    head: watch::Receiver<u64>,
    appended: AtomicU64,
    snapshots: Arc<cache::SnapshotCache>,
    feed: Arc<feed::Feed>,
    commits: Arc<CommitSignal>,
}

/// A counter bumped on every commit (and by [`EventStore::nudge`]) that
/// threads can block on; async code watches [`EventStore::subscribe`].
#[derive(Default)]
pub(crate) struct CommitSignal {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl CommitSignal {
    pub(crate) fn bump(&self) {
        *self.generation.lock().expect("commit signal lock") += 1;
        self.changed.notify_all();
    }
}

/// Handle to the event store; cheap to clone.
#[derive(Clone)]
pub struct EventStore {
    inner: Arc<Inner>,
}

impl EventStore {
    /// Opens (creating and migrating if needed) `events.db` at `path` and
    /// starts the writer and checkpointer threads.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let full = durability == Durability::Full;
        let conn = crate::sqlite::open_rw(path, full)?;
        migrate(&conn)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_AUTOCHECKPOINT,
        )?;
        let ckpt_conn = checkpoint::open(path, full)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let tail = read::tail(&conn)?;
        let (head_tx, head) = watch::channel(tail.0);
        let snapshots = Arc::new(cache::SnapshotCache::default());
        let feed = Arc::new(feed::Feed::default());
        let commits = Arc::new(CommitSignal::default());
        let (ckpt_tx, ckpt_rx) = std::sync::mpsc::sync_channel(1);
        let outlets = writer::Outlets {
            head: head_tx,
            cache: Arc::clone(&snapshots),
            feed: Arc::clone(&feed),
            signal: Arc::clone(&commits),
            checkpointer: ckpt_tx,
        };
        std::thread::Builder::new()
            .name("event-checkpoint".into())
            .spawn(move || checkpoint::run(ckpt_conn, ckpt_rx))
            .map_err(|e| StoreError::Crypto(format!("spawn checkpointer: {e}")))?;
        std::thread::Builder::new()
            .name("event-writer".into())
            .spawn(move || writer::run(conn, rx, tail, outlets))
            .map_err(|e| StoreError::Crypto(format!("spawn writer: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                tx,
                // Aggregates load from the snapshot cache first; what
                // reaches SQLite is one aggregate's few rows.
                readers: Pool::with_page_cache(path, 256),
                head,
                appended: AtomicU64::new(0),
                snapshots,
                feed,
                commits,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn readers(&self) -> &Arc<Pool> {
        &self.inner.readers
    }

    /// The global sequence of the last committed event.
    pub fn head(&self) -> u64 {
        *self.inner.head.borrow()
    }

    /// A receiver that changes whenever events are committed.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.head.clone()
    }

    /// How many times this process has committed (or been nudged); pass it
    /// to [`Self::wait_commit`].
    pub fn commit_generation(&self) -> u64 {
        *self
            .inner
            .commits
            .generation
            .lock()
            .expect("commit signal lock")
    }

    /// Blocks the calling thread until the commit generation moves past
    /// `seen`, at most `timeout`; returns the generation. For threads (the
    /// projection runner); async code uses [`Self::subscribe`].
    pub fn wait_commit(&self, seen: u64, timeout: Duration) -> u64 {
        let signal = &self.inner.commits;
        let guard = signal.generation.lock().expect("commit signal lock");
        let (guard, _) = signal
            .changed
            .wait_timeout_while(guard, timeout, |g| *g == seen)
            .expect("commit signal lock");
        *guard
    }

    /// Wakes every thread blocked in [`Self::wait_commit`].
    pub fn nudge(&self) {
        self.inner.commits.bump();
    }

    /// Events appended by this process since start.
    pub fn appended_total(&self) -> u64 {
        self.inner.appended.load(Ordering::Relaxed)
    }

    /// Appends the events of one command (all or nothing), with the snapshot
    /// of its aggregate. Returns the global sequence of the last event.
    pub async fn append(
        &self,
        events: Vec<SerializedEvent>,
        snapshot: Option<(String, Value, usize)>,
    ) -> Result<u64, StoreError> {
        self.append_events(&events, snapshot).await
    }

    pub(crate) async fn append_events(
        &self,
        events: &[SerializedEvent],
        snapshot: Option<(String, Value, usize)>,
    ) -> Result<u64, StoreError> {
        // JSON encoding happens here, on the caller's task: the writer
        // thread is the one place every command passes through.
        let events = events
            .iter()
            .map(writer::NewEvent::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let snapshot = snapshot.map(writer::NewSnapshot::encode).transpose()?;
        let n = events.len() as u64;
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .send(WriteOp::Append {
                events,
                snapshot,
                reply,
            })
            .map_err(|_| StoreError::Closed)?;
        let seq = rx.await.map_err(|_| StoreError::Closed)??;
        self.inner.appended.fetch_add(n, Ordering::Relaxed);
        Ok(seq)
    }

    pub(crate) async fn put_secret(
        &self,
        row: crate::secrets::SecretRow,
    ) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .send(WriteOp::PutSecret { row, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)??;
        Ok(())
    }

    /// Runs a read on the pool.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        Ok(self.inner.readers.run(f).await?)
    }

    /// Events of the log matching `filter`, newest first.
    pub async fn query(&self, filter: EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(move |c| read::query(c, &filter)).await
    }

    /// Events with `seq > after`, oldest first, at most `limit`, if this
    /// process committed them recently: no read of the log. `None` when they
    /// are not in memory (read them with [`Self::since`]).
    pub fn recent(&self, after: u64, limit: usize) -> Option<Vec<Arc<StoredEvent>>> {
        self.inner.feed.since(after, limit)
    }

    /// Events with `seq > after`, oldest first, at most `limit`.
    pub async fn since(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(move |c| read::since(c, after, limit)).await
    }

    /// All events of one aggregate, oldest first, optionally only those
    /// recorded at or before `until` (RFC 3339).
    pub async fn aggregate_events(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        until: Option<String>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (t, id) = (aggregate_type.to_string(), aggregate_id.to_string());
        self.read(move |c| read::for_aggregate(c, &t, &id, until.as_deref()))
            .await
    }
}

fn migrate(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    for (name, sql) in MIGRATIONS {
        let done: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !done {
            conn.execute_batch(&format!("BEGIN; {sql}; COMMIT;"))?;
            conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)",
                rusqlite::params![name, now_rfc3339()],
            )?;
        }
    }
    Ok(())
}

/// The current UTC time as the log writes it: RFC 3339 with microseconds.
pub fn now_rfc3339() -> String {
    // Same text as `format("%Y-%m-%dT%H:%M:%S%.6fZ")`, without parsing a
    // format string for every event the writer stamps.
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
