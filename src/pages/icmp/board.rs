//! The ICMP board: folders with counts, the host table with live updates
//! (only changed rows are sent), "check all/down", and the dashboard's panel.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_projections::folders::{self as folder_views, FolderRow};
use ispmon_projections::hosts::{self, HostRow};
use maud::{html, Markup};
use serde::Deserialize;

use super::folders::folder_forms;
use super::forms::{host_form, HostForm};
use super::host_row;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::pages::components::{hidden_csrf, notice, query, FormErrors};
use crate::pages::layout::respond;
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
