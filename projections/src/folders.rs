//! Host folders and the ICMP settings row, for the board's sidebar and the
//! settings form.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::folder::FolderEvent;
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

#[derive(Debug, Clone, Serialize)]
pub struct FolderRow {
    pub folder_id: String,
    pub name: String,
}

pub fn list(c: &Connection) -> rusqlite::Result<Vec<FolderRow>> {
    let mut s =
        c.prepare_cached("SELECT folder_id, name FROM folders ORDER BY name COLLATE NOCASE")?;
    let rows = s.query_map([], |r| {
        Ok(FolderRow {
            folder_id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    rows.collect()
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
