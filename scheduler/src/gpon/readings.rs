//! ONT readings as telemetry (`telemetry.db`,
//! `migrations/telemetry/0007_gpon.sql`): the latest per ONT, raw samples
//! for 7 days and hourly rollups for 400, like the ICMP samples.

use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::telemetry::Telemetry;

/// One ONT's reading at one poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub olt_id: String,
    pub sn: String,
    /// Unix seconds.
    pub at: i64,
    pub rx_dbm: Option<f64>,
    pub tx_dbm: Option<f64>,
    pub olt_rx_dbm: Option<f64>,
    pub temperature_c: Option<f64>,
    pub distance_m: Option<u32>,
    pub last_up: Option<String>,
    pub last_down: Option<String>,
}

/// A point of an ONT's Rx graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RxPoint {
    pub at: i64,
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub max: Option<f64>,
}

const RAW_DAYS: i64 = 7;
const HOURLY_DAYS: i64 = 400;

impl Telemetry {
    /// Keeps a poll's readings (the OLT id is filled in by `olt_id`).
    pub fn record_ont_readings_blocking(&self, rows: &[Reading]) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut latest = tx.prepare_cached(
                "INSERT INTO ont_latest (olt_id, sn, at, rx_dbm, tx_dbm, olt_rx_dbm, temperature,
                   distance_m, last_up, last_down) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (olt_id, sn) DO UPDATE SET at = excluded.at, rx_dbm = excluded.rx_dbm,
                   tx_dbm = excluded.tx_dbm, olt_rx_dbm = excluded.olt_rx_dbm,
                   temperature = excluded.temperature, distance_m = excluded.distance_m,
                   last_up = excluded.last_up, last_down = excluded.last_down",
            )?;
            let mut raw = tx.prepare_cached(
                "INSERT OR REPLACE INTO ont_optics (olt_id, sn, at, rx_dbm, tx_dbm, olt_rx_dbm)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut hourly = tx.prepare_cached(
                "INSERT INTO ont_optics_hourly (olt_id, sn, hour, n, rx_min, rx_sum, rx_max)
                 VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4)
                 ON CONFLICT (olt_id, sn, hour) DO UPDATE SET n = n + 1,
                   rx_min = MIN(COALESCE(rx_min, excluded.rx_min), COALESCE(excluded.rx_min, rx_min)),
                   rx_max = MAX(COALESCE(rx_max, excluded.rx_max), COALESCE(excluded.rx_max, rx_max)),
                   rx_sum = COALESCE(rx_sum, 0) + COALESCE(excluded.rx_sum, 0)",
            )?;
            for r in rows {
                latest.execute(params![
                    r.olt_id,
                    r.sn,
                    r.at,
                    r.rx_dbm,
                    r.tx_dbm,
                    r.olt_rx_dbm,
                    r.temperature_c,
                    r.distance_m,
                    r.last_up,
                    r.last_down
                ])?;
                raw.execute(params![
                    r.olt_id,
                    r.sn,
                    r.at,
                    r.rx_dbm,
                    r.tx_dbm,
                    r.olt_rx_dbm
                ])?;
                if r.rx_dbm.is_some() {
                    hourly.execute(params![
                        r.olt_id,
                        r.sn,
                        r.at - r.at.rem_euclid(3600),
                        r.rx_dbm
                    ])?;
                }
            }
            if let Some(now) = rows.iter().map(|r| r.at).max() {
                tx.prepare_cached("DELETE FROM ont_optics WHERE at < ?1")?
                    .execute([now - RAW_DAYS * 86_400])?;
                tx.prepare_cached("DELETE FROM ont_optics_hourly WHERE hour < ?1")?
                    .execute([now - HOURLY_DAYS * 86_400])?;
            }
        }
        tx.commit()
    }

    pub async fn record_ont_readings(&self, rows: Vec<Reading>) -> rusqlite::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.blocking(move |t| t.record_ont_readings_blocking(&rows))
            .await
    }
}

fn reading_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Reading> {
    Ok(Reading {
        olt_id: r.get(0)?,
        sn: r.get(1)?,
        at: r.get(2)?,
        rx_dbm: r.get(3)?,
        tx_dbm: r.get(4)?,
        olt_rx_dbm: r.get(5)?,
        temperature_c: r.get(6)?,
        distance_m: r.get(7)?,
        last_up: r.get(8)?,
        last_down: r.get(9)?,
    })
}

/// The latest readings of an OLT's ONTs, by SN (any connection to telemetry.db).
pub fn latest_of_olt(c: &Connection, olt_id: &str) -> rusqlite::Result<HashMap<String, Reading>> {
    let mut st = c.prepare_cached(
        "SELECT olt_id, sn, at, rx_dbm, tx_dbm, olt_rx_dbm, temperature, distance_m, last_up,
           last_down FROM ont_latest WHERE olt_id = ?1",
    )?;
    let rows = st.query_map([olt_id], reading_row)?;
    rows.map(|r| r.map(|r| (r.sn.clone(), r))).collect()
}

/// One ONT's latest reading.
pub fn latest(c: &Connection, olt_id: &str, sn: &str) -> rusqlite::Result<Option<Reading>> {
    use rusqlite::OptionalExtension;
    c.prepare_cached(
        "SELECT olt_id, sn, at, rx_dbm, tx_dbm, olt_rx_dbm, temperature, distance_m, last_up,
           last_down FROM ont_latest WHERE olt_id = ?1 AND sn = ?2",
    )?
    .query_row([olt_id, sn], reading_row)
    .optional()
}

/// An ONT's Rx from `from` to `to` (unix seconds): raw points for spans up
/// to two days, hourly min/avg/max beyond.
pub fn rx_series(
    c: &Connection,
    olt_id: &str,
    sn: &str,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<RxPoint>> {
    if to - from <= 2 * 86_400 {
        let mut st = c.prepare_cached(
            "SELECT at, rx_dbm FROM ont_optics WHERE olt_id = ?1 AND sn = ?2 AND at BETWEEN ?3 AND ?4
             ORDER BY at",
        )?;
        let rows = st.query_map(params![olt_id, sn, from, to], |r| {
            let v: Option<f64> = r.get(1)?;
            Ok(RxPoint {
                at: r.get(0)?,
                min: v,
                avg: v,
                max: v,
            })
        })?;
        return rows.collect();
    }
    let mut st = c.prepare_cached(
        "SELECT hour, rx_min, rx_sum / n, rx_max FROM ont_optics_hourly
         WHERE olt_id = ?1 AND sn = ?2 AND hour BETWEEN ?3 AND ?4 ORDER BY hour",
    )?;
    let rows = st.query_map(params![olt_id, sn, from, to], |r| {
        Ok(RxPoint {
            at: r.get(0)?,
            min: r.get(1)?,
            avg: r.get(2)?,
            max: r.get(3)?,
        })
    })?;
    rows.collect()
}
