//! CSV export and import of hosts. Import is two steps: a preview with every
//! row checked (bad rows named by line), then apply — nothing is applied
//! when any row is bad, unless the user chooses to apply the good ones.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::folder::FolderCommand;
use ispmon_events::host::{parse_ip, HostCommand, HostDetails};
use ispmon_projections::{folders as folder_views, hosts};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::pages::components::{error_box, hidden_csrf, notice};
use crate::pages::layout::respond;
use crate::state::AppState;

/// The header every export has and every import expects.
pub const HEADER: [&str; 6] = ["ip", "name", "folder", "parent", "tags", "notes"];

/// Most rows one import takes.
const MAX_ROWS: usize = 20_000;

pub async fn export(State(st): State<AppState>) -> AppResult<Response> {
    let (rows, folders) = st
        .core
        .views
        .read(|c| Ok((hosts::all(c)?, folder_views::list(c)?)))
        .await?;
    let folder_name: HashMap<_, _> = folders
        .iter()
        .map(|f| (f.folder_id.as_str(), f.name.as_str()))
        .collect();
    let ip_of: HashMap<_, _> = rows
        .iter()
        .map(|h| (h.host_id.as_str(), h.ip.as_str()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(HEADER).map_err(csv_err)?;
    for h in &rows {
        let folder = h
            .folder_id
            .as_deref()
            .and_then(|f| folder_name.get(f))
            .copied()
            .unwrap_or("");
        let parent = h
            .parent_id
            .as_deref()
            .and_then(|p| ip_of.get(p))
            .copied()
            .unwrap_or("");
        w.write_record([
            h.ip.as_str(),
            &h.name,
            folder,
            parent,
            &h.tags.join(" "),
            &h.notes,
        ])
        .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hosts.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// One checked row of an import.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub ip: String,
    pub name: String,
    pub folder: String,
    pub parent: String,
    pub details: Option<HostDetails>,
    pub error: Option<String>,
}

/// Parses and checks an import against the hosts that exist (`existing`
/// IPs). Parents may be existing hosts or rows above in the same file.
pub fn check(text: &str, existing: &HashSet<String>) -> Result<Vec<Row>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .clone();
    let cols: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
    if cols.first().map(String::as_str) != Some("ip") || !cols.iter().any(|c| c == "name") {
        return Err(format!(
            "the first line must be the header: {}",
            HEADER.join(",")
        ));
    }
    let col = |name: &str| cols.iter().position(|c| c == name);
    let (ci, cn, cf, cp, ct, cno) = (
        col("ip"),
        col("name"),
        col("folder"),
        col("parent"),
        col("tags"),
        col("notes"),
    );
    let mut seen: HashSet<String> = HashSet::new();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        if rows.len() >= MAX_ROWS {
            return Err(format!("at most {MAX_ROWS} rows per import"));
        }
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_string();
        let (ip_raw, name, folder, parent, tags, notes) =
            (get(ci), get(cn), get(cf), get(cp), get(ct), get(cno));
        let mut error = None;
        let ip = match parse_ip(&ip_raw) {
            Ok(ip) => ip,
            Err(e) => {
                error = Some(e);
                ip_raw.clone()
            }
        };
        if error.is_none() && existing.contains(&ip) {
            error = Some(format!("a host with address {ip} exists"));
        }
        if error.is_none() && !seen.insert(ip.clone()) {
            error = Some(format!("address {ip} appears twice in the file"));
        }
        let parent_ip = if parent.is_empty() {
            String::new()
        } else {
            parse_ip(&parent).unwrap_or(parent.clone())
        };
        if error.is_none() && !parent_ip.is_empty() {
            if parent_ip == ip {
                error = Some("a host cannot be its own parent".into());
            } else if !existing.contains(&parent_ip)
                && !rows
                    .iter()
                    .any(|r: &Row| r.ip == parent_ip && r.error.is_none())
            {
                error = Some(format!(
                    "parent {parent_ip} is neither an existing host nor a good row above"
                ));
            }
        }
        if error.is_none() && folder.chars().count() > 64 {
            error = Some("a folder name must be 1 to 64 characters".into());
        }
        let details = match HostDetails::parse(&name, None, None, &notes, &tags) {
            Ok(d) => Some(d),
            Err((_, m)) => {
                error.get_or_insert(m);
                None
            }
        };
        rows.push(Row {
            line,
            ip,
            name,
            folder,
            parent: parent_ip,
            details: details.filter(|_| error.is_none()),
            error,
        });
    }
    if rows.is_empty() {
        return Err("the file has no rows below the header".into());
    }
    Ok(rows)
}

#[derive(Deserialize, Default)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    /// `preview`, `apply` or `apply_good`.
    #[serde(default)]
    mode: String,
}

fn page(
    ctx: &Ctx,
    f: &ImportForm,
    rows: &[Row],
    error: Option<&str>,
    done: Option<String>,
) -> Markup {
    let l = ctx.locale;
    let bad = rows.iter().filter(|r| r.error.is_some()).count();
    html! {
        section #import {
            h1 { (t(l, "icmp.import")) }
            p.muted { (t(l, "icmp.import_hint")) " " code { (HEADER.join(",")) } }
            @if let Some(m) = &done { (notice(m)) }
            @if let Some(e) = error { (error_box(e)) }
            form.card method="post" action="/icmp/import" {
                (hidden_csrf(&ctx.csrf))
                textarea name="csv" rows="10" required { (f.csv) }
                div.actions {
                    button type="submit" name="mode" value="preview" { (t(l, "icmp.preview")) }
                    @if !rows.is_empty() && bad == 0 { button type="submit" name="mode" value="apply" { (t(l, "icmp.apply")) } }
                    @if bad > 0 && bad < rows.len() { button.danger type="submit" name="mode" value="apply_good" { (t(l, "icmp.apply_good")) } }
                }
            }
            @if !rows.is_empty() {
                table.data #import-rows {
                    thead { tr { th { "#" } th { "IP" } th { (t(l, "icmp.name")) } th { (t(l, "icmp.folder")) } th { (t(l, "icmp.parent")) } th { (t(l, "icmp.state")) } } }
                    tbody {
                        @for r in rows {
                            tr.bad[r.error.is_some()] data-line=(r.line) {
                                td.num { (r.line) } td { code { (r.ip) } } td { (r.name) } td { (r.folder) } td { (r.parent) }
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
        t(ctx.locale, "icmp.import"),
        page(&ctx, &ImportForm::default(), &[], None, None),
    )
}

pub async fn import(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ImportForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let (all, folders) = st
        .core
        .views
        .read(|c| Ok((hosts::all(c)?, folder_views::list(c)?)))
        .await?;
    let existing: HashSet<String> = all.iter().map(|h| h.ip.clone()).collect();
    let rows = match check(&f.csv, &existing) {
        Ok(rows) => rows,
        Err(e) => {
            let body = page(&ctx, &f, &[], Some(&e), None);
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                respond(&ctx, t(l, "icmp.import"), body),
            )
                .into_response());
        }
    };
    let bad = rows.iter().filter(|r| r.error.is_some()).count();
    let apply = match f.mode.as_str() {
        "apply" if bad == 0 => true,
        "apply_good" => true,
        "apply" => {
            let msg = format!("{bad} bad rows: nothing was applied");
            let body = page(&ctx, &f, &rows, Some(&msg), None);
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                respond(&ctx, t(l, "icmp.import"), body),
            )
                .into_response());
        }
        _ => false,
    };
    if !apply {
        let status = if bad > 0 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok((
            status,
            respond(&ctx, t(l, "icmp.import"), page(&ctx, &f, &rows, None, None)),
        )
            .into_response());
    }
    let meta = ctx.meta();
    let mut folder_ids: HashMap<String, String> =
        folders.into_iter().map(|f| (f.name, f.folder_id)).collect();
    let mut host_ids: HashMap<String, String> =
        all.into_iter().map(|h| (h.ip, h.host_id)).collect();
    let mut added = 0;
    for r in rows.iter().filter(|r| r.error.is_none()) {
        let Some(mut details) = r.details.clone() else {
            continue;
        };
        if !r.folder.is_empty() {
            let id = match folder_ids.get(&r.folder) {
                Some(id) => id.clone(),
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    st.core
                        .commands
                        .folder(
                            &id,
                            FolderCommand::Create {
                                name: r.folder.clone(),
                            },
                            &meta,
                        )
                        .await?;
                    folder_ids.insert(r.folder.clone(), id.clone());
                    id
                }
            };
            details.folder = Some(id);
        }
        details.parent = host_ids.get(&r.parent).cloned();
        let id = uuid::Uuid::new_v4().to_string();
        st.core
            .commands
            .host(
                &id,
                HostCommand::Add {
                    ip: r.ip.clone(),
                    details,
                },
                &meta,
            )
            .await?;
        host_ids.insert(r.ip.clone(), id);
        added += 1;
    }
    let done = format!("{added} {}", t(l, "icmp.imported"));
    Ok(respond(
        &ctx,
        t(l, "icmp.import"),
        page(&ctx, &ImportForm::default(), &[], None, Some(done)),
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_with_line_numbers() {
        let existing: HashSet<String> = ["127.0.0.1".to_string()].into();
        let text = "ip,name,folder,parent,tags,notes\n\
                    127.0.0.2,gw,Core,,core,\n\
                    127.0.0.300,bad,,,,\n\
                    127.0.0.1,dup,,,,\n\
                    127.0.0.3,sw,Core,127.0.0.2,\"a b\",\"first, floor\"\n\
                    127.0.0.4,orphan,,127.9.9.9,,\n\
                    127.0.0.3,again,,,,\n";
        let rows = check(text, &existing).unwrap();
        let errs: Vec<(usize, Option<&str>)> =
            rows.iter().map(|r| (r.line, r.error.as_deref())).collect();
        assert_eq!(
            errs,
            vec![
                (2, None),
                (3, Some("'127.0.0.300' is not an IPv4 or IPv6 address")),
                (4, Some("a host with address 127.0.0.1 exists")),
                (5, None),
                (
                    6,
                    Some("parent 127.9.9.9 is neither an existing host nor a good row above")
                ),
                (7, Some("address 127.0.0.3 appears twice in the file")),
            ]
        );
        let sw = rows[3].details.as_ref().unwrap();
        assert_eq!(sw.name, "sw");
        assert_eq!(
            sw.notes, "first, floor",
            "a quoted comma stays in the notes"
        );
        assert_eq!(sw.tags, vec!["a", "b"]);
        assert_eq!(rows[3].folder, "Core");
        assert_eq!(
            rows[3].parent, "127.0.0.2",
            "the good row above is a parent"
        );
        assert!(rows[1].details.is_none(), "a bad row carries no details");
        let header = format!("the first line must be the header: {}", HEADER.join(","));
        assert_eq!(
            check("name,ip\nx,127.0.0.1\n", &existing).unwrap_err(),
            header,
            "header checked"
        );
        assert_eq!(
            check("ip,name\n", &existing).unwrap_err(),
            "the file has no rows below the header".to_string(),
            "no rows"
        );
    }
}
