//! Replay from zero, and verification of the live read models against a
//! fresh replay.

use std::path::{Path, PathBuf};

use ispmon_events::sqlite::open_ro;
use ispmon_events::store::read::since;
use ispmon_events::StoredEvent;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::runner::{apply_decoded, open_views, ViewsError};
use crate::{Decoded, Envelope, Projection};

/// Events read, decoded and folded per transaction during a replay.
const REPLAY_BATCH: usize = 50_000;

/// The replay connection's page cache (negative: KiB). Large enough for the
/// indexes the projections insert into at random places (a session's user),
/// so they are not read back from the file; SQLite only takes what it uses.
const REPLAY_CACHE_KIB: i64 = -524_288;

/// A batch of the log as the reader thread hands it over: the stored events
/// and, in the same order, their decoded payloads.
type ReadBatch = Result<(Vec<StoredEvent>, Vec<Decoded>), ViewsError>;

/// Replays the log at `events_path` into a fresh read-model file at `target`
/// (replaced if present). Each projection stops at its `limits` entry when
/// given. Returns the number of events read.
pub fn replay_into(
    events_path: &Path,
    target: &Path,
    limits: Option<&[u64]>,
) -> Result<u64, ViewsError> {
    remove_db(target)?;
    let projections = crate::all();
    let (mut conn, mut cps) = open_views(target, &projections, false)?;
    // The file is fresh and nobody sees it until the replay is done (a failed
    // replay is thrown away), so it is built without a rollback journal,
    // without syncs, with an exclusive lock held throughout and a large page
    // cache: the projections' lookups hit pages all over the file, and
    // fetching them through system calls, plus a journal, was most of the
    // replay's time.
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.pragma_update(None, "cache_size", REPLAY_CACHE_KIB)?;
    let stop = limits.map(|l| l.iter().copied().max().unwrap_or(0));
    // Reading and decoding the log run on their own thread, a batch ahead of
    // the folding.
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let reader = {
        let events_path = events_path.to_path_buf();
        std::thread::Builder::new()
            .name("replay-reader".into())
            .spawn(move || read_log(&events_path, stop, tx))
            .map_err(|e| ViewsError::Other(format!("spawn replay reader: {e}")))?
    };
    let mut n = 0;
    for batch in rx {
        let (stored, decoded) = batch?;
        let envs: Vec<Envelope<'_>> = stored
            .iter()
            .zip(decoded)
            .filter(|(s, _)| stop.is_none_or(|stop| s.seq <= stop))
            .map(|(stored, event)| Envelope { stored, event })
            .collect();
        if envs.is_empty() {
            break;
        }
        n += envs.len() as u64;
        apply_decoded(&mut conn, &projections, &mut cps, limits, &envs)?;
    }
    let _ = reader.join();
    conn.pragma_update(None, "locking_mode", "NORMAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    // Nothing above synced the pages written with synchronous=OFF.
    std::fs::File::open(target)
        .and_then(|f| f.sync_all())
        .map_err(|e| ViewsError::Other(format!("{}: {e}", target.display())))?;
    Ok(n)
}

/// Sends the log in batches, decoded, from the start, until it ends or
/// passes `stop`.
fn read_log(events_path: &Path, stop: Option<u64>, tx: std::sync::mpsc::SyncSender<ReadBatch>) {
    let events = match open_ro(events_path) {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Err(e.into()));
            return;
        }
    };
    let mut from = 0;
    loop {
        let batch = since(&events, from, REPLAY_BATCH)
            .map_err(ViewsError::from)
            .and_then(|stored| {
                let decoded = stored
                    .iter()
                    .map(|ev| {
                        Envelope::decode(ev)
                            .map(|e| e.event)
                            .map_err(|err| ViewsError::Decode { seq: ev.seq, err })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((stored, decoded))
            });
        let last = batch
            .as_ref()
            .ok()
            .and_then(|(b, _)| b.last().map(|e| e.seq));
        if tx.send(batch).is_err() {
            return;
        }
        match last {
            Some(seq) if stop.is_none_or(|s| seq < s) => from = seq,
            _ => return,
        }
    }
}

/// Rebuilds the read models at `views_path` from zero: replays into a
/// sibling file, then swaps it in. The server must not be running.
pub fn rebuild(events_path: &Path, views_path: &Path) -> Result<u64, ViewsError> {
    let fresh = sibling(views_path, "rebuild");
    let n = replay_into(events_path, &fresh, None)?;
    remove_db(views_path)?;
    std::fs::rename(&fresh, views_path).map_err(|e| ViewsError::Other(e.to_string()))?;
    Ok(n)
}

/// A projection whose live rows differ from a fresh replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub projection: &'static str,
    pub table: &'static str,
    pub checkpoint: u64,
}

/// Compares every live read model with a fresh replay of the log up to the
/// same checkpoint; returns the projections checked or the first mismatch.
pub fn verify(
    events_path: &Path,
    views_path: &Path,
) -> Result<Result<usize, Mismatch>, ViewsError> {
    let projections = crate::all();
    let live = open_ro(views_path)?;
    live.execute_batch("BEGIN")?;
    let mut limits = Vec::new();
    let mut live_hashes = Vec::new();
    for p in &projections {
        let cp: u64 = crate::opt(live.query_row(
            "SELECT seq FROM checkpoints WHERE projection = ?1",
            [p.name()],
            |r| r.get(0),
        ))?
        .unwrap_or(0);
        limits.push(cp);
        live_hashes.push(table_hashes(&live, p.as_ref())?);
    }
    live.execute_batch("COMMIT")?;
    let scratch = sibling(views_path, "verify");
    replay_into(events_path, &scratch, Some(&limits))?;
    let fresh = open_ro(&scratch)?;
    let mut result = Ok(projections.len());
    'outer: for (i, p) in projections.iter().enumerate() {
        let hashes = table_hashes(&fresh, p.as_ref())?;
        for (j, table) in p.tables().iter().enumerate() {
            if hashes[j] != live_hashes[i][j] {
                result = Err(Mismatch {
                    projection: p.name(),
                    table,
                    checkpoint: limits[i],
                });
                break 'outer;
            }
        }
    }
    drop(fresh);
    remove_db(&scratch)?;
    Ok(result)
}

/// A digest of every row of each of the projection's tables, in a stable order.
fn table_hashes(conn: &Connection, p: &dyn Projection) -> rusqlite::Result<Vec<String>> {
    p.tables()
        .iter()
        .map(|t| {
            let ncols: usize = conn.query_row(
                &format!("SELECT COUNT(*) FROM pragma_table_info('{t}')"),
                [],
                |r| r.get(0),
            )?;
            let order: Vec<String> = (1..=ncols.max(1)).map(|i| i.to_string()).collect();
            let mut stmt =
                conn.prepare(&format!("SELECT * FROM {t} ORDER BY {}", order.join(",")))?;
            let mut rows = stmt.query([])?;
            let mut h = Sha256::new();
            while let Some(r) = rows.next()? {
                for i in 0..ncols {
                    match r.get_ref(i)? {
                        ValueRef::Null => h.update(b"N"),
                        ValueRef::Integer(v) => {
                            h.update(b"I");
                            h.update(v.to_le_bytes());
                        }
                        ValueRef::Real(v) => {
                            h.update(b"R");
                            h.update(v.to_le_bytes());
                        }
                        ValueRef::Text(b) | ValueRef::Blob(b) => {
                            h.update(b"T");
                            h.update((b.len() as u64).to_le_bytes());
                            h.update(b);
                        }
                    }
                }
            }
            Ok(hex::encode(h.finalize()))
        })
        .collect()
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}-{}", std::process::id()));
    path.with_file_name(name)
}

fn remove_db(path: &Path) -> Result<(), ViewsError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ViewsError::Other(format!(
                    "{}: {e}",
                    Path::new(&p).display()
                )))
            }
        }
    }
    Ok(())
}
