//! The checkpointer thread: copies the write-ahead log back into `events.db`
//! beside the writer instead of inside its commits.
//!
//! SQLite's automatic checkpoint runs in the commit that crosses the
//! threshold, on the writer thread: every thousand pages or so one command
//! waited for the copy and two fsyncs, and every other command queued behind
//! it. Here a second connection runs `PRAGMA wal_checkpoint(PASSIVE)`, which
//! never blocks the writer or the readers, at most every [`PACE`] while
//! commits keep coming. The writer keeps an automatic checkpoint at a higher
//! threshold ([`WRITER_AUTOCHECKPOINT`]) as a backstop: a passive checkpoint
//! cannot make the log start over while commits keep arriving, and the
//! writer's own checkpoint, finding most pages already copied, then only
//! finishes the job and lets the next transaction rewind the log.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The least time between two checkpoints of the checkpointer.
const PACE: Duration = Duration::from_millis(50);

/// The writer's automatic checkpoint threshold, in WAL pages.
pub(super) const WRITER_AUTOCHECKPOINT: i64 = 8000;

/// Opens the checkpointer's connection.
pub(super) fn open(path: &Path, synchronous_full: bool) -> rusqlite::Result<Connection> {
    let conn = crate::sqlite::open_rw(path, synchronous_full)?;
    // This connection never commits, so it never checkpoints on its own.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// Runs until the writer drops its end of `commits`: each message says the
/// writer has committed since the last one was taken.
pub(super) fn run(conn: Connection, commits: Receiver<()>) {
    let mut last: Option<Instant> = None;
    while commits.recv().is_ok() {
        // Pace: wait out the rest of PACE since the last checkpoint, taking
        // the commit notices that arrive meanwhile.
        while let Some(at) = last {
            let left = PACE.saturating_sub(at.elapsed());
            if left.is_zero() {
                break;
            }
            match commits.recv_timeout(left) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        last = Some(Instant::now());
        let r = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        match r {
            Ok((busy, log, done)) => {
                tracing::trace!(busy, log, done, "events.db checkpoint");
            }
            Err(e) => tracing::debug!(error = %e, "events.db checkpoint failed; will retry"),
        }
    }
    tracing::debug!("event checkpointer stopped");
}
