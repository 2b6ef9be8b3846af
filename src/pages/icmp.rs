//! The ICMP board: folders with counts, the host table with live updates
//! (only changed rows are sent), a host's page, and host/folder editing.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::folder::{self, FolderCommand};
use ispmon_events::host::{parse_ip, HostCommand, HostDetails};
use ispmon_projections::folders::{self as folder_views, FolderRow};
use ispmon_projections::hosts::{self, HostRow};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf, notice, query, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct BoardQuery {
    /// A folder id, or `all`, `up`, `down`, `paused`, `none`.
    #[serde(default)]
    view: String,
}

fn matches(view: &str, h: &HostRow) -> bool {
    match view {
        "" | "all" => true,
        "up" => h.state == "up" && !h.paused,
        "down" => matches!(h.state.as_str(), "down" | "unreachable") && !h.paused,
        "paused" => h.paused,
        "none" => h.folder_id.is_none(),
        folder => h.folder_id.as_deref() == Some(folder),
    }
}

fn state_badge(ctx: &Ctx, h: &HostRow) -> Markup {
    let l = ctx.locale;
    let (class, key) = if h.paused {
        ("paused", "icmp.state.paused")
    } else {
        match h.state.as_str() {
            "up" => ("up", "icmp.state.up"),
            "degraded" => ("degraded", "icmp.state.degraded"),
            "down" => ("down", "icmp.state.down"),
            "unreachable" => ("unreachable", "icmp.state.unreachable"),
            _ => ("pending", "icmp.state.pending"),
        }
    };
    html! { span class={ "state " (class) } { (t(l, key)) } }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2} ms"))
        .unwrap_or_else(|| "—".into())
}

fn fmt_loss(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0} %")).unwrap_or_else(|| "—".into())
}

/// One board row; `oob` marks it for an out-of-band swap in live updates.
fn host_row(ctx: &Ctx, h: &HostRow, oob: bool) -> Markup {
    html! {
        tr id={ "host-" (h.host_id) } class={ "st-" (h.state) } data-state=(h.state) hx-swap-oob=[oob.then_some("true")] {
            td { (state_badge(ctx, h)) }
            td { a href={ "/icmp/hosts/" (h.host_id) } { (h.name) } }
            td { code { (h.ip) } }
            td.nowrap { (when(&h.state_since)) }
            td.num { (fmt_ms(h.last_avg_ms)) }
            td.num { (fmt_loss(h.last_loss_pct)) }
            td.small { @if let Some(by) = &h.acked_by { "✓ " (by) @if let Some(c) = &h.ack_comment { ": " (c) } } }
        }
    }
}

async fn board_data(st: &AppState) -> AppResult<(Vec<HostRow>, Vec<FolderRow>)> {
    Ok(st
        .core
        .views
        .read(|c| Ok((hosts::all(c)?, folder_views::list(c)?)))
        .await?)
}

/// The folder sidebar with counts; `oob` marks it for an out-of-band swap.
fn sidebar(ctx: &Ctx, all: &[HostRow], folders: &[FolderRow], view: &str, oob: bool) -> Markup {
    let l = ctx.locale;
    let count = |v: &str| all.iter().filter(|h| matches(v, h)).count();
    let link = |v: &str, label: &str| {
        html! {
            a.folder.active[view == v || (view.is_empty() && v == "all")] href={ "/icmp" (query(&[("view", v)])) } {
                span { (label) } span.count { (count(v)) }
            }
        }
    };
    html! {
        aside.sidebar #icmp-sidebar hx-swap-oob=[oob.then_some("true")] {
            (link("all", t(l, "icmp.all")))
            (link("up", t(l, "icmp.state.up")))
            (link("down", t(l, "icmp.state.down")))
            (link("paused", t(l, "icmp.state.paused")))
            hr;
            @for f in folders { (link(&f.folder_id, &f.name)) }
            (link("none", t(l, "icmp.no_folder")))
        }
    }
}

pub async fn board(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let (mut all, folders) = board_data(&st).await?;
    // The latest round's RTT and loss (telemetry), where there is one.
    let latest = st.core.telemetry.latest().await?;
    for h in &mut all {
        if let Some((_, loss, avg)) = latest.get(&h.host_id) {
            h.last_loss_pct = Some(*loss);
            h.last_avg_ms = *avg;
        }
    }
    let rows: Vec<&HostRow> = all.iter().filter(|h| matches(&q.view, h)).collect();
    let since = ispmon_events::store::now_rfc3339();
    let body = html! {
        div.board {
            (sidebar(&ctx, &all, &folders, &q.view, false))
            section.hosts {
                h1 { (t(l, "icmp.title")) }
                div.actions {
                    a href="/icmp/export.csv" { (t(l, "icmp.export")) }
                    @if ctx.can_get("/icmp/import") { a href="/icmp/import" { (t(l, "icmp.import")) } }
                }
                @if ctx.can_post("/icmp/check") {
                    div.actions {
                        @for (scope, key) in [("all", "icmp.check_all"), ("down", "icmp.check_down")] {
                            form.inline method="post" action="/icmp/check" {
                                (hidden_csrf(&ctx.csrf))
                                input type="hidden" name="scope" value=(scope);
                                button.small type="submit" { (t(l, key)) }
                            }
                        }
                    }
                }
                (live_marker(&since, &q.view))
                @if rows.is_empty() {
                    p.empty { (t(l, "icmp.empty")) }
                } @else {
                    table.data #hosts-table {
                        thead { tr {
                            th { (t(l, "icmp.state")) } th { (t(l, "icmp.name")) } th { "IP" }
                            th { (t(l, "icmp.since")) } th { (t(l, "icmp.rtt")) } th { (t(l, "icmp.loss")) } th { (t(l, "icmp.ack")) }
                        } }
                        tbody { @for h in &rows { (host_row(&ctx, h, false)) } }
                    }
                }
                @if ctx.can_post("/icmp/hosts") { (host_form(&ctx, None, &folders, &HostForm::default(), &FormErrors::default())) }
                @if ctx.can_post("/icmp/folders") { (folder_forms(&ctx, &folders)) }
            }
        }
    };
    Ok(respond(&ctx, t(l, "icmp.title"), body))
}

/// The element that polls for changes since `since` and replaces itself.
fn live_marker(since: &str, view: &str) -> Markup {
    html! {
        div #icmp-live hx-get={ "/icmp/changes" (query(&[("since", since), ("view", view)])) } hx-trigger="every 3s" hx-swap="outerHTML" {}
    }
}

#[derive(Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    since: String,
    #[serde(default)]
    view: String,
}

/// Live updates: only the rows changed since `since`, swapped out of band.
pub async fn changes(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChangesQuery>,
) -> AppResult<Markup> {
    let now = ispmon_events::store::now_rfc3339();
    let since = q.since.clone();
    let changed = st
        .core
        .views
        .read(move |c| hosts::changed_since(c, &since))
        .await?;
    // When something changed, the sidebar's counts are sent again too.
    let side = if changed.is_empty() {
        None
    } else {
        let (all, folders) = board_data(&st).await?;
        Some(sidebar(&ctx, &all, &folders, &q.view, true))
    };
    Ok(html! {
        (live_marker(&now, &q.view))
        // Table rows must sit in a <template> to survive HTML parsing
        // outside a table; htmx swaps the rows inside it out of band.
        @if !changed.is_empty() {
            template { @for h in &changed { (host_row(&ctx, h, true)) } }
        }
        @if let Some(side) = side { (side) }
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct HostForm {
    #[serde(default)]
    ip: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
}

fn host_form(
    ctx: &Ctx,
    id: Option<&str>,
    folders: &[FolderRow],
    f: &HostForm,
    errors: &FormErrors,
) -> Markup {
    let l = ctx.locale;
    let action = match id {
        Some(id) => format!("/icmp/hosts/{id}"),
        None => "/icmp/hosts".to_string(),
    };
    html! {
        details.card open[id.is_some() || !errors.is_empty()] #host-form {
            summary { @if id.is_some() { (t(l, "icmp.edit_host")) } @else { (t(l, "icmp.add_host")) } }
            @if let Some(m) = errors.get("form") { (error_box(m)) }
            form method="post" action=(action) {
                (hidden_csrf(&ctx.csrf))
                div.grid {
                    label { "IP" input type="text" name="ip" value=(f.ip) required; (errors.show("ip")) }
                    label { (t(l, "icmp.name")) input type="text" name="name" value=(f.name) required maxlength="100"; (errors.show("name")) }
                    label { (t(l, "icmp.folder"))
                        select name="folder" {
                            option value="" { (t(l, "icmp.no_folder")) }
                            @for fo in folders { option value=(fo.folder_id) selected[fo.folder_id == f.folder] { (fo.name) } }
                        }
                    }
                    label { (t(l, "icmp.parent")) input type="text" name="parent" value=(f.parent) placeholder=(t(l, "icmp.parent_hint")); (errors.show("parent")) }
                    label { (t(l, "icmp.tags")) input type="text" name="tags" value=(f.tags); (errors.show("tags")) }
                }
                label { (t(l, "icmp.notes")) textarea name="notes" rows="2" { (f.notes) } (errors.show("notes")) }
                button type="submit" { (t(l, "account.save")) }
            }
        }
    }
}

fn folder_forms(ctx: &Ctx, folders: &[FolderRow]) -> Markup {
    let l = ctx.locale;
    html! {
        details.card #folders {
            summary { (t(l, "icmp.folders")) }
            form.inline-form method="post" action="/icmp/folders" {
                (hidden_csrf(&ctx.csrf))
                input type="text" name="name" required maxlength="64" placeholder=(t(l, "icmp.folder_name"));
                button type="submit" { (t(l, "users.create")) }
            }
            @for f in folders {
                div.folder-row {
                    form.inline-form method="post" action={ "/icmp/folders/" (f.folder_id) "/rename" } {
                        (hidden_csrf(&ctx.csrf))
                        input type="text" name="name" value=(f.name) required maxlength="64";
                        button.small type="submit" { (t(l, "icmp.rename")) }
                    }
                    form.inline-form method="post" action={ "/icmp/folders/" (f.folder_id) "/delete" } {
                        (hidden_csrf(&ctx.csrf))
                        select name="hosts" {
                            option value="move" { (t(l, "icmp.delete_move")) }
                            option value="delete" { (t(l, "icmp.delete_hosts")) }
                        }
                        button.small.danger type="submit" { (t(l, "icmp.delete")) }
                    }
                }
            }
        }
    }
}

/// Validates a host form against the read model: address, details, parent.
async fn parse_host_form(
    st: &AppState,
    id: Option<&str>,
    f: &HostForm,
) -> AppResult<Result<(String, HostDetails), FormErrors>> {
    let mut errors = FormErrors::default();
    let ip = parse_ip(&f.ip).map_err(|e| errors.add("ip", e)).ok();
    let parent_ip = f.parent.trim().to_string();
    let (taken, parent) = {
        let ip2 = ip.clone().unwrap_or_default();
        let pip = parse_ip(&parent_ip).ok();
        st.core
            .views
            .read(move |c| {
                let taken = hosts::by_ip(c, &ip2)?;
                let parent = match pip {
                    Some(p) => hosts::by_ip(c, &p)?,
                    None => None,
                };
                Ok((taken, parent))
            })
            .await?
    };
    if let Some(t) = taken {
        if Some(t.host_id.as_str()) != id {
            errors.add("ip", "a host with this address exists");
        }
    }
    let parent_id = if parent_ip.is_empty() {
        None
    } else {
        match parent {
            None => {
                errors.add("parent", "no host with this address");
                None
            }
            Some(p) if Some(p.host_id.as_str()) == id => {
                errors.add("parent", "a host cannot be its own parent");
                None
            }
            Some(p) => Some(p.host_id),
        }
    };
    let details = HostDetails::parse(
        &f.name,
        Some(f.folder.clone()),
        parent_id,
        &f.notes,
        &f.tags,
    )
    .map_err(|(field, m)| errors.add(field, m))
    .ok();
    Ok(match (ip, details, errors.is_empty()) {
        (Some(ip), Some(d), true) => Ok((ip, d)),
        _ => Err(errors),
    })
}

async fn form_failed(
    st: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    f: &HostForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let folders = st.core.views.read(folder_views::list).await?;
    let status = errors.status();
    let body = host_form(ctx, id, &folders, f, &errors);
    Ok((status, respond(ctx, t(ctx.locale, "icmp.title"), body)).into_response())
}

pub async fn add_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HostForm>,
) -> AppResult<Response> {
    let (ip, details) = match parse_host_form(&st, None, &f).await? {
        Ok(v) => v,
        Err(errors) => return form_failed(&st, &ctx, None, &f, errors).await,
    };
    let id = uuid::Uuid::new_v4().to_string();
    match st
        .core
        .commands
        .host(&id, HostCommand::Add { ip, details }, &ctx.meta())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            form_failed(&st, &ctx, None, &f, errors).await
        }
    }
}

async fn load(st: &AppState, id: &str) -> AppResult<HostRow> {
    st.find(id, hosts::get).await
}

pub async fn edit_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HostForm>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let (ip, details) = match parse_host_form(&st, Some(&id), &f).await? {
        Ok(v) => v,
        Err(errors) => return form_failed(&st, &ctx, Some(&id), &f, errors).await,
    };
    match st
        .core
        .commands
        .host(&id, HostCommand::Edit { ip, details }, &ctx.meta())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            form_failed(&st, &ctx, Some(&id), &f, errors).await
        }
    }
}

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
    let start = super::audit::parse_moment(&f.start, false).map_err(AppError::Rejected)?;
    let end = super::audit::parse_moment(&f.end, false).map_err(AppError::Rejected)?;
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
    let h = load(&st, &id).await?;
    let (range, span) = RANGES
        .iter()
        .find(|(r, _)| *r == rq.range)
        .copied()
        .unwrap_or(RANGES[0]);
    let to = chrono::Utc::now().timestamp() + 1;
    let from = to - span;
    let points = st.core.telemetry.series(id.clone(), from, to).await?;
    let hid = id.clone();
    let (history, folders, parent, windows) = st
        .core
        .views
        .read(move |c| {
            let parent = match hosts::get(c, &hid)?.and_then(|h| h.parent_id) {
                Some(p) => hosts::get(c, &p)?,
                None => None,
            };
            Ok((
                hosts::transitions(c, &hid, 100)?,
                folder_views::list(c)?,
                parent,
                hosts::maintenance(c, &hid)?,
            ))
        })
        .await?;
    let base = format!("/icmp/hosts/{id}");
    let form = HostForm {
        ip: h.ip.clone(),
        name: h.name.clone(),
        folder: h.folder_id.clone().unwrap_or_default(),
        parent: parent.as_ref().map(|p| p.ip.clone()).unwrap_or_default(),
        notes: h.notes.clone(),
        tags: h.tags.clone(),
    };
    let body = html! {
        section #host {
            h1 { (state_badge(&ctx, &h)) " " (h.name) " " code { (h.ip) } }
            dl.facts {
                dt { (t(l, "icmp.since")) } dd { (when(&h.state_since)) }
                dt { (t(l, "icmp.rtt")) } dd { (fmt_ms(h.last_avg_ms)) }
                dt { (t(l, "icmp.loss")) } dd { (fmt_loss(h.last_loss_pct)) }
                @if let Some(p) = &parent { dt { (t(l, "icmp.parent")) } dd { a href={ "/icmp/hosts/" (p.host_id) } { (p.name) " " code { (p.ip) } } } }
                @if !h.tags.is_empty() { dt { (t(l, "icmp.tags")) } dd { (h.tags) } }
                @if !h.notes.is_empty() { dt { (t(l, "icmp.notes")) } dd { (h.notes) } }
                @if let Some(by) = &h.acked_by { dt { (t(l, "icmp.ack")) } dd { (by) @if let Some(c) = &h.ack_comment { ": " (c) } } }
            }
            div.cards {
                @if ctx.can_post("/icmp/hosts/{id}/ack") && matches!(h.state.as_str(), "down" | "unreachable") && h.acked_by.is_none() {
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
            (super::charts::latency_chart(&points, from, to, t(l, "icmp.no_samples")))
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

#[derive(Deserialize)]
pub struct FolderForm {
    #[serde(default)]
    name: String,
}

pub async fn create_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FolderForm>,
) -> AppResult<Response> {
    let name = folder::parse_name(&f.name).map_err(|e| AppError::Rejected(e.to_string()))?;
    let id = uuid::Uuid::new_v4().to_string();
    st.core
        .commands
        .folder(&id, FolderCommand::Create { name }, &ctx.meta())
        .await?;
    Ok(Redirect::to(&format!("/icmp?view={id}")).into_response())
}

pub async fn rename_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FolderForm>,
) -> AppResult<Response> {
    let name = folder::parse_name(&f.name).map_err(|e| AppError::Rejected(e.to_string()))?;
    st.core
        .commands
        .folder(&id, FolderCommand::Rename { name }, &ctx.meta())
        .await?;
    Ok(Redirect::to(&format!("/icmp?view={id}")).into_response())
}

#[derive(Deserialize)]
pub struct DeleteFolderForm {
    #[serde(default)]
    hosts: String,
}

/// Deletes a folder; its hosts are first moved to "no folder" or removed,
/// as the user chose.
pub async fn delete_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DeleteFolderForm>,
) -> AppResult<Response> {
    let remove = match f.hosts.as_str() {
        "move" => false,
        "delete" => true,
        _ => {
            return Err(AppError::Rejected(
                "choose what happens to the folder's hosts: move or delete".into(),
            ))
        }
    };
    let fid = id.clone();
    let members: Vec<HostRow> = st
        .core
        .views
        .read(move |c| {
            Ok(hosts::all(c)?
                .into_iter()
                .filter(|h| h.folder_id.as_deref() == Some(fid.as_str()))
                .collect())
        })
        .await?;
    let meta = ctx.meta();
    for h in members {
        let cmd = if remove {
            HostCommand::Remove
        } else {
            let details = HostDetails {
                name: h.name.clone(),
                folder: None,
                parent: h.parent_id.clone(),
                notes: h.notes.clone(),
                tags: h
                    .tags
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect(),
            };
            HostCommand::Edit {
                ip: h.ip.clone(),
                details,
            }
        };
        st.core.commands.host(&h.host_id, cmd, &meta).await?;
    }
    st.core
        .commands
        .folder(&id, FolderCommand::Delete, &meta)
        .await?;
    Ok(Redirect::to("/icmp").into_response())
}

/// The dashboard's panel: hosts down or unreachable, with who acknowledged.
pub async fn down_panel(st: &AppState, ctx: &Ctx) -> AppResult<Markup> {
    let l = ctx.locale;
    let down = st.core.views.read(hosts::down).await?;
    Ok(html! {
        h2 { a href="/icmp?view=down" { (t(l, "icmp.down_hosts")) " (" (down.len()) ")" } }
        @if down.is_empty() { (notice(t(l, "icmp.all_up"))) } @else {
            table.data #down-hosts {
                tbody { @for h in &down { (host_row(ctx, h, false)) } }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    scope: String,
}

/// "Check all" / "check down hosts": starts the scheduler's sweep job over
/// that scope in the background; refused while the same scope is checked.
pub async fn check(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CheckForm>,
) -> AppResult<Response> {
    use ispmon_scheduler::Scope;
    let scope = match f.scope.as_str() {
        "all" => Scope::All,
        "down" => Scope::Subset("down"),
        _ => return Err(AppError::Rejected("scope must be 'all' or 'down'".into())),
    };
    st.scheduler
        .run_now(ispmon_scheduler::sweep::JOB_NAME, scope, Some(ctx.meta()))
        .map_err(crate::pages::devices::scheduler_error)?;
    Ok(Redirect::to("/icmp").into_response())
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
