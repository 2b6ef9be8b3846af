//! Host folders and the ICMP settings row, for the board's sidebar and the
//! settings form.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::folder::{FolderEvent, HostDisposal};
use ispmon_events::icmp_settings::{IcmpSettingsEvent, IcmpSettingsValues};

pub struct FoldersProjection;

impl Projection for FoldersProjection {
    fn name(&self) -> &'static str {
        "folders"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/folders.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["folders", "icmp_settings"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        match &ev.event {
            Decoded::Folder(FolderEvent::FolderCreated { name }) => {
                c.prepare_cached(
                    "INSERT INTO folders (folder_id, name, created_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![ev.id(), name, ev.at()])?;
            }
            Decoded::Folder(FolderEvent::FolderRenamed { to, .. }) => {
                c.prepare_cached("UPDATE folders SET name = ?1 WHERE folder_id = ?2")?
                    .execute(params![to, ev.id()])?;
            }
            Decoded::Folder(FolderEvent::FolderDeletionStarted { hosts, .. }) => {
                c.prepare_cached("UPDATE folders SET deleting = ?1 WHERE folder_id = ?2")?
                    .execute(params![disposal_text(*hosts), ev.id()])?;
            }
            Decoded::Folder(FolderEvent::FolderDeleted { .. }) => {
                c.prepare_cached("DELETE FROM folders WHERE folder_id = ?1")?
                    .execute(params![ev.id()])?;
            }
            Decoded::IcmpSettings(IcmpSettingsEvent::IcmpSettingsChanged(v)) => {
                let json = serde_json::to_string(v)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                c.prepare_cached(
                    "INSERT INTO icmp_settings (id, values_json, changed_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET values_json = excluded.values_json, changed_at = excluded.changed_at",
                )?
                .execute(params![ev.id(), json, ev.at()])?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn disposal_text(d: HostDisposal) -> &'static str {
    match d {
        HostDisposal::Move => "move",
        HostDisposal::Remove => "remove",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderRow {
    pub folder_id: String,
    pub name: String,
    /// Set while the folder is being deleted: what happens to its hosts.
    pub deleting: Option<HostDisposal>,
}

pub fn list(c: &Connection) -> rusqlite::Result<Vec<FolderRow>> {
    let mut s = c.prepare_cached(
        "SELECT folder_id, name, deleting FROM folders ORDER BY name COLLATE NOCASE",
    )?;
    let rows = s.query_map([], |r| {
        let deleting: Option<String> = r.get(2)?;
        Ok(FolderRow {
            folder_id: r.get(0)?,
            name: r.get(1)?,
            deleting: match deleting.as_deref() {
                None => None,
                Some("move") => Some(HostDisposal::Move),
                Some("remove") => Some(HostDisposal::Remove),
                Some(other) => {
                    return Err(rusqlite::Error::FromSqlConversionFailure(
                        2,
                        rusqlite::types::Type::Text,
                        format!("unknown disposal {other}").into(),
                    ))
                }
            },
        })
    })?;
    rows.collect()
}

/// The folders being deleted, with what happens to their hosts.
pub fn being_deleted(c: &Connection) -> rusqlite::Result<Vec<(String, HostDisposal)>> {
    Ok(list(c)?
        .into_iter()
        .filter_map(|f| f.deleting.map(|d| (f.folder_id, d)))
        .collect())
}

/// The ICMP settings in force (defaults until first changed).
pub fn icmp_settings(c: &Connection) -> rusqlite::Result<IcmpSettingsValues> {
    let json: Option<String> = crate::opt(c.query_row(
        "SELECT values_json FROM icmp_settings WHERE id = ?1",
        [ispmon_events::icmp_settings::SETTINGS_ID],
        |r| r.get(0),
    ))?;
    Ok(json
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}
