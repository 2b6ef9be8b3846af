//! The GPON read models: ONTs (per OLT and port, by SN), each OLT's
//! inventory and autofind list, the registration profiles, the settings in
//! force, and registration and deletion jobs with their steps.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::gpon::{
    GponJobEvent, GponOltEvent, GponProfileEvent, GponSettingsEvent, GponSettingsValues, Inventory,
    JobKind, JobRequest, OntEvent, OntSeen, ProfileValues, StepRecord, SETTINGS_ID,
};

pub struct GponProjection;

fn json<T: Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Projection for GponProjection {
    fn name(&self) -> &'static str {
        "gpon"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/gpon.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &[
            "gpon_onts",
            "gpon_olts",
            "gpon_autofind",
            "gpon_profiles",
            "gpon_settings",
            "gpon_jobs",
        ]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        match &ev.event {
            Decoded::Ont(e) => apply_ont(c, ev, e),
            Decoded::GponOlt(e) => olt(c, ev, e),
            Decoded::GponProfile(e) => profile(c, ev, e),
            Decoded::GponSettings(GponSettingsEvent::GponSettingsChanged(v)) => {
                crate::put_settings_row(c, "gpon_settings", ev, &json(v)?)
            }
            Decoded::GponJob(e) => job(c, ev, e),
            _ => Ok(()),
        }
    }
}

fn upsert_ont(
    c: &Connection,
    ev: &Envelope<'_>,
    s: &OntSeen,
    job: Option<(&str, &str)>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO gpon_onts (id, olt_id, port, ont_id, sn, description, run, last_down_cause,
           signal, gone, job_id, profile, changed_at, down_at, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11, ?12,
           CASE WHEN ?7 = 'offline' THEN ?12 END, ?12)
         ON CONFLICT (id) DO UPDATE SET port = excluded.port, ont_id = excluded.ont_id,
           description = excluded.description, run = excluded.run,
           last_down_cause = excluded.last_down_cause, signal = excluded.signal, gone = 0,
           job_id = COALESCE(excluded.job_id, job_id), profile = COALESCE(excluded.profile, profile),
           changed_at = excluded.changed_at, down_at = excluded.down_at",
    )?
    .execute(params![
        ev.id(),
        s.olt_id,
        s.port,
        s.ont_id,
        s.sn,
        s.description,
        s.run,
        s.last_down_cause,
        s.signal,
        job.map(|j| j.0),
        job.map(|j| j.1),
        ev.at()
    ])?;
    Ok(())
}

fn apply_ont(c: &Connection, ev: &Envelope<'_>, e: &OntEvent) -> rusqlite::Result<()> {
    let set = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<()> {
        let mut all: Vec<&dyn rusqlite::ToSql> = p.to_vec();
        let (id, at) = (ev.id(), ev.at());
        all.push(&id);
        all.push(&at);
        let n = p.len();
        c.prepare_cached(&format!(
            "UPDATE gpon_onts SET {sql}, changed_at = ?{} WHERE id = ?{}",
            n + 2,
            n + 1
        ))?
        .execute(all.as_slice())?;
        Ok(())
    };
    match e {
        OntEvent::OntDiscovered(s) => upsert_ont(c, ev, s, None),
        OntEvent::OntRegistered {
            seen,
            job_id,
            profile,
        } => upsert_ont(c, ev, seen, Some((job_id, profile))),
        OntEvent::OntMoved { port, ont_id } => set("port = ?1, ont_id = ?2", &[port, ont_id]),
        OntEvent::OntWentOffline { cause } => set(
            "run = 'offline', signal = 'none', last_down_cause = ?1, down_at = ?3",
            &[cause],
        ),
        OntEvent::OntCameOnline => set("run = 'online', down_at = NULL", &[]),
        OntEvent::OntDescribed { description } => set("description = ?1", &[description]),
        OntEvent::OntSignalChanged { to, .. } => set("signal = ?1", &[to]),
        OntEvent::OntVanished | OntEvent::OntDeleted { .. } => set("gone = 1", &[]),
    }
}

fn olt(c: &Connection, ev: &Envelope<'_>, e: &GponOltEvent) -> rusqlite::Result<()> {
    match e {
        GponOltEvent::OltInventoried(inv) => {
            c.prepare_cached(
                "INSERT INTO gpon_olts (olt_id, inventory_json, inventoried_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (olt_id) DO UPDATE SET inventory_json = excluded.inventory_json,
                   inventoried_at = excluded.inventoried_at",
            )?
            .execute(params![ev.id(), json(inv)?, ev.at()])?;
        }
        GponOltEvent::AutofindAppeared(a) => {
            c.prepare_cached(
                "INSERT OR REPLACE INTO gpon_autofind (olt_id, port, sn, vendor_sn, equipment_id,
                   version, software_version, found_at, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                ev.id(),
                a.port,
                a.sn,
                a.vendor_sn,
                a.equipment_id,
                a.version,
                a.software_version,
                a.found_at,
                ev.at()
            ])?;
        }
        GponOltEvent::AutofindGone { port, sn } => {
            c.prepare_cached(
                "DELETE FROM gpon_autofind WHERE olt_id = ?1 AND port = ?2 AND sn = ?3",
            )?
            .execute(params![ev.id(), port, sn])?;
        }
    }
    Ok(())
}

fn profile(c: &Connection, ev: &Envelope<'_>, e: &GponProfileEvent) -> rusqlite::Result<()> {
    match e {
        GponProfileEvent::GponProfileSaved(v) => {
            c.prepare_cached(
                "INSERT INTO gpon_profiles (id, values_json, name, removed, changed_at)
                 VALUES (?1, ?2, ?3, 0, ?4)
                 ON CONFLICT (id) DO UPDATE SET values_json = excluded.values_json,
                   name = excluded.name, changed_at = excluded.changed_at",
            )?
            .execute(params![ev.id(), json(v)?, v.name, ev.at()])?;
        }
        GponProfileEvent::GponProfileRemoved => {
            c.prepare_cached(
                "UPDATE gpon_profiles SET removed = 1, changed_at = ?2 WHERE id = ?1",
            )?
            .execute(params![ev.id(), ev.at()])?;
        }
    }
    Ok(())
}

fn job(c: &Connection, ev: &Envelope<'_>, e: &GponJobEvent) -> rusqlite::Result<()> {
    let steps = |c: &Connection| -> rusqlite::Result<Vec<StepRecord>> {
        let s: String = c
            .prepare_cached("SELECT steps_json FROM gpon_jobs WHERE id = ?1")?
            .query_row([ev.id()], |r| r.get(0))?;
        from_json(&s)
    };
    let put_steps =
        |c: &Connection, steps: &[StepRecord], state: Option<&str>| -> rusqlite::Result<()> {
            c.prepare_cached(
                "UPDATE gpon_jobs SET steps_json = ?2, state = COALESCE(?3, state) WHERE id = ?1",
            )?
            .execute(params![ev.id(), json(&steps)?, state])?;
            Ok(())
        };
    match e {
        GponJobEvent::GponJobRequested(r) => {
            let kind = match r.kind {
                JobKind::Register { .. } => "register",
                JobKind::Delete { .. } => "delete",
            };
            c.prepare_cached(
                "INSERT OR REPLACE INTO gpon_jobs (id, kind, olt_id, olt_name, port, sn, name, state,
                   request_json, steps_json, requested_at, requested_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, '[]', ?9, ?10)",
            )?
            .execute(params![
                ev.id(),
                kind,
                r.olt_id,
                r.olt_name,
                r.port,
                r.sn,
                r.name,
                json(r)?,
                ev.at(),
                ev.stored.meta().actor_login
            ])?;
        }
        GponJobEvent::GponStepStarted { step, name } => {
            let mut s = steps(c)?;
            s.truncate(*step);
            s.push(StepRecord {
                name: name.clone(),
                status: "running".into(),
                ..StepRecord::default()
            });
            put_steps(c, &s, None)?;
        }
        GponJobEvent::GponStepFinished { step, record } => {
            let mut s = steps(c)?;
            if let Some(slot) = s.get_mut(*step) {
                *slot = record.clone();
            }
            put_steps(c, &s, None)?;
        }
        GponJobEvent::GponCompensationStarted => {
            put_steps(c, &steps(c)?, Some("compensating"))?;
        }
        GponJobEvent::GponJobEnded {
            outcome,
            failure,
            compensation,
            ..
        } => {
            c.prepare_cached(
                "UPDATE gpon_jobs SET state = ?2, failure = ?3, compensation = ?4, ended_at = ?5
                 WHERE id = ?1",
            )?
            .execute(params![ev.id(), outcome, failure, compensation, ev.at()])?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- reads

/// One ONT as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OntView {
    pub id: String,
    pub olt_id: String,
    pub port: String,
    pub ont_id: u32,
    pub sn: String,
    pub description: String,
    pub run: String,
    pub last_down_cause: Option<String>,
    pub signal: String,
    pub gone: bool,
    pub job_id: Option<String>,
    pub profile: Option<String>,
    pub changed_at: String,
    pub down_at: Option<String>,
    pub first_seen: String,
}

const ONT_COLS: &str = "id, olt_id, port, ont_id, sn, description, run, last_down_cause, signal,
    gone, job_id, profile, changed_at, down_at, first_seen";

fn ont_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OntView> {
    Ok(OntView {
        id: r.get(0)?,
        olt_id: r.get(1)?,
        port: r.get(2)?,
        ont_id: r.get(3)?,
        sn: r.get(4)?,
        description: r.get(5)?,
        run: r.get(6)?,
        last_down_cause: r.get(7)?,
        signal: r.get(8)?,
        gone: r.get(9)?,
        job_id: r.get(10)?,
        profile: r.get(11)?,
        changed_at: r.get(12)?,
        down_at: r.get(13)?,
        first_seen: r.get(14)?,
    })
}

/// The ONTs an OLT has now (gone ones left out), optionally of one port,
/// by port and ONT-ID.
pub fn onts(c: &Connection, olt_id: &str, port: Option<&str>) -> rusqlite::Result<Vec<OntView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ONT_COLS} FROM gpon_onts WHERE olt_id = ?1 AND gone = 0 AND (?2 IS NULL OR port = ?2)"
    ))?;
    let mut v: Vec<OntView> = st
        .query_map(params![olt_id, port], ont_row)?
        .collect::<rusqlite::Result<_>>()?;
    v.sort_by(|a, b| {
        port_key(&a.port)
            .cmp(&port_key(&b.port))
            .then(a.ont_id.cmp(&b.ont_id))
    });
    Ok(v)
}

/// Numeric order of `0/1/10` after `0/1/9`.
pub fn port_key(port: &str) -> Vec<u32> {
    port.split('/')
        .map(|p| p.trim().parse().unwrap_or(u32::MAX))
        .collect()
}

/// One ONT by its aggregate id (gone ones too).
pub fn ont(c: &Connection, id: &str) -> rusqlite::Result<Option<OntView>> {
    c.prepare_cached(&format!("SELECT {ONT_COLS} FROM gpon_onts WHERE id = ?1"))?
        .query_row([id], ont_row)
        .optional()
}

/// ONTs (present ones) whose SN, in any form, contains `needle` (already
/// canonical hex, or part of it), or whose description contains `text`.
pub fn find(
    c: &Connection,
    sn_hex: Option<&str>,
    text: &str,
    limit: usize,
) -> rusqlite::Result<Vec<OntView>> {
    let like = |s: &str| format!("%{}%", s.replace(['%', '_'], ""));
    let mut st = c.prepare_cached(&format!(
        "SELECT {ONT_COLS} FROM gpon_onts WHERE gone = 0
           AND ((?1 IS NOT NULL AND sn LIKE ?1) OR (?2 <> '%%' AND description LIKE ?2))
         ORDER BY sn LIMIT ?3"
    ))?;
    let v = st
        .query_map(params![sn_hex.map(like), like(text), limit as i64], ont_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The present ONTs whose description is this text exactly (case folded):
/// how a subscriber's login finds their ONT.
pub fn by_description(c: &Connection, description: &str) -> rusqlite::Result<Vec<OntView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ONT_COLS} FROM gpon_onts WHERE gone = 0 AND description = ?1 COLLATE NOCASE"
    ))?;
    let v = st
        .query_map([description], ont_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The present ONT at a place.
pub fn at(
    c: &Connection,
    olt_id: &str,
    port: &str,
    ont_id: u32,
) -> rusqlite::Result<Option<OntView>> {
    c.prepare_cached(&format!(
        "SELECT {ONT_COLS} FROM gpon_onts WHERE olt_id = ?1 AND port = ?2 AND ont_id = ?3 AND gone = 0"
    ))?
    .query_row(params![olt_id, port, ont_id], ont_row)
    .optional()
}

/// The present ONT with this SN on any OLT.
pub fn by_sn(c: &Connection, sn: &str) -> rusqlite::Result<Option<OntView>> {
    c.prepare_cached(&format!(
        "SELECT {ONT_COLS} FROM gpon_onts WHERE sn = ?1 AND gone = 0"
    ))?
    .query_row([sn], ont_row)
    .optional()
}

/// Counts of one OLT (or one port).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub onts: u32,
    pub online: u32,
    pub offline: u32,
    /// Marginal or bad (or overloaded) signal.
    pub weak: u32,
    pub autofind: u32,
}

/// Counts per OLT id.
pub fn olt_counts(c: &Connection) -> rusqlite::Result<Vec<(String, Counts)>> {
    let mut out: Vec<(String, Counts)> = Vec::new();
    let mut st = c.prepare_cached(
        "SELECT olt_id, COUNT(*), SUM(run = 'online'), SUM(run = 'offline'),
           SUM(signal IN ('marginal', 'bad', 'overload'))
         FROM gpon_onts WHERE gone = 0 GROUP BY olt_id",
    )?;
    for r in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Counts {
                onts: r.get(1)?,
                online: r.get(2)?,
                offline: r.get(3)?,
                weak: r.get(4)?,
                autofind: 0,
            },
        ))
    })? {
        out.push(r?);
    }
    let mut st = c.prepare_cached("SELECT olt_id, COUNT(*) FROM gpon_autofind GROUP BY olt_id")?;
    for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))? {
        let (olt, n) = r?;
        match out.iter_mut().find(|(o, _)| *o == olt) {
            Some((_, c)) => c.autofind = n,
            None => out.push((
                olt,
                Counts {
                    autofind: n,
                    ..Counts::default()
                },
            )),
        }
    }
    Ok(out)
}

/// Counts per port of one OLT, in port order.
pub fn port_counts(c: &Connection, olt_id: &str) -> rusqlite::Result<Vec<(String, Counts)>> {
    let mut out: Vec<(String, Counts)> = Vec::new();
    for o in onts(c, olt_id, None)? {
        let i = match out.iter().position(|(p, _)| *p == o.port) {
            Some(i) => i,
            None => {
                out.push((o.port.clone(), Counts::default()));
                out.len() - 1
            }
        };
        let n = &mut out[i].1;
        n.onts += 1;
        match o.run.as_str() {
            "online" => n.online += 1,
            "offline" => n.offline += 1,
            _ => {}
        }
        if matches!(o.signal.as_str(), "marginal" | "bad" | "overload") {
            n.weak += 1;
        }
    }
    for a in autofind(c, Some(olt_id))? {
        match out.iter_mut().find(|(p, _)| *p == a.port) {
            Some((_, n)) => n.autofind += 1,
            None => out.push((
                a.port.clone(),
                Counts {
                    autofind: 1,
                    ..Counts::default()
                },
            )),
        }
    }
    out.sort_by_key(|a| port_key(&a.0));
    Ok(out)
}

/// An OLT's inventory as last polled, with when.
pub fn inventory(c: &Connection, olt_id: &str) -> rusqlite::Result<Option<(Inventory, String)>> {
    let row: Option<(String, String)> = c
        .prepare_cached("SELECT inventory_json, inventoried_at FROM gpon_olts WHERE olt_id = ?1")?
        .query_row([olt_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(j, at)| Ok((from_json(&j)?, at))).transpose()
}

/// An autofind entry as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutofindView {
    pub olt_id: String,
    pub port: String,
    pub sn: String,
    pub vendor_sn: String,
    pub equipment_id: Option<String>,
    pub version: Option<String>,
    pub software_version: Option<String>,
    pub found_at: Option<String>,
    pub first_seen: String,
}

/// What waits in autofind (on one OLT, or on all), oldest first.
pub fn autofind(c: &Connection, olt_id: Option<&str>) -> rusqlite::Result<Vec<AutofindView>> {
    let mut st = c.prepare_cached(
        "SELECT olt_id, port, sn, vendor_sn, equipment_id, version, software_version, found_at,
           first_seen FROM gpon_autofind WHERE ?1 IS NULL OR olt_id = ?1
         ORDER BY first_seen, olt_id, port, sn",
    )?;
    let v = st
        .query_map([olt_id], |r| {
            Ok(AutofindView {
                olt_id: r.get(0)?,
                port: r.get(1)?,
                sn: r.get(2)?,
                vendor_sn: r.get(3)?,
                equipment_id: r.get(4)?,
                version: r.get(5)?,
                software_version: r.get(6)?,
                found_at: r.get(7)?,
                first_seen: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The registration profiles (removed ones left out), by name.
pub fn profiles(c: &Connection) -> rusqlite::Result<Vec<(String, ProfileValues)>> {
    let mut st = c.prepare_cached(
        "SELECT id, values_json FROM gpon_profiles WHERE removed = 0 ORDER BY name COLLATE NOCASE",
    )?;
    let rows: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, j)| Ok((id, from_json(&j)?)))
        .collect()
}

/// One profile (`None` when unknown or removed).
pub fn profile_by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<ProfileValues>> {
    let j: Option<String> = c
        .prepare_cached("SELECT values_json FROM gpon_profiles WHERE id = ?1 AND removed = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    j.map(|j| from_json(&j)).transpose()
}

/// The settings in force and, once changed, (when, by whom).
pub fn settings(
    c: &Connection,
) -> rusqlite::Result<(GponSettingsValues, Option<(String, String)>)> {
    crate::settings_row(c, "gpon_settings", SETTINGS_ID)
}

/// A job as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub olt_id: String,
    pub olt_name: String,
    pub port: String,
    pub sn: String,
    pub name: String,
    pub state: String,
    pub request: JobRequest,
    pub steps: Vec<StepRecord>,
    pub failure: Option<String>,
    pub compensation: Option<String>,
    pub requested_at: String,
    pub requested_by: String,
    pub ended_at: Option<String>,
}

const JOB_COLS: &str =
    "id, kind, olt_id, olt_name, port, sn, name, state, request_json, steps_json,
    failure, compensation, requested_at, requested_by, ended_at";

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobView> {
    Ok(JobView {
        id: r.get(0)?,
        kind: r.get(1)?,
        olt_id: r.get(2)?,
        olt_name: r.get(3)?,
        port: r.get(4)?,
        sn: r.get(5)?,
        name: r.get(6)?,
        state: r.get(7)?,
        request: from_json(&r.get::<_, String>(8)?)?,
        steps: from_json(&r.get::<_, String>(9)?)?,
        failure: r.get(10)?,
        compensation: r.get(11)?,
        requested_at: r.get(12)?,
        requested_by: r.get(13)?,
        ended_at: r.get(14)?,
    })
}

pub fn job_by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<JobView>> {
    c.prepare_cached(&format!("SELECT {JOB_COLS} FROM gpon_jobs WHERE id = ?1"))?
        .query_row([id], job_row)
        .optional()
}

/// The latest jobs (of one OLT, or all), newest first.
pub fn jobs(c: &Connection, olt_id: Option<&str>, limit: usize) -> rusqlite::Result<Vec<JobView>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {JOB_COLS} FROM gpon_jobs WHERE ?1 IS NULL OR olt_id = ?1
         ORDER BY requested_at DESC, id LIMIT ?2"
    ))?;
    let v = st
        .query_map(params![olt_id, limit as i64], job_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// The job running on a port, if any.
pub fn running_on(c: &Connection, olt_id: &str, port: &str) -> rusqlite::Result<Option<JobView>> {
    c.prepare_cached(&format!(
        "SELECT {JOB_COLS} FROM gpon_jobs WHERE olt_id = ?1 AND port = ?2
           AND state IN ('running', 'compensating') LIMIT 1"
    ))?
    .query_row(params![olt_id, port], job_row)
    .optional()
}
