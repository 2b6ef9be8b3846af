//! Ping telemetry in `telemetry.db`: every round's samples (not events),
//! rolled up as they are written, with retention so storage stays bounded:
//! raw rounds 48 h, 5-minute buckets 30 days, 1-hour buckets 2 years.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ispmon_events::host::RoundSample;
use ispmon_events::sqlite::Pool;
use rusqlite::{params, Connection};

const RAW_KEEP_S: i64 = 48 * 3600;
const FIVE_MIN_KEEP_S: i64 = 30 * 24 * 3600;
const HOUR_KEEP_S: i64 = 2 * 365 * 24 * 3600;

/// The last round of every host: host id → (unix seconds, loss %, avg ms).
pub type Latest = std::collections::HashMap<String, (i64, f64, Option<f64>)>;

/// One point of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Unix seconds (start of the bucket for rollups).
    pub at: i64,
    pub loss_pct: f64,
    pub avg_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// A device's last config-pull attempt as kept (see
/// `migrations/telemetry/0002_pull_attempts.sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullAttemptRow {
    pub device_id: String,
    /// RFC 3339.
    pub at: String,
    /// The outcome as its owner encodes it.
    pub outcome: String,
    pub duration_ms: u64,
    /// The session transcript, secrets already masked.
    pub transcript: String,
}

/// The telemetry store; cheap to clone.
#[derive(Clone)]
pub struct Telemetry {
    conn: Arc<Mutex<Connection>>,
    /// One async caller at a time hands work to a blocking thread: the rest
    /// wait here as tasks, not as parked blocking threads (hundreds of
    /// collections at once would otherwise grow the blocking pool, and the
    /// memory with it, only to queue on `conn`).
    turn: Arc<tokio::sync::Semaphore>,
    last_prune: Arc<Mutex<i64>>,
    /// Read-only connections for reads that need not queue behind the
    /// writer (searches: WAL readers run beside it and each other).
    readers: Arc<Pool>,
    /// Rounds recorded through this handle (and its clones): what caches of
    /// pages showing the latest figures compare.
    generation: Arc<AtomicU64>,
}

/// Each reader's page cache: searches touch a few index pages per query,
/// and the OS page cache keeps the hot ones of the file.
const READER_CACHE_KIB: i64 = 512;

fn us(ms: Option<f64>) -> Option<i64> {
    ms.map(|m| (m * 1000.0).round() as i64)
}

fn ms(us: Option<i64>) -> Option<f64> {
    us.map(|u| u as f64 / 1000.0)
}

impl Telemetry {
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let mut conn = ispmon_events::sqlite::open_rw(path, false)?;
        conn.execute_batch(include_str!("../../migrations/telemetry/0001_samples.sql"))?;
        conn.execute_batch(include_str!(
            "../../migrations/telemetry/0002_pull_attempts.sql"
        ))?;
        conn.execute_batch(include_str!("../../migrations/telemetry/0003_leases.sql"))?;
        conn.execute_batch(include_str!("../../migrations/telemetry/0004_fdb.sql"))?;
        apply_changes(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            turn: Arc::new(tokio::sync::Semaphore::new(1)),
            last_prune: Arc::new(Mutex::new(0)),
            readers: Pool::with_page_cache(path, READER_CACHE_KIB),
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The read-only pool: for reads (the free functions of
    /// [`sessions`](crate::nas::sessions) and
    /// [`sightings`](crate::fdb::sightings)) that run beside the writer.
    pub fn readers(&self) -> &Arc<Pool> {
        &self.readers
    }

    /// The connection, for the tables other modules own (`fdb::sightings`).
    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().expect("telemetry lock")
    }

    /// How many rounds this process has recorded; moves after each one is
    /// committed.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Records one round for many hosts at `at` (unix seconds), in one
    /// transaction, updating the rollups; prunes old rows once an hour.
    pub fn record_blocking(&self, at: i64, rows: &[(String, RoundSample)]) -> rusqlite::Result<()> {
        let mut conn = self.conn.lock().expect("telemetry lock");
        let tx = conn.transaction()?;
        {
            let mut raw = tx.prepare_cached(
                "INSERT OR REPLACE INTO samples_raw (host_id, at, sent, received, min_us, avg_us, max_us, jitter_us)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut roll = tx.prepare_cached(
                "INSERT INTO samples_rollup (host_id, width, bucket, rounds, sent, received, avg_sum_us, answered, min_us, max_us)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, COALESCE(?6, 0), ?7, ?8, ?9)
                 ON CONFLICT (host_id, width, bucket) DO UPDATE SET
                   rounds = rounds + 1, sent = sent + excluded.sent, received = received + excluded.received,
                   avg_sum_us = avg_sum_us + excluded.avg_sum_us, answered = answered + excluded.answered,
                   min_us = CASE WHEN min_us IS NULL THEN excluded.min_us WHEN excluded.min_us IS NULL THEN min_us ELSE MIN(min_us, excluded.min_us) END,
                   max_us = CASE WHEN max_us IS NULL THEN excluded.max_us WHEN excluded.max_us IS NULL THEN max_us ELSE MAX(max_us, excluded.max_us) END",
            )?;
            let mut latest = tx.prepare_cached(
                "INSERT OR REPLACE INTO latest (host_id, at, loss_pct, avg_us) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (host, s) in rows {
                let (min, avg, max) = (us(s.min_ms), us(s.avg_ms), us(s.max_ms));
                raw.execute(params![
                    host,
                    at,
                    s.sent,
                    s.received,
                    min,
                    avg,
                    max,
                    us(s.jitter_ms)
                ])?;
                for width in [300i64, 3600] {
                    let bucket = at - at.rem_euclid(width);
                    roll.execute(params![
                        host,
                        width,
                        bucket,
                        s.sent,
                        s.received,
                        avg,
                        avg.is_some() as i64,
                        min,
                        max
                    ])?;
                }
                latest.execute(params![
                    host,
                    at,
                    loss(s.sent as i64, s.received as i64),
                    avg
                ])?;
            }
        }
        tx.commit()?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut last = self.last_prune.lock().expect("telemetry lock");
        if at - *last >= 3600 {
            *last = at;
            conn.execute("DELETE FROM samples_raw WHERE at < ?1", [at - RAW_KEEP_S])?;
            conn.execute(
                "DELETE FROM samples_rollup WHERE (width = 300 AND bucket < ?1) OR (width = 3600 AND bucket < ?2)",
                params![at - FIVE_MIN_KEEP_S, at - HOUR_KEEP_S],
            )?;
        }
        Ok(())
    }

    /// A host's series over `[from, to)`: raw rounds when the span is at most
    /// 48 h, 5-minute buckets up to 30 days, hourly beyond.
    pub fn series_blocking(&self, host: &str, from: i64, to: i64) -> rusqlite::Result<Vec<Point>> {
        let conn = self.conn.lock().expect("telemetry lock");
        let span = to - from;
        if span <= RAW_KEEP_S {
            let mut s = conn.prepare_cached(
                "SELECT at, sent, received, avg_us, min_us, max_us FROM samples_raw
                 WHERE host_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at",
            )?;
            let rows = s.query_map(params![host, from, to], |r| {
                let (sent, received): (i64, i64) = (r.get(1)?, r.get(2)?);
                Ok(Point {
                    at: r.get(0)?,
                    loss_pct: loss(sent, received),
                    avg_ms: ms(r.get(3)?),
                    min_ms: ms(r.get(4)?),
                    max_ms: ms(r.get(5)?),
                })
            })?;
            return rows.collect();
        }
        let width = if span <= FIVE_MIN_KEEP_S { 300 } else { 3600 };
        let mut s = conn.prepare_cached(
            "SELECT bucket, sent, received, avg_sum_us, answered, min_us, max_us FROM samples_rollup
             WHERE host_id = ?1 AND width = ?2 AND bucket >= ?3 AND bucket < ?4 ORDER BY bucket",
        )?;
        let rows = s.query_map(params![host, width, from, to], |r| {
            let (sent, received, sum, answered): (i64, i64, i64, i64) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            Ok(Point {
                at: r.get(0)?,
                loss_pct: loss(sent, received),
                avg_ms: (answered > 0).then(|| sum as f64 / answered as f64 / 1000.0),
                min_ms: ms(r.get(5)?),
                max_ms: ms(r.get(6)?),
            })
        })?;
        rows.collect()
    }

    /// The last round of every host: host id → (unix seconds, loss %, avg ms).
    pub fn latest_blocking(&self) -> rusqlite::Result<Latest> {
        let conn = self.conn.lock().expect("telemetry lock");
        let mut s = conn.prepare_cached("SELECT host_id, at, loss_pct, avg_us FROM latest")?;
        let rows = s.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get(1)?, r.get(2)?, ms(r.get(3)?)),
            ))
        })?;
        rows.collect()
    }

    /// The last round of each of `hosts` that has one (a board page's rows),
    /// in one statement.
    pub fn latest_of_blocking(&self, hosts: &[String]) -> rusqlite::Result<Latest> {
        if hosts.is_empty() {
            return Ok(Latest::new());
        }
        // Padded to a multiple of 50 (repeating an id changes nothing), so a
        // few statements serve every page size.
        let padded = hosts.len().div_ceil(50) * 50;
        let marks = vec!["?"; padded].join(",");
        let ids = hosts
            .iter()
            .chain(std::iter::repeat(&hosts[0]))
            .take(padded);
        let conn = self.conn.lock().expect("telemetry lock");
        let mut s = conn.prepare_cached(&format!(
            "SELECT host_id, at, loss_pct, avg_us FROM latest WHERE host_id IN ({marks})"
        ))?;
        let rows = s.query_map(rusqlite::params_from_iter(ids), |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get(1)?, r.get(2)?, ms(r.get(3)?)),
            ))
        })?;
        rows.collect()
    }

    /// Rows held, per table (for the README's size figures and the admin page).
    pub fn row_counts_blocking(&self) -> rusqlite::Result<(i64, i64)> {
        let conn = self.conn.lock().expect("telemetry lock");
        Ok((
            conn.query_row("SELECT COUNT(*) FROM samples_raw", [], |r| r.get(0))?,
            conn.query_row("SELECT COUNT(*) FROM samples_rollup", [], |r| r.get(0))?,
        ))
    }

    /// Keeps `a` as its device's last pull attempt, unless a later one is
    /// already kept (saves may finish out of order).
    pub fn save_pull_attempt_blocking(&self, a: &PullAttemptRow) -> rusqlite::Result<()> {
        let conn = self.conn.lock().expect("telemetry lock");
        conn.prepare_cached(
            "INSERT INTO pull_attempts (device_id, at, outcome, duration_ms, transcript)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (device_id) DO UPDATE SET
                at = excluded.at, outcome = excluded.outcome,
                duration_ms = excluded.duration_ms, transcript = excluded.transcript
             WHERE excluded.at >= pull_attempts.at",
        )?
        .execute(rusqlite::params![
            a.device_id,
            a.at,
            a.outcome,
            a.duration_ms as i64,
            a.transcript
        ])?;
        Ok(())
    }

    /// Every device's last pull attempt.
    pub fn pull_attempts_blocking(&self) -> rusqlite::Result<Vec<PullAttemptRow>> {
        let conn = self.conn.lock().expect("telemetry lock");
        let mut s = conn.prepare_cached(
            "SELECT device_id, at, outcome, duration_ms, transcript FROM pull_attempts",
        )?;
        let rows = s.query_map([], attempt_row)?;
        rows.collect()
    }

    /// One device's last pull attempt.
    pub fn pull_attempt_blocking(
        &self,
        device_id: &str,
    ) -> rusqlite::Result<Option<PullAttemptRow>> {
        use rusqlite::OptionalExtension;
        let conn = self.conn.lock().expect("telemetry lock");
        let mut s = conn.prepare_cached(
            "SELECT device_id, at, outcome, duration_ms, transcript FROM pull_attempts
             WHERE device_id = ?1",
        )?;
        s.query_row([device_id], attempt_row).optional()
    }

    /// Runs `f` on the connection (for the [`lease`](crate::lease) table).
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&self.conn.lock().expect("telemetry lock"))
    }

    /// Runs `f` on a blocking thread: the async forms below.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Telemetry) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let t = self.clone();
        let _turn = self
            .turn
            .acquire()
            .await
            .expect("the telemetry turn is never closed");
        tokio::task::spawn_blocking(move || f(&t))
            .await
            .unwrap_or_else(|e| {
                Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                    std::io::Error::other(e.to_string()),
                )))
            })
    }

    pub async fn record(&self, at: i64, rows: Vec<(String, RoundSample)>) -> rusqlite::Result<()> {
        self.blocking(move |t| t.record_blocking(at, &rows)).await
    }

    pub async fn series(&self, host: String, from: i64, to: i64) -> rusqlite::Result<Vec<Point>> {
        self.blocking(move |t| t.series_blocking(&host, from, to))
            .await
    }

    pub async fn latest(&self) -> rusqlite::Result<Latest> {
        self.blocking(|t| t.latest_blocking()).await
    }

    pub async fn latest_of(&self, hosts: Vec<String>) -> rusqlite::Result<Latest> {
        self.blocking(move |t| t.latest_of_blocking(&hosts)).await
    }

    pub async fn save_pull_attempt(&self, a: PullAttemptRow) -> rusqlite::Result<()> {
        self.blocking(move |t| t.save_pull_attempt_blocking(&a))
            .await
    }

    pub async fn pull_attempts(&self) -> rusqlite::Result<Vec<PullAttemptRow>> {
        self.blocking(|t| t.pull_attempts_blocking()).await
    }

    pub async fn pull_attempt(
        &self,
        device_id: String,
    ) -> rusqlite::Result<Option<PullAttemptRow>> {
        self.blocking(move |t| t.pull_attempt_blocking(&device_id))
            .await
    }
}

/// The migrations that change existing tables, by the `user_version` each
/// brings the file to. The first four only create what is missing and run
/// at every open; these run once each, in order, in a transaction that
/// re-reads the version (another process may have opened the file first).
const CHANGES: &[(i64, &str)] = &[
    (
        5,
        include_str!("../../migrations/telemetry/0005_uplink_reasons.sql"),
    ),
    (
        6,
        include_str!("../../migrations/telemetry/0006_billing.sql"),
    ),
    (7, include_str!("../../migrations/telemetry/0007_gpon.sql")),
    (
        8,
        include_str!("../../migrations/telemetry/0008_billing_pages.sql"),
    ),
];

fn apply_changes(conn: &mut Connection) -> rusqlite::Result<()> {
    for (version, sql) in CHANGES {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let at: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if at < *version {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// A `pull_attempts` row (`device_id, at, outcome, duration_ms, transcript`).
fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PullAttemptRow> {
    Ok(PullAttemptRow {
        device_id: r.get(0)?,
        at: r.get(1)?,
        outcome: r.get(2)?,
        duration_ms: r.get::<_, i64>(3)?.max(0) as u64,
        transcript: r.get(4)?,
    })
}

fn loss(sent: i64, received: i64) -> f64 {
    if sent <= 0 {
        0.0
    } else {
        100.0 * (sent - received).max(0) as f64 / sent as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::answered;

    #[test]
    fn a_pull_attempt_is_kept_per_device_and_an_older_save_does_not_win() {
        let dir = tempfile::tempdir().unwrap();
        let t = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
        let attempt = |at: &str, outcome: &str| PullAttemptRow {
            device_id: "d1".into(),
            at: at.into(),
            outcome: outcome.into(),
            duration_ms: 12,
            transcript: "sw1#show run".into(),
        };
        t.save_pull_attempt_blocking(&attempt("2026-11-29T10:00:00Z", "new 1"))
            .unwrap();
        t.save_pull_attempt_blocking(&attempt("2026-11-29T11:00:00Z", "unchanged"))
            .unwrap();
        // A save that finishes late for an earlier attempt.
        t.save_pull_attempt_blocking(&attempt("2026-11-29T10:30:00Z", "failed x"))
            .unwrap();
        assert_eq!(
            t.pull_attempts_blocking().unwrap(),
            vec![attempt("2026-11-29T11:00:00Z", "unchanged")]
        );
    }

    #[test]
    fn rounds_roll_up_into_buckets_and_old_rows_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let t = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
        let base: i64 = 1_800_000_000 / 3600 * 3600;
        let lost = RoundSample {
            sent: 1,
            ..Default::default()
        };
        for i in 0..10 {
            let s = if i == 9 {
                lost
            } else {
                answered(1.0 + i as f64)
            };
            t.record_blocking(base + i * 60, &[("h".into(), s)])
                .unwrap();
        }
        let raw = t.series_blocking("h", base, base + 3600).unwrap();
        assert_eq!(raw.len(), 10);
        assert_eq!(
            (raw[0].at, raw[0].avg_ms, raw[0].loss_pct),
            (base, Some(1.0), 0.0)
        );
        assert_eq!(
            (raw[9].at, raw[9].avg_ms, raw[9].loss_pct),
            (base + 540, None, 100.0)
        );
        let five = t.series_blocking("h", base, base + 3 * 24 * 3600).unwrap();
        assert_eq!(five.len(), 2, "10 minutes → two 5-minute buckets");
        assert_eq!(five[0].at, base);
        assert_eq!(five[0].avg_ms, Some(3.0), "mean of 1..=5 ms");
        assert_eq!(five[0].loss_pct, 0.0);
        assert_eq!(five[1].at, base + 300);
        assert_eq!(
            five[1].avg_ms,
            Some(7.5),
            "mean of the four answered, 6..=9 ms"
        );
        assert_eq!(five[1].loss_pct, 20.0, "one of five rounds lost");
        let hourly = t.series_blocking("h", base, base + 60 * 24 * 3600).unwrap();
        assert_eq!(hourly.len(), 1);
        assert_eq!(hourly[0].at, base);
        assert_eq!(hourly[0].avg_ms, Some(5.0), "mean of 1..=9 ms");
        assert_eq!(hourly[0].loss_pct, 10.0);
        assert_eq!(hourly[0].min_ms, Some(1.0));
        assert_eq!(hourly[0].max_ms, Some(9.0));
        let latest = t.latest_blocking().unwrap();
        assert_eq!(latest["h"].1, 100.0);
        // Three days later, the raw rows are pruned but the rollups stay.
        t.record_blocking(base + 3 * 24 * 3600, &[("h".into(), answered(1.0))])
            .unwrap();
        let (raw_rows, rollup_rows) = t.row_counts_blocking().unwrap();
        assert_eq!(raw_rows, 1);
        assert!(rollup_rows >= 3);
    }
}
