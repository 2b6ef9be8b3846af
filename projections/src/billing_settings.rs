//! The billing settings read model: the values in force (the sync job and
//! the admin page read them), with who changed them last.

use rusqlite::Connection;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::billing_settings::{BillingSettingsEvent, BillingSettingsValues, SETTINGS_ID};

pub struct BillingSettingsProjection;

impl Projection for BillingSettingsProjection {
    fn name(&self) -> &'static str {
        "billing_settings"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/billing_settings.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["billing_settings"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::BillingSettings(BillingSettingsEvent::BillingSettingsChanged(v)) = &ev.event
        else {
            return Ok(());
        };
        let json = serde_json::to_string(v)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        crate::put_settings_row(c, "billing_settings", ev, &json)
    }
}

/// The settings in force and, once changed, (when, by whom).
pub fn current(
    c: &Connection,
) -> rusqlite::Result<(BillingSettingsValues, Option<(String, String)>)> {
    crate::settings_row(c, "billing_settings", SETTINGS_ID)
}

/// The settings in force (defaults until first changed).
pub fn values(c: &Connection) -> rusqlite::Result<BillingSettingsValues> {
    Ok(current(c)?.0)
}
