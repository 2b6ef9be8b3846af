//! Scheduler jobs (admin): each job's last run, outcome, next run, run and
//! failure counts, and "run now". Refreshes itself while a job runs.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::components::{hidden_csrf, when};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;
use ispmon_scheduler::{SchedulerError, Scope};

fn table(st: &AppState, ctx: &Ctx) -> Markup {
    let l = ctx.locale;
    let status = st.scheduler.status();
    let running = status.values().any(|s| s.running);
    html! {
        section #jobs hx-get="/admin/jobs" hx-trigger=(if running { "every 2s" } else { "every 15s" }) hx-select="#jobs" hx-swap="outerHTML" {
            h1 { (t(l, "jobs.title")) }
            @if status.is_empty() {
                p.empty { (t(l, "jobs.none")) }
            } @else {
                table.data {
                    thead { tr {
                        th { (t(l, "jobs.name")) } th { (t(l, "jobs.last_run")) } th { (t(l, "jobs.outcome")) }
                        th { (t(l, "jobs.next_run")) } th.num { (t(l, "jobs.runs")) } th.num { (t(l, "jobs.failures")) } th {}
                    } }
                    tbody {
                        @for (name, s) in &status {
                            tr.bad[matches!(s.last_outcome, Some(Err(_)))] data-job=(name) {
                                td { code { (name) } @if s.running { " " span.badge { (t(l, "jobs.running")) } } }
                                td.nowrap { (s.last_started.map(|t| when(&t.to_rfc3339())).unwrap_or_else(|| "—".into())) }
                                td {
                                    @if let Some(scope) = s.last_scope.as_ref().filter(|sc| **sc != ispmon_scheduler::Scope::Due) {
                                        span.muted.small { (scope.describe()) ": " }
                                    }
                                    @match &s.last_outcome {
                                        Some(Ok(m)) => span { (m) },
                                        Some(Err(m)) => span.field-error { (m) },
                                        None => span.muted { "—" },
                                    }
                                }
                                td.nowrap { (s.next_run.map(|t| when(&t.to_rfc3339())).unwrap_or_else(|| "—".into())) }
                                td.num { (s.runs) }
                                td.num { (s.failures) }
                                td {
                                    form.inline method="post" action={ "/admin/jobs/" (name) "/run" } {
                                        (hidden_csrf(&ctx.csrf))
                                        button.small type="submit" disabled[s.running] { (t(l, "jobs.run_now")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn list(State(st): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let body = table(&st, &ctx);
    Ok(respond(&ctx, t(ctx.locale, "jobs.title"), body).into_response())
}

/// "Run now": the job's scheduled scope, at once (queued once while it runs).
pub async fn run(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> AppResult<Response> {
    match st.scheduler.run_now(&name, Scope::Due, Some(ctx.meta())) {
        Ok(()) => Ok(Redirect::to("/admin/jobs").into_response()),
        Err(SchedulerError::NoSuchJob(_)) => Err(AppError::NotFound),
        Err(e) => Err(crate::pages::devices::scheduler_error(e)),
    }
}
