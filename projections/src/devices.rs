//! Network devices, their config versions, and firmware files: the device
//! list, a device's page and versions, Config Storage search, the firmware
//! list.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::device::{DeviceEvent, DeviceProfile, PortMark, SshKeyRef};
use ispmon_events::firmware::FirmwareEvent;

pub struct DevicesProjection;

fn join(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn write_profile(c: &Connection, id: &str, p: &DeviceProfile, at: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE devices SET name = ?2, address = ?3, port = ?4, transport = ?5, dialect = ?6,
           roles = ?7, login = ?8, legacy_ssh = ?9, tags = ?10, host_id = ?11,
           pull_schedule = ?12, mask_secrets = ?13, updated_at = ?14, mgmt_mac = ?15,
           fdb_interval_min = ?16
         WHERE device_id = ?1",
    )?
    .execute(params![
        id,
        p.name,
        p.address,
        p.port,
        p.transport.as_str(),
        p.dialect,
        join(p.roles.iter().map(|r| r.as_str())),
        p.login,
        p.legacy_ssh,
        join(&p.tags),
        p.host,
        p.pull_schedule,
        p.mask_secrets,
        at,
        p.mgmt_mac,
        p.fdb_interval_min,
    ])?;
    Ok(())
}

fn set_key(c: &Connection, id: &str, key: Option<&SshKeyRef>, at: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE devices SET key_ref = ?2, key_fingerprint = ?3, updated_at = ?4 WHERE device_id = ?1",
    )?
    .execute(params![
        id,
        key.map(|k| &k.key_ref),
        key.map(|k| &k.fingerprint),
        at
    ])?;
    Ok(())
}

impl Projection for DevicesProjection {
    fn name(&self) -> &'static str {
        "devices"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/devices.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["devices", "config_versions", "firmware", "device_ports"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let (id, at) = (ev.id(), ev.at());
        match &ev.event {
            Decoded::Device(e) => match e {
                DeviceEvent::DeviceRegistered {
                    profile,
                    password_ref,
                    enable_ref,
                    ssh_key,
                } => {
                    c.prepare_cached(
                        "INSERT INTO devices (device_id, name, address, port, transport, dialect,
                           roles, login, legacy_ssh, tags, mask_secrets, password_ref,
                           enable_ref, password_changed_at, created_at, updated_at)
                         VALUES (?1, '', '', 0, '', '', '', '', 0, '', 0, ?2, ?3, ?4, ?4, ?4)",
                    )?
                    .execute(params![id, password_ref, enable_ref, at])?;
                    write_profile(c, id, profile, at)?;
                    set_key(c, id, ssh_key.as_ref(), at)?;
                }
                DeviceEvent::DeviceSshKeyChanged { ssh_key } => {
                    set_key(c, id, ssh_key.as_ref(), at)?
                }
                DeviceEvent::DeviceEdited { profile, .. } => write_profile(c, id, profile, at)?,
                DeviceEvent::DevicePasswordRotated { password_ref } => {
                    c.prepare_cached(
                        "UPDATE devices SET password_ref = ?3, password_changed_at = ?2,
                           updated_at = ?2 WHERE device_id = ?1",
                    )?
                    .execute(params![id, at, password_ref])?;
                }
                DeviceEvent::DeviceEnablePasswordRotated { enable_ref } => {
                    c.prepare_cached(
                        "UPDATE devices SET enable_ref = ?2, updated_at = ?3 WHERE device_id = ?1",
                    )?
                    .execute(params![id, enable_ref, at])?;
                }
                DeviceEvent::DeviceRetired { .. } => {
                    c.prepare_cached(
                        "UPDATE devices SET retired = 1, updated_at = ?2 WHERE device_id = ?1",
                    )?
                    .execute(params![id, at])?;
                }
                DeviceEvent::DeviceHostKeyRecorded { fingerprint }
                | DeviceEvent::DeviceHostKeyAccepted {
                    to: fingerprint, ..
                } => {
                    c.prepare_cached(
                        "UPDATE devices SET host_key = ?2, pending_host_key = NULL, updated_at = ?3,
                           last_failure = CASE WHEN pending_host_key IS NULL THEN last_failure END,
                           last_failure_at = CASE WHEN pending_host_key IS NULL THEN last_failure_at END
                         WHERE device_id = ?1",
                    )?
                    .execute(params![id, fingerprint, at])?;
                }
                DeviceEvent::ConfigVersionStored { version, config } => {
                    let meta = ev.stored.meta();
                    c.prepare_cached(
                        "INSERT INTO config_versions (device_id, version, hash, size, lines, added,
                           removed, actor, source, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    )?
                    .execute(params![
                        id,
                        version,
                        config.hash,
                        config.size,
                        config.lines,
                        config.added,
                        config.removed,
                        meta.actor_login,
                        meta.source.as_str(),
                        at
                    ])?;
                    c.prepare_cached(
                        "UPDATE devices SET versions = ?2, last_hash = ?3, last_version_at = ?4,
                           last_failure = NULL, last_failure_at = NULL WHERE device_id = ?1",
                    )?
                    .execute(params![id, version, config.hash, at])?;
                }
                DeviceEvent::ConfigPullFailed {
                    reason,
                    seen_host_key,
                } => {
                    c.prepare_cached(
                        "UPDATE devices SET last_failure = ?2, last_failure_at = ?3,
                           pending_host_key = ?4 WHERE device_id = ?1",
                    )?
                    .execute(params![id, reason, at, seen_host_key])?;
                }
                DeviceEvent::DevicePortMarked { port, mark } => {
                    if *mark == PortMark::Auto {
                        c.prepare_cached(
                            "DELETE FROM device_ports WHERE device_id = ?1 AND port = ?2",
                        )?
                        .execute(params![id, port])?;
                    } else {
                        c.prepare_cached(
                            "INSERT INTO device_ports (device_id, port, mark, marked_at) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (device_id, port) DO UPDATE SET mark = excluded.mark, marked_at = excluded.marked_at",
                        )?
                        .execute(params![id, port, mark.as_str(), at])?;
                    }
                }
            },
            Decoded::Firmware(FirmwareEvent::FirmwareUploaded { info }) => {
                c.prepare_cached(
                    "INSERT INTO firmware (firmware_id, filename, vendor, model, version, notes,
                       size, sha256, uploaded_by, uploaded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    id,
                    info.filename,
                    info.vendor,
                    info.model,
                    info.version,
                    info.notes,
                    info.size,
                    info.sha256,
                    ev.stored.meta().actor_login,
                    at
                ])?;
            }
            Decoded::Firmware(FirmwareEvent::FirmwareDeleted { .. }) => {
                c.prepare_cached("DELETE FROM firmware WHERE firmware_id = ?1")?
                    .execute(params![id])?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// One device as the list and its page show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceRow {
    pub device_id: String,
    pub name: String,
    pub address: String,
    pub port: u16,
    pub transport: String,
    pub dialect: String,
    pub roles: Vec<String>,
    pub login: String,
    pub legacy_ssh: bool,
    pub tags: Vec<String>,
    pub host_id: Option<String>,
    pub pull_schedule: Option<String>,
    pub mask_secrets: bool,
    /// The management MAC, lower-case colon form.
    pub mgmt_mac: Option<String>,
    /// A switch's own FDB interval (minutes); `None`: the Search Port setting.
    pub fdb_interval_min: Option<u32>,
    /// Derived: an enable password is stored.
    pub has_enable: bool,
    /// Secret ids (not secrets) of the login and enable passwords.
    #[serde(skip)]
    pub password_ref: String,
    #[serde(skip)]
    pub enable_ref: Option<String>,
    #[serde(skip)]
    pub key_ref: Option<String>,
    /// The public fingerprint of the stored SSH key, if any.
    pub key_fingerprint: Option<String>,
    pub retired: bool,
    pub host_key: Option<String>,
    pub pending_host_key: Option<String>,
    pub versions: u32,
    pub last_hash: Option<String>,
    pub last_version_at: Option<String>,
    pub last_failure: Option<String>,
    pub last_failure_at: Option<String>,
    pub password_changed_at: String,
    pub created_at: String,
}

fn split(s: String) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

const DEVICE_COLUMNS: &str = "device_id, name, address, port, transport, dialect, roles, login,
    legacy_ssh, tags, host_id, pull_schedule, mask_secrets, enable_ref IS NOT NULL, retired, host_key,
    pending_host_key, versions, last_hash, last_version_at, last_failure, last_failure_at,
    password_changed_at, created_at, password_ref, enable_ref, key_ref, key_fingerprint, mgmt_mac,
    fdb_interval_min";

fn device_row(r: &Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        device_id: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
        port: r.get(3)?,
        transport: r.get(4)?,
        dialect: r.get(5)?,
        roles: split(r.get(6)?),
        login: r.get(7)?,
        legacy_ssh: r.get(8)?,
        tags: split(r.get(9)?),
        host_id: r.get(10)?,
        pull_schedule: r.get(11)?,
        mask_secrets: r.get(12)?,
        has_enable: r.get(13)?,
        retired: r.get(14)?,
        host_key: r.get(15)?,
        pending_host_key: r.get(16)?,
        versions: r.get(17)?,
        last_hash: r.get(18)?,
        last_version_at: r.get(19)?,
        last_failure: r.get(20)?,
        last_failure_at: r.get(21)?,
        password_changed_at: r.get(22)?,
        created_at: r.get(23)?,
        password_ref: r.get(24)?,
        enable_ref: r.get(25)?,
        key_ref: r.get(26)?,
        key_fingerprint: r.get(27)?,
        mgmt_mac: r.get(28)?,
        fdb_interval_min: r.get(29)?,
    })
}

/// Filter and order for the device list.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    /// Matches name, address, dialect or a tag (case-insensitive substring).
    pub text: String,
    pub include_retired: bool,
    /// `name` (default), `address`, `dialect`, `version_at`, `status`.
    pub sort: String,
    pub desc: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A page of devices and the total matching.
pub fn list(c: &Connection, q: &DeviceQuery) -> rusqlite::Result<(Vec<DeviceRow>, u64)> {
    let like = format!(
        "%{}%",
        q.text
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let order = match q.sort.as_str() {
        "address" => "address",
        "dialect" => "dialect",
        "version_at" => "COALESCE(last_version_at, '')",
        "status" => "(last_failure IS NULL)",
        _ => "name COLLATE NOCASE",
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    let filter = "(?1 OR retired = 0) AND (name LIKE ?2 ESCAPE '\\' OR address LIKE ?2 ESCAPE '\\'
         OR dialect LIKE ?2 ESCAPE '\\' OR tags LIKE ?2 ESCAPE '\\')";
    let total: u64 = c.query_row(
        &format!("SELECT COUNT(*) FROM devices WHERE {filter}"),
        params![q.include_retired, like],
        |r| r.get(0),
    )?;
    let limit = if q.limit == 0 { 100 } else { q.limit };
    let mut s = c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE {filter}
         ORDER BY {order} {dir}, name COLLATE NOCASE LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = s
        .query_map(
            params![q.include_retired, like, limit, q.offset],
            device_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Every live (not retired) device, by name.
pub fn all_live(c: &Connection) -> rusqlite::Result<Vec<DeviceRow>> {
    Ok(list(
        c,
        &DeviceQuery {
            limit: u32::MAX,
            ..Default::default()
        },
    )?
    .0)
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<DeviceRow>> {
    c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ?1"
    ))?
    .query_row([id], device_row)
    .optional()
}

/// A live device by its name (case-insensitive).
pub fn by_name(c: &Connection, name: &str) -> rusqlite::Result<Option<DeviceRow>> {
    c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE name = ?1 COLLATE NOCASE AND retired = 0"
    ))?
    .query_row([name], device_row)
    .optional()
}

/// The live device with this management MAC (lower-case colon form).
pub fn by_mac(c: &Connection, mac: &str) -> rusqlite::Result<Option<DeviceRow>> {
    c.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE mgmt_mac = ?1 AND retired = 0"
    ))?
    .query_row([mac], device_row)
    .optional()
}

/// One stored config version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VersionRow {
    pub device_id: String,
    pub version: u32,
    pub hash: String,
    pub size: u64,
    pub lines: u64,
    pub added: u64,
    pub removed: u64,
    /// Who pulled it (login, or the job's name).
    pub actor: String,
    /// web / api / scheduler / cli.
    pub source: String,
    pub at: String,
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        device_id: r.get(0)?,
        version: r.get(1)?,
        hash: r.get(2)?,
        size: r.get(3)?,
        lines: r.get(4)?,
        added: r.get(5)?,
        removed: r.get(6)?,
        actor: r.get(7)?,
        source: r.get(8)?,
        at: r.get(9)?,
    })
}

const VERSION_COLUMNS: &str =
    "device_id, version, hash, size, lines, added, removed, actor, source, at";

/// A device's versions, newest first.
pub fn versions(c: &Connection, device: &str) -> rusqlite::Result<Vec<VersionRow>> {
    c.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM config_versions WHERE device_id = ?1 ORDER BY version DESC"
    ))?
    .query_map([device], version_row)?
    .collect()
}

pub fn version(c: &Connection, device: &str, v: u32) -> rusqlite::Result<Option<VersionRow>> {
    c.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM config_versions WHERE device_id = ?1 AND version = ?2"
    ))?
    .query_row(params![device, v], version_row)
    .optional()
}

/// How many config versions were stored since `since` (RFC 3339), for the
/// dashboard's "config changes today".
pub fn versions_since(c: &Connection, since: &str) -> rusqlite::Result<u64> {
    c.prepare_cached("SELECT COUNT(*) FROM config_versions WHERE at >= ?1")?
        .query_row([since], |r| r.get(0))
}

/// Counts for the dashboard: (live devices, devices whose last pull failed).
pub fn counts(c: &Connection) -> rusqlite::Result<(u64, u64)> {
    c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(last_failure IS NOT NULL), 0) FROM devices WHERE retired = 0",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// One firmware file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FirmwareRow {
    pub firmware_id: String,
    pub filename: String,
    pub vendor: String,
    pub model: String,
    pub version: String,
    pub notes: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

fn firmware_row(r: &Row<'_>) -> rusqlite::Result<FirmwareRow> {
    Ok(FirmwareRow {
        firmware_id: r.get(0)?,
        filename: r.get(1)?,
        vendor: r.get(2)?,
        model: r.get(3)?,
        version: r.get(4)?,
        notes: r.get(5)?,
        size: r.get(6)?,
        sha256: r.get(7)?,
        uploaded_by: r.get(8)?,
        uploaded_at: r.get(9)?,
    })
}

const FIRMWARE_COLUMNS: &str =
    "firmware_id, filename, vendor, model, version, notes, size, sha256, uploaded_by, uploaded_at";

pub fn firmware_list(c: &Connection) -> rusqlite::Result<Vec<FirmwareRow>> {
    c.prepare_cached(&format!(
        "SELECT {FIRMWARE_COLUMNS} FROM firmware
         ORDER BY vendor COLLATE NOCASE, model COLLATE NOCASE, uploaded_at DESC"
    ))?
    .query_map([], firmware_row)?
    .collect()
}

pub fn firmware(c: &Connection, id: &str) -> rusqlite::Result<Option<FirmwareRow>> {
    c.prepare_cached(&format!(
        "SELECT {FIRMWARE_COLUMNS} FROM firmware WHERE firmware_id = ?1"
    ))?
    .query_row([id], firmware_row)
    .optional()
}

/// Is this blob still referenced by a firmware row (other files may share it)?
pub fn firmware_blob_in_use(c: &Connection, sha256: &str) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM firmware WHERE sha256 = ?1)")?
        .query_row([sha256], |r| r.get(0))
}

/// Every stored file the read models reference — config versions and
/// firmware — as (sha256, what references it), for `ispmon verify`.
pub fn stored_files(c: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = c.prepare(
        "SELECT hash, 'config version ' || version || ' of device ' || device_id
           FROM config_versions
         UNION ALL
         SELECT sha256, 'firmware ' || filename || ' (' || firmware_id || ')' FROM firmware",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Admins' port marks of every device: device id → (port, `uplink` or
/// `access`).
pub fn port_marks(
    c: &Connection,
) -> rusqlite::Result<std::collections::HashMap<String, Vec<(String, String)>>> {
    let mut q = c.prepare_cached(
        "SELECT device_id, port, mark FROM device_ports ORDER BY device_id, port",
    )?;
    let mut out: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    for row in q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))? {
        let (device, port, mark) = row?;
        out.entry(device).or_default().push((port, mark));
    }
    Ok(out)
}

/// One device's port marks: (port, `uplink` or `access`).
pub fn port_marks_of(c: &Connection, device_id: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut q =
        c.prepare_cached("SELECT port, mark FROM device_ports WHERE device_id = ?1 ORDER BY port")?;
    let rows = q.query_map([device_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
