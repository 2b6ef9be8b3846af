//! A host's page (facts, latency chart, state history, maintenance windows)
//! and the buttons on it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::host::{HostCommand, HostState};
use ispmon_projections::folders as folder_views;
use ispmon_projections::hosts;
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{host_form, HostForm};
use super::{fmt_loss, fmt_ms, load, state_badge};
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::pages::components::{hidden_csrf, when, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

/// Runs a simple host command from a button and returns to the host page.
async fn host_action(st: &AppState, ctx: &Ctx, id: &str, cmd: HostCommand) -> AppResult<Response> {
    load(st, id).await?;
    st.core.commands.host(id, cmd, &ctx.meta()).await?;
    Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response())
}

pub async fn delete_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    st.core
        .commands
        .host(&id, HostCommand::Remove, &ctx.meta())
        .await?;
    Ok(Redirect::to("/icmp").into_response())
}

pub async fn pause_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    host_action(&st, &ctx, &id, HostCommand::Pause).await
}

pub async fn resume_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    host_action(&st, &ctx, &id, HostCommand::Resume).await
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    comment: String,
}

pub async fn ack_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AckForm>,
) -> AppResult<Response> {
    host_action(
        &st,
        &ctx,
        &id,
        HostCommand::Acknowledge { comment: f.comment },
    )
    .await
}

#[derive(Deserialize)]
pub struct MaintenanceForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    reason: String,
}

pub async fn schedule_maintenance(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MaintenanceForm>,
) -> AppResult<Response> {
    let start = crate::pages::audit::parse_moment(&f.start, false).map_err(AppError::Rejected)?;
    let end = crate::pages::audit::parse_moment(&f.end, false).map_err(AppError::Rejected)?;
    let window_id = uuid::Uuid::new_v4().to_string();
    host_action(
        &st,
        &ctx,
        &id,
        HostCommand::ScheduleMaintenance {
            window_id,
            start,
            end,
            reason: f.reason,
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    range: String,
}

/// The chart ranges: (query value, seconds).
const RANGES: &[(&str, i64)] = &[("24h", 86_400), ("7d", 7 * 86_400), ("1y", 365 * 86_400)];

pub async fn show_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(rq): Query<RangeQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let (range, span) = RANGES
        .iter()
        .find(|(r, _)| *r == rq.range)
        .copied()
        .unwrap_or(RANGES[0]);
    let to = chrono::Utc::now().timestamp() + 1;
    let from = to - span;
    let (hid, tel) = (id.clone(), st.core.telemetry.clone());
    // One read for the whole page, the chart's series included.
    let found = st
        .core
        .views
        .read(move |c| {
            let Some(h) = hosts::get(c, &hid)? else {
                return Ok(None);
            };
            let parent = match &h.parent_id {
                Some(p) => hosts::get(c, p)?,
                None => None,
            };
            Ok(Some((
                tel.series_blocking(&hid, from, to)?,
                hosts::transitions(c, &hid, 100)?,
                folder_views::list(c)?,
                parent,
                hosts::maintenance(c, &hid)?,
                h,
            )))
        })
        .await?;
    let (points, history, folders, parent, windows, h) = found.ok_or(AppError::NotFound)?;
    let base = format!("/icmp/hosts/{id}");
    let form = HostForm {
        ip: h.ip.clone(),
        name: h.name.clone(),
        folder: h.folder_id.clone().unwrap_or_default(),
        parent: parent.as_ref().map(|p| p.ip.clone()).unwrap_or_default(),
        notes: h.notes.clone(),
        tags: h.tags.join(", "),
    };
    let body = html! {
        section #host {
            h1 { (state_badge(&ctx, &h)) " " (h.name) " " code { (h.ip) } }
            @if ctx.can_get("/tickets/new") {
                p.actions { a.button.small #host-ticket href={ "/tickets/new?host_id=" (urlencoding::encode(&h.host_id)) } { (t(l, "tickets.new")) } }
            }
            dl.facts {
                dt { (t(l, "icmp.since")) } dd { (when(&h.state_since)) }
                dt { (t(l, "icmp.rtt")) } dd { (fmt_ms(h.last_avg_ms)) }
                dt { (t(l, "icmp.loss")) } dd { (fmt_loss(h.last_loss_pct)) }
                @if let Some(p) = &parent { dt { (t(l, "icmp.parent")) } dd { a href={ "/icmp/hosts/" (p.host_id) } { (p.name) " " code { (p.ip) } } } }
                @if !h.tags.is_empty() { dt { (t(l, "icmp.tags")) } dd { (h.tags.join(", ")) } }
                @if !h.notes.is_empty() { dt { (t(l, "icmp.notes")) } dd { (h.notes) } }
                @if let Some(by) = &h.acked_by { dt { (t(l, "icmp.ack")) } dd { (by) @if let Some(c) = &h.ack_comment { ": " (c) } } }
            }
            div.cards {
                @if ctx.can_post("/icmp/hosts/{id}/ack") && matches!(h.state, HostState::Down | HostState::Unreachable) && h.acked_by.is_none() {
                    form.card method="post" action={ (base) "/ack" } {
                        (hidden_csrf(&ctx.csrf))
                        label { (t(l, "icmp.ack_comment")) input type="text" name="comment" required maxlength="500"; }
                        button type="submit" { (t(l, "icmp.acknowledge")) }
                    }
                }
                @if ctx.can_post("/icmp/hosts/{id}/check") && !h.paused {
                    form.card method="post" action={ (base) "/check" } {
                        (hidden_csrf(&ctx.csrf))
                        button type="submit" { (t(l, "icmp.check_now")) }
                    }
                }
                @if ctx.can_post("/icmp/hosts/{id}/pause") {
                    form.card method="post" action={ (base) @if h.paused { "/resume" } @else { "/pause" } } {
                        (hidden_csrf(&ctx.csrf))
                        button type="submit" { @if h.paused { (t(l, "icmp.resume")) } @else { (t(l, "icmp.pause")) } }
                    }
                }
                @if ctx.can_post("/icmp/hosts/{id}/maintenance") {
                    form.card method="post" action={ (base) "/maintenance" } {
                        (hidden_csrf(&ctx.csrf))
                        h2 { (t(l, "icmp.maintenance")) }
                        label { (t(l, "audit.from")) input type="text" name="start" placeholder="YYYY-MM-DD HH:MM" required; }
                        label { (t(l, "audit.to")) input type="text" name="end" placeholder="YYYY-MM-DD HH:MM" required; }
                        label { (t(l, "icmp.reason")) input type="text" name="reason" required maxlength="500"; }
                        button type="submit" { (t(l, "icmp.schedule")) }
                    }
                }
            }
            @if !windows.is_empty() {
                h2 { (t(l, "icmp.maintenance")) }
                table.data { tbody { @for (s, e, r) in &windows { tr { td { (when(s)) " — " (when(e)) } td { (r) } } } } }
            }
            h2 { (t(l, "icmp.graph")) }
            nav.ranges {
                @for (r, _) in RANGES {
                    a.active[*r == range] href={ (base) "?range=" (r) } { (r) }
                }
            }
            (crate::pages::charts::latency_chart(&points, from, to, t(l, "icmp.no_samples")))
            h2 { (t(l, "icmp.history")) }
            @if history.is_empty() { p.empty { (t(l, "icmp.no_history")) } } @else {
                table.data #host-history {
                    thead { tr { th { (t(l, "audit.when")) } th { (t(l, "icmp.state")) } th { (t(l, "icmp.rtt")) } th { (t(l, "icmp.loss")) } } }
                    tbody { @for tr_ in &history { tr { td { (when(&tr_.at)) } td { (tr_.state) } td.num { (fmt_ms(tr_.avg_ms)) } td.num { (fmt_loss(tr_.loss_pct)) } } } }
                }
            }
            @if ctx.can_post("/icmp/hosts/{id}") {
                (host_form(&ctx, Some(&id), &folders, &form, &FormErrors::default()))
                form method="post" action={ (base) "/delete" } {
                    (hidden_csrf(&ctx.csrf))
                    button.danger type="submit" { (t(l, "icmp.delete_host")) }
                }
            }
        }
    };
    Ok(respond(&ctx, &h.name, body))
}

/// "Check this host": the sweep job over this host, waited for; the host
/// page then shows the result.
pub async fn check_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let scope = ispmon_scheduler::Scope::One(id.clone());
    st.scheduler
        .run(ispmon_scheduler::sweep::JOB_NAME, scope, Some(ctx.meta()))
        .await
        .map_err(crate::pages::devices::scheduler_error)?
        .map_err(AppError::Rejected)?;
    Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response())
}
