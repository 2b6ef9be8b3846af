//! Config Storage: one stored version's text, its download, the diff between
//! any two versions of a device, and search across every device's latest
//! config.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ispmon_projections::devices::{self as device_views, VersionRow};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{when, FormErrors};
use super::devices::load;
use super::layout::respond;
use crate::auth::Ctx;
use crate::devices::diff::{self, LineKind};
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

async fn version(st: &AppState, id: &str, v: u32) -> AppResult<(VersionRow, std::sync::Arc<str>)> {
    let id2 = id.to_string();
    let row = st
        .core
        .views
        .read(move |c| device_views::version(c, &id2, v))
        .await?
        .ok_or(AppError::NotFound)?;
    let text = st
        .config_cache
        .text(&st.core, &row.hash)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("blob {} is missing", row.hash)))?;
    Ok((row, text))
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, v)): Path<(String, u32)>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let d = load(&st, &id).await?;
    let (row, text) = version(&st, &id, v).await?;
    let body = html! {
        p { a href={ "/devices/" (id) } { "← " (d.name) } }
        h1 { (d.name) " · v" (row.version) }
        p.muted.small {
            (when(&row.at)) " · " (row.actor) " (" (row.source) ") · " (row.lines) " " (t(l, "configs.lines")) " · sha256 " code { (row.hash) }
        }
        p {
            a href={ "/devices/" (id) "/configs/" (v) "/raw" } download { (t(l, "configs.download")) }
            @if v > 1 { " · " a href={ "/devices/" (id) "/diff?a=" (v - 1) "&b=" (v) } { (t(l, "configs.diff_previous")) } }
        }
        pre.config { (text) }
    };
    Ok(respond(&ctx, &d.name, body).into_response())
}

fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn raw(
    State(st): State<AppState>,
    Path((id, v)): Path<(String, u32)>,
) -> AppResult<Response> {
    let d = load(&st, &id).await?;
    let (_, text) = version(&st, &id, v).await?;
    let file = format!("{}-v{v}.txt", safe_name(&d.name));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        text.to_string(),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct DiffQuery {
    a: Option<u32>,
    b: Option<u32>,
    #[serde(default)]
    format: String,
}

pub async fn diff(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let d = load(&st, &id).await?;
    let (Some(a), Some(b)) = (q.a, q.b) else {
        return Err(AppError::BadRequest("choose two versions (a and b)".into()));
    };
    let (ra, ta) = version(&st, &id, a).await?;
    let (rb, tb) = version(&st, &id, b).await?;
    let (la, lb) = (format!("{}-v{a}", d.name), format!("{}-v{b}", d.name));
    if q.format == "unified" {
        let file = format!("{}-v{a}-v{b}.diff", safe_name(&d.name));
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "text/x-diff; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            diff::unified(&ta, &tb, &la, &lb),
        )
            .into_response());
    }
    let hunks = diff::hunks(&ta, &tb, 3);
    let (added, removed) = diff::summary(&ta, &tb);
    let body = html! {
        p { a href={ "/devices/" (id) } { "← " (d.name) } }
        h1 { (d.name) " · v" (a) " → v" (b) }
        p.small {
            "v" (a) ": " (when(&ra.at)) ", " (ra.actor) " · v" (b) ": " (when(&rb.at)) ", " (rb.actor) " · "
            span.badge.good { "+" (added) } " " span.badge.bad { "−" (removed) } " · "
            a href={ "/devices/" (id) "/diff?a=" (a) "&b=" (b) "&format=unified" } download { (t(l, "configs.download_diff")) }
        }
        @if hunks.is_empty() {
            p.empty { (t(l, "configs.same")) }
        }
        @for h in &hunks {
            table.diff {
                @for line in h {
                    @let (class, sign) = match line.kind { LineKind::Added => ("add", "+"), LineKind::Removed => ("del", "−"), LineKind::Same => ("ctx", " ") };
                    tr class=(class) {
                        td.ln { (line.old_no.map(|n| n.to_string()).unwrap_or_default()) }
                        td.ln { (line.new_no.map(|n| n.to_string()).unwrap_or_default()) }
                        td.sign { (sign) }
                        td.code { (line.text) }
                    }
                }
            }
        }
    };
    Ok(respond(&ctx, &d.name, body).into_response())
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let needle = q.q.trim().to_string();
    let mut errors = FormErrors::default();
    if needle.chars().count() > 200 {
        errors.add("q", "search for at most 200 characters");
    }
    let hits = if errors.is_empty() && !needle.is_empty() {
        crate::devices::search(&st.core, &st.config_cache, &needle, 20).await?
    } else {
        Vec::new()
    };
    let results: Markup = html! {
        div id="config-hits" {
            @if !needle.is_empty() && hits.is_empty() && errors.is_empty() {
                p.empty { (t(l, "configs.no_hits")) }
            }
            @if !hits.is_empty() { p.small.muted { (hits.len()) " " (t(l, "configs.devices_match")) } }
            @for h in &hits {
                div.card {
                    h2 { a href={ "/devices/" (h.device.device_id) "/configs/" (h.device.versions) } { (h.device.name) } " " span.muted.small { "v" (h.device.versions) } }
                    pre.config {
                        @for (n, line) in &h.lines { span.muted { (format!("{n:>5}  ")) } (line) "\n" }
                        @if h.more > 0 { span.muted { "… +" (h.more) } }
                    }
                }
            }
        }
    };
    let body = html! {
        p { a href="/devices" { "← " (t(l, "devices.title")) } }
        h1 { (t(l, "configs.search")) }
        form.filters method="get" action="/configs/search" hx-get="/configs/search" hx-target="#config-hits" hx-select="#config-hits" hx-swap="outerHTML" hx-trigger="submit, input changed delay:400ms from:input" {
            input type="search" name="q" value=(needle) placeholder="vlan 1000" autofocus;
            button type="submit" { (t(l, "common.search")) }
            (errors.show("q"))
        }
        (results)
    };
    Ok(respond(&ctx, t(l, "configs.search"), body).into_response())
}
