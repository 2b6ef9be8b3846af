//! The SLA settings read model: the calendar and policies in force (the
//! tickets list and the notifier judge due times under them), who changed
//! them last, and how many open tickets the last change recomputed.
//!
//! Its table belongs to the tickets projection, which folds the settings'
//! events and the tickets' in log order (see
//! [`crate::tickets::TicketsProjection`]): a ticket is judged under the
//! settings in force at its event's place in the log, and a change
//! recomputes every open ticket in the same transaction, so a rebuild
//! gives the same due times.

use rusqlite::{params, Connection};

use crate::Envelope;
use ispmon_events::sla::Sla;
use ispmon_events::sla_settings::{SlaSettingsEvent, SETTINGS_ID};

/// The settings in force, as the admin page shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaRow {
    pub sla: Sla,
    /// (when, by whom), once changed.
    pub changed: Option<(String, String)>,
    /// Open tickets recomputed by the last change.
    pub recomputed: i64,
    /// Of those, the ones whose due times moved.
    pub moved: i64,
}

/// The settings in force with their origin (the defaults until changed).
pub fn current(c: &Connection) -> rusqlite::Result<SlaRow> {
    let row = crate::opt(
        c.prepare_cached(
            "SELECT values_json, changed_at, changed_by, recomputed, moved
             FROM sla_settings WHERE id = ?1",
        )?
        .query_row([SETTINGS_ID], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        }),
    )?;
    Ok(match row {
        Some((json, at, by, recomputed, moved)) => SlaRow {
            sla: serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            changed: Some((at, by)),
            recomputed,
            moved,
        },
        None => SlaRow {
            sla: Sla::default(),
            changed: None,
            recomputed: 0,
            moved: 0,
        },
    })
}

/// The settings in force (the defaults until changed).
pub fn sla(c: &Connection) -> rusqlite::Result<Sla> {
    Ok(current(c)?.sla)
}

/// Folds a settings event into `sla` and writes the row; the counts are
/// written by [`set_counts`] once the open tickets are recomputed.
pub(crate) fn fold(
    c: &Connection,
    ev: &Envelope<'_>,
    e: &SlaSettingsEvent,
    sla: &mut Sla,
) -> rusqlite::Result<()> {
    let SlaSettingsEvent::SlaSettingsChanged(change) = e;
    change.apply_to(sla);
    let json = serde_json::to_string(sla)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    c.prepare_cached(
        "INSERT INTO sla_settings (id, values_json, changed_at, changed_by, recomputed, moved)
         VALUES (?1, ?2, ?3, ?4, 0, 0)
         ON CONFLICT (id) DO UPDATE SET values_json = excluded.values_json,
           changed_at = excluded.changed_at, changed_by = excluded.changed_by,
           recomputed = 0, moved = 0",
    )?
    .execute(params![
        ev.id(),
        json,
        ev.at(),
        ev.stored.meta().actor_login
    ])?;
    Ok(())
}

/// Records how many open tickets the change recomputed and moved.
pub(crate) fn set_counts(c: &Connection, recomputed: usize, moved: usize) -> rusqlite::Result<()> {
    c.prepare_cached("UPDATE sla_settings SET recomputed = ?1, moved = ?2 WHERE id = ?3")?
        .execute(params![recomputed as i64, moved as i64, SETTINGS_ID])?;
    Ok(())
}
