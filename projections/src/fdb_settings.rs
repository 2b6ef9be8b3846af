//! The Search Port settings read model: the values in force (the FDB
//! collector, the NAS poller and the settings page read them), with who
//! changed them last.

use rusqlite::Connection;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::fdb_settings::{FdbSettingsEvent, FdbSettingsValues, SETTINGS_ID};

pub struct FdbSettingsProjection;

impl Projection for FdbSettingsProjection {
    fn name(&self) -> &'static str {
        "fdb_settings"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/fdb_settings.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["fdb_settings"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::FdbSettings(FdbSettingsEvent::FdbSettingsChanged(v)) = &ev.event else {
            return Ok(());
        };
        let json = serde_json::to_string(v)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        crate::put_settings_row(c, "fdb_settings", ev, &json)
    }
}

/// The settings in force and, once changed, (when, by whom).
pub fn current(c: &Connection) -> rusqlite::Result<(FdbSettingsValues, Option<(String, String)>)> {
    crate::settings_row(c, "fdb_settings", SETTINGS_ID)
}

/// The settings in force (defaults until first changed).
pub fn values(c: &Connection) -> rusqlite::Result<FdbSettingsValues> {
    Ok(current(c)?.0)
}
