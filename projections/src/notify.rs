//! The notification settings read model: where host transitions are sent,
//! as the admin page shows it. Holds the token's secret reference, never
//! the token.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::notify_settings::{NotifySettingsEvent, NotifySettingsValues};
use ispmon_events::secrets::SecretRef;

pub struct NotifyProjection;

impl Projection for NotifyProjection {
    fn name(&self) -> &'static str {
        "notify"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/notify/views_notify_settings.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["notify_settings"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::NotifySettings(NotifySettingsEvent::NotifySettingsChanged(v)) = &ev.event
        else {
            return Ok(());
        };
        c.prepare_cached(
            "INSERT INTO notify_settings (id, webhook_url_ref, webhook_target, webhook_url,
                                          telegram_api_base, telegram_chat_id,
                                          telegram_token_ref, updated_at, updated_by)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET
                webhook_url_ref = excluded.webhook_url_ref,
                webhook_target = excluded.webhook_target,
                webhook_url = excluded.webhook_url,
                telegram_api_base = excluded.telegram_api_base,
                telegram_chat_id = excluded.telegram_chat_id,
                telegram_token_ref = excluded.telegram_token_ref,
                updated_at = excluded.updated_at,
                updated_by = excluded.updated_by",
        )?
        .execute(params![
            v.webhook_url_ref.as_ref().map(|r| r.0.as_str()),
            v.webhook_target,
            v.webhook_url,
            v.telegram_api_base,
            v.telegram_chat_id,
            v.telegram_token_ref.as_ref().map(|r| r.0.as_str()),
            ev.at(),
            ev.stored.meta().actor_login,
        ])?;
        Ok(())
    }
}

/// The current settings and who changed them last, when.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NotifySettingsRow {
    pub values: NotifySettingsValues,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// The current settings (defaults when never changed).
pub fn settings(c: &Connection) -> rusqlite::Result<NotifySettingsRow> {
    let row = crate::opt(
        c.prepare_cached(
            "SELECT webhook_url_ref, webhook_target, webhook_url, telegram_api_base,
                    telegram_chat_id, telegram_token_ref, updated_at, updated_by
             FROM notify_settings WHERE id = 1",
        )?
        .query_row([], |r| {
            Ok(NotifySettingsRow {
                values: NotifySettingsValues {
                    webhook_url_ref: r.get::<_, Option<String>>(0)?.map(SecretRef),
                    webhook_target: r.get(1)?,
                    webhook_url: r.get(2)?,
                    telegram_api_base: r.get(3)?,
                    telegram_chat_id: r.get(4)?,
                    telegram_token_ref: r.get::<_, Option<String>>(5)?.map(SecretRef),
                },
                updated_at: r.get(6)?,
                updated_by: r.get(7)?,
            })
        }),
    )?;
    Ok(row.unwrap_or_default())
}
