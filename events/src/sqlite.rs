//! Opening SQLite connections with ispmon's pragmas, and a tiny read pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

/// Opens a read-write connection in WAL mode.
pub fn open_rw(path: &Path, synchronous_full: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        if synchronous_full { "FULL" } else { "NORMAL" },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens a read-only connection (WAL readers never block the writer).
pub fn open_ro(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Turns on the query planner stability guarantee. Without it SQLite plans
/// some statements around their bound values (`LIMIT ?` among them) and so
/// re-prepares a cached statement every time it is bound again, which made
/// the projection runner's tail query parse and plan itself on every batch.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// Reads running at once through [`Pool::run`]. More would not finish
/// sooner on a few cores; each one beyond holds a blocking thread (with its
/// allocator heap) and a connection (with its page cache), which under 64
/// concurrent page loads grew the server's RSS by ~100 MB and spent a third
/// of its CPU handing work between threads.
const MAX_CONCURRENT_READS: usize = 8;

/// A pool of read-only connections; work runs on tokio's blocking threads,
/// at most [`MAX_CONCURRENT_READS`] at once (the rest wait their turn).
pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: tokio::sync::Semaphore,
    /// Each connection's page cache, when not SQLite's default (2 MiB).
    page_cache_kib: Option<i64>,
}

impl Pool {
    pub fn new(path: &Path) -> Arc<Self> {
        Self::build(path, None)
    }

    /// A pool whose connections keep at most `kib` KiB of pages each: for
    /// reads that rarely touch a page twice (the event store's loads of one
    /// aggregate's events), where up to 16 full default caches are only RSS.
    pub fn with_page_cache(path: &Path, kib: i64) -> Arc<Self> {
        Self::build(path, Some(kib))
    }

    fn build(path: &Path, page_cache_kib: Option<i64>) -> Arc<Self> {
        Arc::new(Self {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: tokio::sync::Semaphore::new(MAX_CONCURRENT_READS),
            page_cache_kib,
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = open_ro(&self.path)?;
        if let Some(kib) = self.page_cache_kib {
            conn.pragma_update(None, "cache_size", -kib)?;
        }
        Ok(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a pooled connection on the current thread (blocking).
    pub fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let conn = match self.idle.lock().expect("pool lock").pop() {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < 16 {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` with a pooled connection on a blocking thread.
    pub async fn run<R, F>(self: &Arc<Self>, f: F) -> rusqlite::Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let permit = self.permits.acquire().await.map_err(|e| {
            rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e.to_string())))
        })?;
        let pool = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || pool.with(f)).await;
        drop(permit);
        result.unwrap_or_else(|e| {
            Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                std::io::Error::other(format!("read task failed: {e}")),
            )))
        })
    }

    /// Drops idle connections (used before a file is swapped under the pool).
    pub fn clear(&self) {
        self.idle.lock().expect("pool lock").clear();
    }
}
