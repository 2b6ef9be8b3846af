//! Admin: the Search Port settings — how often switches' MAC tables and
//! NAS sessions are read, the collector's rules, how long sightings are
//! kept — every field with its range. A change is an event (the audit
//! shows who changed what) and applies from the next collection or poll.

use std::ops::RangeInclusive;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::fdb_settings::{
    FdbSettingsCommand, FdbSettingsValues, FDB_INTERVAL_MIN, MISS_LIMIT, NAS_INTERVAL_S,
    SIGHTINGS_KEEP_DAYS, UPLINK_THRESHOLD,
};
use maud::{html, Markup};

use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::pages::components::{hidden_csrf, notice, when, FieldsForm, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

pub const PATH: &str = "/admin/search/settings";

/// One field: its name, label and unit keys, and range.
struct Field {
    name: &'static str,
    label: &'static str,
    unit: Option<&'static str>,
    range: RangeInclusive<u32>,
    get: fn(&FdbSettingsValues) -> u32,
    set: fn(&mut FdbSettingsValues, u32),
}

const FIELDS: [Field; 5] = [
    Field {
        name: "fdb_interval_min",
        label: "fdb_settings.fdb_interval",
        unit: Some("unit.min"),
        range: FDB_INTERVAL_MIN,
        get: |v| v.fdb_interval_min,
        set: |v, x| v.fdb_interval_min = x,
    },
    Field {
        name: "miss_limit",
        label: "fdb_settings.miss_limit",
        unit: None,
        range: MISS_LIMIT,
        get: |v| v.miss_limit,
        set: |v, x| v.miss_limit = x,
    },
    Field {
        name: "uplink_threshold",
        label: "fdb_settings.uplink_threshold",
        unit: Some("unit.macs"),
        range: UPLINK_THRESHOLD,
        get: |v| v.uplink_threshold,
        set: |v, x| v.uplink_threshold = x,
    },
    Field {
        name: "nas_interval_s",
        label: "fdb_settings.nas_interval",
        unit: Some("unit.s"),
        range: NAS_INTERVAL_S,
        get: |v| v.nas_interval_s,
        set: |v, x| v.nas_interval_s = x,
    },
    Field {
        name: "sightings_keep_days",
        label: "fdb_settings.sightings_keep",
        unit: Some("unit.days"),
        range: SIGHTINGS_KEEP_DAYS,
        get: |v| v.sightings_keep_days,
        set: |v, x| v.sightings_keep_days = x,
    },
];

/// What the page says about the settings' origin: (when, by whom).
type Changed = Option<(String, String)>;

fn form(
    ctx: &Ctx,
    shown: &dyn Fn(&Field) -> String,
    changed: &Changed,
    errors: &FormErrors,
    message: Option<&str>,
) -> Markup {
    let l = ctx.locale;
    html! {
        section #fdb-settings {
            h1 { (t(l, "fdb_settings.title")) }
            p.muted {
                @match changed {
                    Some((at, by)) => { (t(l, "fdb_settings.changed")) " " (when(at)) " · " (by) " · " a href={ "/audit/entity/FdbSettings/" (ispmon_events::fdb_settings::SETTINGS_ID) } { (t(l, "devices.history")) } },
                    None => (t(l, "fdb_settings.defaults")),
                }
            }
            @if let Some(m) = message { (notice(m)) }
            @if let Some(m) = errors.get("form") { div.error-box role="alert" { (m) } }
            form.card method="post" action=(PATH) {
                (hidden_csrf(&ctx.csrf))
                div.grid {
                    @for f in &FIELDS {
                        label {
                            (t(l, f.label)) " (" (f.range.start()) "–" (f.range.end())
                            @if let Some(u) = f.unit { " " (t(l, u)) } ")"
                            input type="text" inputmode="numeric" name=(f.name) value=(shown(f)) required;
                            (errors.show(f.name))
                        }
                    }
                }
                p.small.muted { (t(l, "fdb_settings.hint")) }
                button type="submit" { (t(l, "account.save")) }
            }
        }
    }
}

fn page(ctx: &Ctx, body: Markup) -> Markup {
    respond(ctx, t(ctx.locale, "fdb_settings.title"), body)
}

async fn current(st: &AppState) -> AppResult<(FdbSettingsValues, Changed)> {
    Ok(st
        .core
        .views
        .read(ispmon_projections::fdb_settings::current)
        .await?)
}

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let (v, changed) = current(&st).await?;
    let shown = |f: &Field| (f.get)(&v).to_string();
    Ok(page(
        &ctx,
        form(&ctx, &shown, &changed, &FormErrors::default(), None),
    ))
}

pub async fn save(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let raw = |name: &str| f.fields.get(name).map(|s| s.trim()).unwrap_or("");
    let mut errors = FormErrors::default();
    let mut values = FdbSettingsValues::default();
    for field in &FIELDS {
        match raw(field.name).parse::<u32>() {
            Ok(x) => (field.set)(&mut values, x),
            Err(_) => errors.add(field.name, "enter a whole number"),
        }
    }
    if errors.is_empty() {
        for (field, msg) in values.errors() {
            errors.add(field, msg);
        }
    }
    if errors.is_empty() {
        let saved = st
            .core
            .commands
            .fdb_settings(FdbSettingsCommand::Change(values), &ctx.meta())
            .await;
        let message = match saved {
            Ok(_) => Some(t(l, "users.saved")),
            Err(e) if e.is_unchanged() => Some(t(l, "fdb_settings.unchanged")),
            Err(e) => {
                errors = FormErrors::from_command(e, l)?;
                None
            }
        };
        if let Some(m) = message {
            let (v, changed) = current(&st).await?;
            let shown = |f: &Field| (f.get)(&v).to_string();
            return Ok(page(&ctx, form(&ctx, &shown, &changed, &errors, Some(m))).into_response());
        }
    }
    let (_, changed) = current(&st).await?;
    let shown = |f: &Field| raw(f.name).to_string();
    let body = form(&ctx, &shown, &changed, &errors, None);
    Ok((errors.status(), page(&ctx, body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_reads_and_writes_its_own_value_and_has_its_texts() {
        let mut v = FdbSettingsValues::default();
        for (i, f) in FIELDS.iter().enumerate() {
            (f.set)(&mut v, 100 + i as u32);
        }
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!((f.get)(&v), 100 + i as u32, "{}", f.name);
            assert!(crate::i18n::has(f.label), "{}", f.label);
            assert!(f.unit.is_none_or(crate::i18n::has), "{:?}", f.unit);
        }
        let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        let errors: Vec<&str> = FdbSettingsValues {
            fdb_interval_min: 0,
            miss_limit: 0,
            uplink_threshold: 0,
            nas_interval_s: 0,
            sightings_keep_days: 0,
        }
        .errors()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
        assert_eq!(errors, names, "the form's fields are the values' fields");
    }
}
