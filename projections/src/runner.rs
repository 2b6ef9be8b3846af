//! The projection runner: tails the log by sequence and folds each batch into
//! every projection in one `views.db` transaction, checkpoints included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ispmon_events::sqlite::{open_rw, Pool};
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
pub(crate) fn apply_batch(
    conn: &mut Connection,
    projections: &[Box<dyn Projection>],
    cps: &mut [u64],
    limits: Option<&[u64]>,
    events: &[StoredEvent],
) -> Result<(), ViewsError> {
    let Some(last) = events.last() else {
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
    for ev in events {
        let env = Envelope::decode(ev).map_err(|err| ViewsError::Decode { seq: ev.seq, err })?;
        for (i, p) in projections.iter().enumerate() {
            let admitted = ev.seq > cps[i] && limits.is_none_or(|l| ev.seq <= l[i]);
            if admitted {
                p.apply(&tx, &env)?;
            }
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
    /// `cancel` fires. The runner is a named tokio task.
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
        tokio::spawn(tracing::Instrument::instrument(
            run(
                store,
                conn,
                cps,
                projections,
                progress_tx,
                checkpoints,
                cancel,
            ),
            tracing::info_span!("projection-runner"),
        ));
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

async fn run(
    store: EventStore,
    conn: Connection,
    cps: Vec<u64>,
    projections: Arc<Vec<Box<dyn Projection>>>,
    progress: watch::Sender<u64>,
    checkpoints: Arc<Mutex<BTreeMap<&'static str, u64>>>,
    cancel: CancellationToken,
) {
    let mut head = store.subscribe();
    let mut state = Some((conn, cps));
    loop {
        head.borrow_and_update();
        let (conn, cps) = state.take().expect("runner state");
        let from = cps.iter().copied().min().unwrap_or(0);
        let events = match store.since(from, BATCH).await {
            Ok(ev) => ev,
            Err(e) => {
                tracing::error!(error = %e, "projection runner cannot read the log; retrying");
                state = Some((conn, cps));
                if pause(&cancel, Duration::from_secs(1)).await {
                    break;
                }
                continue;
            }
        };
        if events.is_empty() {
            state = Some((conn, cps));
            // Woken on append; the tick also catches appends by other
            // processes (the CLI) that this process's writer did not make.
            tokio::select! {
                r = head.changed() => if r.is_err() { break },
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
                _ = cancel.cancelled() => break,
            }
            continue;
        }
        let projs = Arc::clone(&projections);
        let joined = tokio::task::spawn_blocking(move || {
            let (mut conn, mut cps) = (conn, cps);
            let r = apply_batch(&mut conn, &projs, &mut cps, None, &events);
            (conn, cps, r)
        })
        .await;
        let Ok((conn, cps, result)) = joined else {
            tracing::error!("projection batch panicked; runner stops");
            break;
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "projection batch failed; retrying");
            state = Some((conn, cps));
            if pause(&cancel, Duration::from_secs(1)).await {
                break;
            }
            continue;
        }
        {
            let mut map = checkpoints.lock().expect("checkpoints lock");
            for (p, cp) in projections.iter().zip(&cps) {
                map.insert(p.name(), *cp);
            }
        }
        progress.send_replace(cps.iter().copied().min().unwrap_or(0));
        state = Some((conn, cps));
        if cancel.is_cancelled() {
            break;
        }
    }
    tracing::debug!("projection runner stopped");
}

/// Waits `d` unless cancelled first; returns true when cancelled.
async fn pause(cancel: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = cancel.cancelled() => true,
    }
}
