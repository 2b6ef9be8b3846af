//! Billing figures that are not events: each subscriber's balance and
//! credit as of the last sync that read their card, and each sync's report
//! (`telemetry.db`, `migrations/telemetry/0006_billing.sql`), with the
//! page each subscriber's figures were read from (`0008_billing_pages.sql`).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::telemetry::Telemetry;

/// A subscriber's figures as of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub balance: Option<f64>,
    pub credit: Option<f64>,
    /// Unix seconds.
    pub synced_at: i64,
}

/// One kept sync report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncRecord {
    pub started_at: i64,
    pub ok: bool,
    /// The report as JSON (its shape is the sync engine's).
    pub report: serde_json::Value,
}

/// Reports kept.
const KEEP_SYNCS: i64 = 500;

/// A subscriber's figures to record: their billing id, the figures, and
/// the page they were read from (the app's opaque memo of it; `None`: not
/// known, and any kept one is forgotten).
pub type FigureRow = (String, Figures, Option<Vec<u8>>);

impl Telemetry {
    /// Records figures for many subscribers in one transaction.
    pub fn record_figures_blocking(&self, rows: &[FigureRow]) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut q = tx.prepare_cached(
                "INSERT INTO subscriber_figures (billing_id, balance, credit, synced_at, page)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (billing_id) DO UPDATE SET balance = excluded.balance,
                   credit = excluded.credit, synced_at = excluded.synced_at,
                   page = excluded.page",
            )?;
            for (id, f, page) in rows {
                q.execute(params![id, f.balance, f.credit, f.synced_at, page])?;
            }
        }
        tx.commit()
    }

    /// Keeps a sync's report (and drops the oldest beyond the last 500).
    pub fn record_sync_blocking(
        &self,
        started_at: i64,
        ok: bool,
        report: &serde_json::Value,
    ) -> rusqlite::Result<()> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO billing_syncs (started_at, ok, report) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![started_at, ok, report.to_string()])?;
        conn.prepare_cached(
            "DELETE FROM billing_syncs WHERE id <= (SELECT MAX(id) FROM billing_syncs) - ?1",
        )?
        .execute([KEEP_SYNCS])?;
        Ok(())
    }

    pub async fn record_figures(&self, rows: Vec<FigureRow>) -> rusqlite::Result<()> {
        self.blocking(move |t| t.record_figures_blocking(&rows))
            .await
    }

    pub async fn record_sync(
        &self,
        started_at: i64,
        ok: bool,
        report: serde_json::Value,
    ) -> rusqlite::Result<()> {
        self.blocking(move |t| t.record_sync_blocking(started_at, ok, &report))
            .await
    }
}

/// A subscriber's figures (on any connection to `telemetry.db`).
pub fn figures(conn: &Connection, billing_id: &str) -> rusqlite::Result<Option<Figures>> {
    conn.prepare_cached(
        "SELECT balance, credit, synced_at FROM subscriber_figures WHERE billing_id = ?1",
    )?
    .query_row([billing_id], |r| {
        Ok(Figures {
            balance: r.get(0)?,
            credit: r.get(1)?,
            synced_at: r.get(2)?,
        })
    })
    .optional()
}

/// Every subscriber's figures with the page they were read from, where
/// that is known.
pub fn pages(conn: &Connection) -> rusqlite::Result<Vec<(String, Figures, Vec<u8>)>> {
    let mut q = conn.prepare(
        "SELECT billing_id, balance, credit, synced_at, page FROM subscriber_figures
         WHERE page IS NOT NULL",
    )?;
    let rows = q.query_map([], |r| {
        Ok((
            r.get(0)?,
            Figures {
                balance: r.get(1)?,
                credit: r.get(2)?,
                synced_at: r.get(3)?,
            },
            r.get(4)?,
        ))
    })?;
    rows.collect()
}

/// The figures of many subscribers (a list page).
pub fn figures_of(conn: &Connection, ids: &[String]) -> rusqlite::Result<HashMap<String, Figures>> {
    let mut out = HashMap::new();
    for id in ids {
        if let Some(f) = figures(conn, id)? {
            out.insert(id.clone(), f);
        }
    }
    Ok(out)
}

/// The last `n` sync reports, newest first.
pub fn last_syncs(conn: &Connection, n: usize) -> rusqlite::Result<Vec<SyncRecord>> {
    conn.prepare_cached(
        "SELECT started_at, ok, report FROM billing_syncs ORDER BY id DESC LIMIT ?1",
    )?
    .query_map([n as i64], |r| {
        let text: String = r.get(2)?;
        Ok(SyncRecord {
            started_at: r.get(0)?,
            ok: r.get(1)?,
            report: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_kept_per_subscriber_and_reports_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let t = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
        let f = |b: f64, at: i64| Figures {
            balance: Some(b),
            credit: None,
            synced_at: at,
        };
        t.record_figures_blocking(&[
            ("1".into(), f(10.5, 100), Some(vec![1, 2])),
            ("2".into(), f(-3.0, 100), Some(vec![3])),
        ])
        .unwrap();
        t.record_figures_blocking(&[("1".into(), f(7.0, 200), None)])
            .unwrap();
        let c = t.readers().clone();
        let got = c.with(|c| figures(c, "1")).unwrap().unwrap();
        assert_eq!((got.balance, got.synced_at), (Some(7.0), 200));
        assert_eq!(c.with(|c| figures(c, "9")).unwrap(), None);
        // A page is kept with its figures until figures without one come.
        let pages = c.with(pages).unwrap();
        assert_eq!(pages, vec![("2".to_string(), f(-3.0, 100), vec![3])]);
        t.record_sync_blocking(1, true, &serde_json::json!({"new": 2}))
            .unwrap();
        t.record_sync_blocking(2, false, &serde_json::json!({"new": 0}))
            .unwrap();
        let last = c.with(|c| last_syncs(c, 5)).unwrap();
        assert_eq!(last.len(), 2);
        assert_eq!((last[0].started_at, last[0].ok), (2, false));
        assert_eq!(last[1].report["new"], 2);
    }
}
