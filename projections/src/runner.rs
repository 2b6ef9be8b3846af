//! The projection runner: tails the log by sequence and folds each batch into
//! every projection in one `views.db` transaction, checkpoints included.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ispmon_events::sqlite::{open_rw, Pool};
use ispmon_events::store::read::since;
use ispmon_events::{EventStore, StoredEvent};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{Envelope, Projection};

/// Events folded per transaction.
pub const BATCH: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ViewsError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("event {seq} cannot be decoded: {err}")]
    Decode { seq: u64, err: serde_json::Error },
    #[error("event store: {0}")]
    Store(#[from] ispmon_events::StoreError),
    #[error("{0}")]
    Other(String),
}

pub(crate) fn schema_hash(p: &dyn Projection) -> String {
    hex::encode(Sha256::digest(p.schema().as_bytes()))
}

/// Opens `views.db` read-write, creating every projection's tables and
/// resetting any whose schema changed. Returns the checkpoints.
pub fn open_views(
    path: &Path,
    projections: &[Box<dyn Projection>],
    full_sync: bool,
) -> Result<(Connection, Vec<u64>), ViewsError> {
    let conn = open_rw(path, full_sync)?;
    conn.execute_batch(include_str!("../../migrations/views/0000_checkpoints.sql"))?;
    let mut cps = Vec::with_capacity(projections.len());
    for p in projections {
        let hash = schema_hash(p.as_ref());
        let row: Option<(u64, String)> = crate::opt(conn.query_row(
            "SELECT seq, schema_hash FROM checkpoints WHERE projection = ?1",
            [p.name()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ))?;
        match row {
            Some((seq, h)) if h == hash => cps.push(seq),
            other => {
                if other.is_some() {
                    tracing::warn!(
                        projection = p.name(),
                        "schema changed: rebuilding from the start of the log"
                    );
                }
                let mut sql = String::from("BEGIN;");
                for t in p.tables() {
                    sql.push_str(&format!("DROP TABLE IF EXISTS {t};"));
                }
                sql.push_str(p.schema());
                sql.push_str(";COMMIT;");
                conn.execute_batch(&sql)?;
                conn.execute(
                    "INSERT INTO checkpoints (projection, seq, schema_hash) VALUES (?1, 0, ?2)
                     ON CONFLICT (projection) DO UPDATE SET seq = 0, schema_hash = excluded.schema_hash",
                    params![p.name(), hash],
                )?;
                cps.push(0);
            }
        }
    }
    Ok((conn, cps))
}

/// Folds `events` (ascending) into the projections whose checkpoint (and
/// optional upper `limit`) admit them, in one transaction with the checkpoints.
pub(crate) fn apply_batch<E: Borrow<StoredEvent>>(
    conn: &mut Connection,
    projections: &[Box<dyn Projection>],
    cps: &mut [u64],
    limits: Option<&[u64]>,
    events: &[E],
) -> Result<(), ViewsError> {
    let envs = events
        .iter()
        .map(|ev| {
            let ev = ev.borrow();
            Envelope::decode(ev).map_err(|err| ViewsError::Decode { seq: ev.seq, err })
        })
        .collect::<Result<Vec<_>, _>>()?;
    apply_decoded(conn, projections, cps, limits, &envs)
}

/// [`apply_batch`] over events already decoded.
pub(crate) fn apply_decoded(
    conn: &mut Connection,
    projections: &[Box<dyn Projection>],
    cps: &mut [u64],
    limits: Option<&[u64]>,
    envs: &[Envelope<'_>],
) -> Result<(), ViewsError> {
    let Some(last) = envs.last().map(|e| e.stored) else {
        return Ok(());
    };
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process's runner (the CLI's) may have moved the checkpoints.
    for (i, p) in projections.iter().enumerate() {
        let seq: u64 = tx
            .prepare_cached("SELECT seq FROM checkpoints WHERE projection = ?1")?
            .query_row([p.name()], |r| r.get(0))?;
        cps[i] = cps[i].max(seq);
    }
    // Projections own disjoint tables and never read each other's, so each
    // folds its admitted run of the batch (contiguous: the batch ascends)
    // in turn.
    for (i, p) in projections.iter().enumerate() {
        let from = envs.partition_point(|e| e.stored.seq <= cps[i]);
        let to = limits.map_or(envs.len(), |l| {
            envs.partition_point(|e| e.stored.seq <= l[i])
        });
        if from < to {
            p.apply_all(&tx, &envs[from..to])?;
        }
    }
    let mut new = cps.to_vec();
    for (i, p) in projections.iter().enumerate() {
        let target = limits.map_or(last.seq, |l| l[i].min(last.seq));
        if target > cps[i] {
            tx.prepare_cached("UPDATE checkpoints SET seq = ?1 WHERE projection = ?2")?
                .execute(params![target, p.name()])?;
            new[i] = target;
        }
    }
    tx.commit()?;
    cps.copy_from_slice(&new);
    Ok(())
}

/// Handle to the read models: a read pool and the projection progress.
#[derive(Clone)]
pub struct Views {
    pool: Arc<Pool>,
    path: PathBuf,
    progress: watch::Receiver<u64>,
    checkpoints: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl Views {
    /// Opens `views.db`, catches up with the log and keeps following it until
    /// `cancel` fires (or the tokio runtime that started it shuts down). The
    /// runner is a named thread: it owns the `views.db` write connection, as
    /// the event writer owns `events.db`'s, and is woken by the writer
    /// directly, so a command's wait for its read models takes no hops
    /// through the async workers or the blocking pool.
    pub fn start(
        store: EventStore,
        path: &Path,
        full_sync: bool,
        cancel: CancellationToken,
    ) -> Result<Self, ViewsError> {
        let projections = Arc::new(crate::all());
        let (conn, cps) = open_views(path, &projections, full_sync)?;
        let min = cps.iter().copied().min().unwrap_or(0);
        let (progress_tx, progress) = watch::channel(min);
        let checkpoints = Arc::new(Mutex::new(
            projections
                .iter()
                .map(|p| p.name())
                .zip(cps.iter().copied())
                .collect(),
        ));
        let views = Self {
            pool: Pool::new(path),
            path: path.to_path_buf(),
            progress,
            checkpoints: Arc::clone(&checkpoints),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let runner = Runner {
            store: store.clone(),
            projections,
            progress: progress_tx,
            checkpoints,
            stop: Arc::clone(&stop),
        };
        std::thread::Builder::new()
            .name("projection-runner".into())
            .spawn(move || {
                let _span = tracing::info_span!("projection-runner").entered();
                runner.run(conn, cps);
            })
            .map_err(|e| ViewsError::Other(format!("spawn projection runner: {e}")))?;
        // Stops the runner on cancel, and when the runtime that started it
        // shuts down (which drops this task).
        let guard = StopRunner { stop, store };
        tokio::spawn(async move {
            cancel.cancelled().await;
            drop(guard);
        });
        Ok(views)
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence every projection has reached.
    pub fn position(&self) -> u64 {
        *self.progress.borrow()
    }

    /// Each projection's checkpoint.
    pub fn checkpoints(&self) -> Vec<(&'static str, u64)> {
        self.checkpoints
            .lock()
            .expect("checkpoints lock")
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    /// Read-your-writes: waits (at most `timeout`) until every projection has
    /// folded the event at `seq`. Returns whether it got there.
    pub async fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        let mut rx = self.progress.clone();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= seq))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Runs a read on the pool.
    pub async fn read<R, F>(&self, f: F) -> rusqlite::Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        self.pool.run(f).await
    }
}

/// Tells the runner thread to stop, when dropped.
struct StopRunner {
    stop: Arc<AtomicBool>,
    store: EventStore,
}

impl Drop for StopRunner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.store.nudge();
    }
}

struct Runner {
    store: EventStore,
    projections: Arc<Vec<Box<dyn Projection>>>,
    progress: watch::Sender<u64>,
    checkpoints: Arc<Mutex<BTreeMap<&'static str, u64>>>,
    stop: Arc<AtomicBool>,
}

impl Runner {
    fn run(self, mut conn: Connection, mut cps: Vec<u64>) {
        // Whether to look in the log: at start (catching up), on every tick
        // (appends by other processes, which this process's head does not
        // show) and for as long as such reads find events.
        let mut read_log = true;
        while !self.stop.load(Ordering::Relaxed) {
            // Taken before looking for work, so no commit goes unnoticed.
            let generation = self.store.commit_generation();
            let from = cps.iter().copied().min().unwrap_or(0);
            // Events this process has just committed come from memory;
            // anything else comes from the log.
            let result = match self.store.recent(from, BATCH) {
                Some(events) => self.fold(&mut conn, &mut cps, &events),
                None if read_log || self.store.head() > from => {
                    match self.store.readers().with(|c| since(c, from, BATCH)) {
                        Ok(events) => self.fold(&mut conn, &mut cps, &events),
                        Err(e) => Err(Step::Read(e)),
                    }
                }
                None => Ok(0),
            };
            match result {
                Ok(0) => {
                    // Woken by this process's next commit; the tick catches
                    // appends by other processes (the CLI).
                    let now = self.store.wait_commit(generation, TICK);
                    read_log = now == generation;
                }
                Ok(_) => {}
                Err(step) => {
                    match step {
                        Step::Read(e) => {
                            tracing::error!(error = %e, "projection runner cannot read the log; retrying")
                        }
                        Step::Fold(e) => {
                            tracing::error!(error = %e, "projection batch failed; retrying")
                        }
                    }
                    read_log = true;
                    self.pause(Duration::from_secs(1));
                }
            }
        }
        tracing::debug!("projection runner stopped");
    }

    /// Folds `events` and publishes the new position; returns how many.
    fn fold<E: Borrow<StoredEvent>>(
        &self,
        conn: &mut Connection,
        cps: &mut [u64],
        events: &[E],
    ) -> Result<usize, Step> {
        apply_batch(conn, &self.projections, cps, None, events).map_err(Step::Fold)?;
        if !events.is_empty() {
            let mut map = self.checkpoints.lock().expect("checkpoints lock");
            for (p, cp) in self.projections.iter().zip(cps.iter()) {
                map.insert(p.name(), *cp);
            }
            drop(map);
            self.progress
                .send_replace(cps.iter().copied().min().unwrap_or(0));
        }
        Ok(events.len())
    }

    /// Waits `d`, or less when told to stop.
    fn pause(&self, d: Duration) {
        let deadline = std::time::Instant::now() + d;
        while !self.stop.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let generation = self.store.commit_generation();
            self.store.wait_commit(generation, left);
        }
    }
}

/// The longest the runner sleeps without looking at the log.
const TICK: Duration = Duration::from_secs(1);

/// Which half of a runner step failed.
enum Step {
    Read(rusqlite::Error),
    Fold(ViewsError),
}
