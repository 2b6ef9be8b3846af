//! Device CSV import: every row is checked first (line numbers with the
//! field at fault); nothing is registered unless every row is good.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::device::ProfileInput;
use ispmon_projections::devices as device_views;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf, notice};
use super::layout::respond;
use crate::auth::Ctx;
use crate::devices::{self, DeviceForm};
use crate::error::AppResult;
use crate::i18n::t;
use crate::state::AppState;

pub const HEADER: &[&str] = &[
    "name",
    "address",
    "port",
    "transport",
    "dialect",
    "roles",
    "login",
    "password",
    "enable_password",
    "tags",
    "legacy_ssh",
    "mask_secrets",
    "pull_schedule",
    "mgmt_mac",
    "fdb_interval_min",
];

/// One checked row.
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    pub form: DeviceForm,
    pub error: Option<String>,
}

fn flag(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "no" | "false" => Ok(false),
        "1" | "yes" | "true" => Ok(true),
        other => Err(format!("“{other}” is not yes/no")),
    }
}

/// Parses and checks the CSV (header required) against the existing names
/// (lower-case) and management MACs (MAC → device name).
pub fn check(
    text: &str,
    existing: &HashSet<String>,
    macs: &HashMap<String, String>,
) -> Result<Vec<Row>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("the CSV cannot be read: {e}"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for required in ["name", "address", "dialect", "login", "password"] {
        if !header.iter().any(|h| h == required) {
            return Err(format!(
                "the header must name the columns; “{required}” is missing (columns: {})",
                HEADER.join(",")
            ));
        }
    }
    if let Some(unknown) = header.iter().find(|h| !HEADER.contains(&h.as_str())) {
        return Err(format!("unknown column “{unknown}”"));
    }
    let mut seen = HashSet::new();
    let mut seen_macs = HashSet::new();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let get = |k: &str| {
            header
                .iter()
                .position(|h| h == k)
                .and_then(|p| rec.get(p))
                .unwrap_or("")
                .to_string()
        };
        let mut error = None;
        let mut bool_field = |k: &str| {
            flag(&get(k)).unwrap_or_else(|e| {
                error.get_or_insert(format!("{k}: {e}"));
                false
            })
        };
        let (legacy_ssh, mask_secrets) = (bool_field("legacy_ssh"), bool_field("mask_secrets"));
        let form = DeviceForm {
            profile: ProfileInput {
                name: get("name"),
                address: get("address"),
                port: get("port"),
                transport: get("transport"),
                dialect: get("dialect"),
                roles: get("roles")
                    .split([';', ' ', '|'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                login: get("login"),
                legacy_ssh,
                tags: get("tags"),
                host: None,
                pull_schedule: Some(get("pull_schedule")),
                mask_secrets,
                mgmt_mac: Some(get("mgmt_mac")),
                fdb_interval_min: Some(get("fdb_interval_min")),
            },
            password: get("password"),
            enable_password: get("enable_password"),
            clear_enable: false,
            ..Default::default()
        };
        if error.is_none() {
            match devices::parse_input(&form.profile) {
                Err((field, m)) => error = Some(format!("{field}: {m}")),
                Ok(p) => {
                    let key = p.name.to_lowercase();
                    if form.password.is_empty() {
                        error = Some("password: a password is required".into());
                    } else if existing.contains(&key) {
                        error = Some("name: a device with this name exists".into());
                    } else if !seen.insert(key) {
                        error = Some("name: repeated in this file".into());
                    } else if let Some(mac) = &p.mgmt_mac {
                        if let Some(other) = macs.get(mac) {
                            error = Some(format!("mgmt_mac: {other} already has this MAC address"));
                        } else if !seen_macs.insert(mac.clone()) {
                            error = Some("mgmt_mac: repeated in this file".into());
                        }
                    }
                }
            }
        }
        rows.push(Row { line, form, error });
    }
    if rows.is_empty() {
        return Err("the CSV has no rows".into());
    }
    Ok(rows)
}

#[derive(Deserialize, Default)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    /// `preview` or `apply`.
    #[serde(default)]
    mode: String,
}

fn page(ctx: &Ctx, csv: &str, rows: &[Row], error: Option<&str>, done: Option<String>) -> Markup {
    let l = ctx.locale;
    let bad = rows.iter().filter(|r| r.error.is_some()).count();
    html! {
        section #import {
            p { a href="/devices" { "← " (t(l, "devices.title")) } }
            h1 { (t(l, "devices.import")) }
            p.muted { (t(l, "devices.import_hint")) " " code { (HEADER.join(",")) } }
            @if let Some(m) = &done { (notice(m)) }
            @if let Some(e) = error { (error_box(e)) }
            form.card method="post" action="/devices/import" {
                (hidden_csrf(&ctx.csrf))
                textarea name="csv" rows="10" required { (csv) }
                div.actions {
                    button type="submit" name="mode" value="preview" { (t(l, "icmp.preview")) }
                    @if !rows.is_empty() && bad == 0 { button type="submit" name="mode" value="apply" { (t(l, "icmp.apply")) } }
                }
            }
            @if !rows.is_empty() {
                table.data #import-rows {
                    thead { tr { th { "#" } th { (t(l, "devices.name")) } th { (t(l, "devices.address")) } th { (t(l, "devices.dialect")) } th { (t(l, "icmp.state")) } } }
                    tbody {
                        @for r in rows {
                            tr.bad[r.error.is_some()] data-line=(r.line) {
                                td.num { (r.line) } td { (r.form.profile.name) } td { (r.form.profile.address) } td { (r.form.profile.dialect) }
                                td { @match &r.error { Some(e) => span.field-error { (e) }, None => "ok" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn form(ctx: Ctx) -> Markup {
    respond(
        &ctx,
        t(ctx.locale, "devices.import"),
        page(&ctx, "", &[], None, None),
    )
}

pub async fn import(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ImportForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let live = st.core.views.read(device_views::all_live).await?;
    let existing: HashSet<String> = live.iter().map(|d| d.name.to_lowercase()).collect();
    let macs: HashMap<String, String> = live
        .into_iter()
        .filter_map(|d| Some((d.mgmt_mac?, d.name)))
        .collect();
    let unprocessable = |body: Markup| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            respond(&ctx, t(l, "devices.import"), body),
        )
            .into_response()
    };
    let rows = match check(&f.csv, &existing, &macs) {
        Ok(rows) => rows,
        Err(e) => return Ok(unprocessable(page(&ctx, &f.csv, &[], Some(&e), None))),
    };
    let bad = rows.iter().filter(|r| r.error.is_some()).count();
    if bad > 0 {
        let msg = format!("{bad} bad rows: nothing was applied");
        return Ok(unprocessable(page(&ctx, &f.csv, &rows, Some(&msg), None)));
    }
    if f.mode != "apply" {
        return Ok(respond(
            &ctx,
            t(l, "devices.import"),
            page(&ctx, &f.csv, &rows, None, None),
        )
        .into_response());
    }
    let mut added = 0;
    let mut failures = Vec::new();
    for r in &rows {
        match devices::register(&st.core, &r.form, &ctx.meta()).await? {
            Ok(_) => added += 1,
            Err(errors) => failures.push(format!(
                "line {}: {}",
                r.line,
                errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ")
            )),
        }
    }
    let done = format!("{added} {}", t(l, "devices.imported"));
    let err = (!failures.is_empty()).then(|| failures.join("\n"));
    Ok(respond(
        &ctx,
        t(l, "devices.import"),
        page(&ctx, "", &[], err.as_deref(), Some(done)),
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_rows_are_checked_with_line_numbers() {
        let existing: HashSet<String> = ["core-1".to_string()].into();
        let macs: HashMap<String, String> =
            [("00:00:5e:00:53:01".to_string(), "core-1".to_string())].into();
        let csv = "name,address,dialect,login,password,roles,legacy_ssh,mgmt_mac\n\
                   sw-1,127.0.0.1,cisco-ios,admin,pw1,switch,no,AABB.CCDD.EEFF\n\
                   core-1,127.0.0.2,cisco-ios,admin,pw,,,\n\
                   sw-2,127.0.0.3,junos,admin,pw,,,\n\
                   sw-3,127.0.0.4,zyxel,admin,,,,\n\
                   sw-1,127.0.0.5,zyxel,admin,pw,,,\n\
                   sw-6,127.0.0.6,zyxel,admin,pw,,maybe,\n\
                   sw-7,127.0.0.7,zyxel,admin,pw,,,aa:bb:cc:dd:ee\n\
                   sw-8,127.0.0.8,zyxel,admin,pw,,,aa-bb-cc-dd-ee-ff\n\
                   sw-9,127.0.0.9,zyxel,admin,pw,,,00005E005301\n";
        let rows = check(csv, &existing, &macs).unwrap();
        let errs: Vec<(usize, Option<&str>)> =
            rows.iter().map(|r| (r.line, r.error.as_deref())).collect();
        assert_eq!(
            errs,
            vec![
                (2, None),
                (3, Some("name: a device with this name exists")),
                (
                    4,
                    Some(
                        "dialect: unknown dialect “junos” (known: huawei-smartax, huawei-vrp, \
                         cisco-ios, dlink-des, zyxel, qtech, mikrotik, zte-c300)"
                    )
                ),
                (5, Some("password: a password is required")),
                (6, Some("name: repeated in this file")),
                (7, Some("legacy_ssh: “maybe” is not yes/no")),
                (
                    8,
                    Some(
                        "mgmt_mac: “aa:bb:cc:dd:ee” is not a MAC address: a MAC has 12 hex \
                         digits, as aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or \
                         aabbccddeeff"
                    )
                ),
                (9, Some("mgmt_mac: repeated in this file")),
                (10, Some("mgmt_mac: core-1 already has this MAC address")),
            ]
        );
        assert_eq!(rows[0].form.profile.roles, vec!["switch"]);
        let missing = check("name,address\nx,y\n", &existing, &macs).unwrap_err();
        assert!(
            missing.starts_with(
                "the header must name the columns; “dialect” is missing (columns: name,address,"
            ),
            "{missing}"
        );
        assert_eq!(
            check(
                "name,address,dialect,login,password,colour\n",
                &existing,
                &macs
            )
            .unwrap_err(),
            "unknown column “colour”".to_string()
        );
        assert_eq!(
            check("name,address,dialect,login,password\n", &existing, &macs).unwrap_err(),
            "the CSV has no rows".to_string()
        );
    }
}
