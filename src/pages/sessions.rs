//! Admin: users online, with a button that ends a session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ispmon_events::user::UserCommand;
use ispmon_projections::sessions::{self, SessionRow};
use maud::{html, Markup};

use super::components::FormErrors;
use super::components::{error_box, hidden_csrf, when};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{role_name, t};
use crate::state::AppState;

pub async fn open_sessions(st: &AppState) -> AppResult<Vec<SessionRow>> {
    let now = ispmon_events::store::now_rfc3339();
    Ok(st.core.views.read(move |c| sessions::open(c, &now)).await?)
}

/// The sessions table; `manage` adds the revoke buttons.
pub fn table(st: &AppState, ctx: &Ctx, rows: &[SessionRow], manage: bool) -> Markup {
    let l = ctx.locale;
    let mine = ctx.actor.as_ref().and_then(|a| a.session_id.clone());
    html! {
        @if rows.is_empty() {
            p.empty { (t(l, "sessions.empty")) }
        } @else {
            table.data #sessions-table {
                thead { tr {
                    th { (t(l, "users.login")) } th { (t(l, "users.role")) } th { (t(l, "sessions.ip")) }
                    th { (t(l, "sessions.since")) } th { (t(l, "sessions.last_seen")) } th { (t(l, "sessions.expires")) }
                    @if manage { th {} }
                } }
                tbody {
                    @for s in rows {
                        tr data-session=(s.session_id) {
                            td { (s.login) } td { (role_name(l, &s.role)) } td { code { (s.ip) } }
                            td { (when(&s.started_at)) }
                            td { (st.last_seen(&s.session_id).map(|x| when(&x)).unwrap_or_else(|| when(&s.started_at))) }
                            td { (when(&s.expires_at)) }
                            @if manage {
                                td {
                                    @if mine.as_deref() == Some(s.session_id.as_str()) {
                                        span.muted { (t(l, "sessions.you")) }
                                    } @else {
                                        @let action = format!("/admin/sessions/{}/revoke", s.session_id);
                                        form.inline method="post" action=(action) hx-post=(action) hx-target="#sessions-panel" hx-swap="outerHTML" {
                                            (hidden_csrf(&ctx.csrf))
                                            button.danger.small type="submit" { (t(l, "sessions.revoke")) }
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
}

fn panel(st: &AppState, ctx: &Ctx, rows: &[SessionRow], error: Option<&str>) -> Markup {
    html! {
        section #sessions-panel hx-get="/admin/sessions" hx-trigger="every 10s" hx-swap="outerHTML" {
            h1 { (t(ctx.locale, "sessions.title")) " (" (rows.len()) ")" }
            @if let Some(e) = error { (error_box(e)) }
            (table(st, ctx, rows, true))
        }
    }
}

pub async fn list(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let rows = open_sessions(&st).await?;
    Ok(respond(
        &ctx,
        t(ctx.locale, "sessions.title"),
        panel(&st, &ctx, &rows, None),
    ))
}

pub async fn revoke(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let lookup = id.clone();
    let s = st
        .core
        .views
        .read(move |c| sessions::get(c, &lookup))
        .await?
        .ok_or(AppError::NotFound)?;
    let result = st
        .core
        .commands
        .user(
            &s.user_id,
            UserCommand::RevokeSession { session_id: id },
            &ctx.meta(),
        )
        .await;
    let (status, error) = match result {
        Ok(_) => (StatusCode::OK, None),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            let text = errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join("; ");
            (errors.status(), Some(text))
        }
    };
    if !ctx.htmx && error.is_none() {
        return Ok(Redirect::to("/admin/sessions").into_response());
    }
    let rows = open_sessions(&st).await?;
    Ok((
        status,
        respond(
            &ctx,
            t(ctx.locale, "sessions.title"),
            panel(&st, &ctx, &rows, error.as_deref()),
        ),
    )
        .into_response())
}
