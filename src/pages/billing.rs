//! Admin: the billing cabinet — its URL, the service account (the password
//! is write-only: sealed in the secrets table, shown as "•••"), the sync's
//! schedule and how many requests go to billing at once; "test connection",
//! "sync now", and the last syncs' reports.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};

use crate::auth::Ctx;
use crate::billing::{self, SettingsInput};
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::pages::components::{error_box, hidden_csrf, notice, FieldsForm, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

pub const PATH: &str = "/admin/billing";

fn unix(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    shown: Option<&FieldsForm>,
    errors: &FormErrors,
    message: Option<Markup>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let (v, changed) = st
        .core
        .views
        .read(ispmon_projections::billing_settings::current)
        .await?;
    let syncs = billing::last_syncs(&st.core, 20).await?;
    let field = |name: &str, saved: String| -> String {
        shown
            .and_then(|f| f.fields.get(name).cloned())
            .unwrap_or(saved)
    };
    Ok(respond(
        ctx,
        t(l, "billing.title"),
        html! {
            section #billing-settings {
                h1 { (t(l, "billing.title")) }
                @if let Some(m) = message { (m) }
                form.card method="post" action=(PATH) #billing-form {
                    (hidden_csrf(&ctx.csrf))
                    @if let Some(m) = errors.get("form") { (error_box(m)) }
                    p.muted.small { (t(l, "billing.hint")) }
                    div.grid {
                        label { (t(l, "billing.url")) input type="url" name="url" value=(field("url", v.url.clone())) placeholder="http://billing.example/"; (errors.show("url")) }
                        label { (t(l, "billing.login")) input type="text" name="login" value=(field("login", v.login.clone())) autocomplete="off"; (errors.show("login")) }
                        label { (t(l, "billing.password"))
                            input type="password" name="password" value="" autocomplete="new-password" placeholder=(if v.password_ref.is_some() { "•••" } else { "" });
                            @if v.password_ref.is_some() { span.muted.small #password-state { "••• " (t(l, "billing.password_set")) } }
                            (errors.show("password"))
                        }
                        label { (t(l, "billing.schedule")) input type="number" name="schedule" min="5" max="1440" value=(field("schedule", v.schedule_min.to_string())); (errors.show("schedule")) }
                        label { (t(l, "billing.concurrency")) input type="number" name="concurrency" min="1" max="16" value=(field("concurrency", v.concurrency.to_string())); (errors.show("concurrency")) }
                    }
                    @if let Some((at, by)) = &changed { p.muted.small { (t(l, "billing.changed")) " " (at.get(..19).unwrap_or(at)) " · " (by) } }
                    button type="submit" { (t(l, "common.save")) }
                }
                div.actions {
                    form.inline method="post" action="/admin/billing/test" hx-post="/admin/billing/test" hx-target="#billing-action" hx-indicator="#billing-spin" {
                        (hidden_csrf(&ctx.csrf)) button.small type="submit" { (t(l, "billing.test")) }
                    }
                    form.inline method="post" action="/admin/billing/sync" hx-post="/admin/billing/sync" hx-target="#billing-action" hx-indicator="#billing-spin" {
                        (hidden_csrf(&ctx.csrf)) button.small type="submit" { (t(l, "billing.sync_now")) }
                    }
                    span #billing-spin .htmx-indicator.muted { (t(l, "billing.working")) }
                }
                div #billing-action aria-live="polite" {}
                h2 { (t(l, "billing.syncs")) }
                @if syncs.is_empty() { p.muted { (t(l, "billing.no_syncs")) } }
                @else {
                    div.table-wrap { table.data #billing-syncs {
                        thead { tr { th { (t(l, "billing.started")) } th { (t(l, "billing.outcome")) } th.num { (t(l, "billing.fetched")) } th.num { (t(l, "billing.new")) } th.num { (t(l, "billing.changed_n")) } th.num { (t(l, "billing.left")) } th.num { (t(l, "billing.failed")) } th.num { "ms" } } }
                        tbody { @for s in &syncs {
                            @let r = &s.report;
                            tr class=(if s.ok { "" } else { "bad" }) {
                                td.nowrap { (unix(s.started_at)) }
                                td { @if s.ok { span.badge.good { "ok" } } @else { span.badge.bad { (r["error"].as_str().unwrap_or("failed")) } }
                                     @if let Some(pages) = r["failed_pages"].as_array() { @for p in pages.iter().take(3) { div.small.muted { (p["page"].as_str().unwrap_or("")) ": " (p["error"].as_str().unwrap_or("")) } } } }
                                td.num { (r["fetched"]) } td.num { (r["new"]) } td.num { (r["changed"]) } td.num { (r["left"]) } td.num { (r["failed"]) } td.num { (r["duration_ms"]) }
                            }
                        } }
                    } }
                }
            }
        },
    ))
}

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    page(&st, &ctx, None, &FormErrors::default(), None).await
}

fn input_of(f: &FieldsForm) -> SettingsInput {
    let get = |k: &str| f.fields.get(k).cloned().unwrap_or_default();
    SettingsInput {
        url: get("url"),
        login: get("login"),
        password: f.fields.get("password").cloned(),
        schedule: Some(serde_json::Value::String(get("schedule"))),
        concurrency: Some(serde_json::Value::String(get("concurrency"))),
    }
}

pub async fn save(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    match billing::save_settings(&st, input_of(&f), &ctx.meta()).await {
        Ok(()) => Ok(page(
            &st,
            &ctx,
            None,
            &FormErrors::default(),
            Some(notice(t(l, "billing.saved"))),
        )
        .await?
        .into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            errors.status(),
            page(&st, &ctx, Some(&f), &errors, None).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub async fn test(State(st): State<AppState>) -> AppResult<Markup> {
    Ok(match billing::test_connection(&st).await {
        Ok(m) => html! { p.notice role="status" #billing-test { (m) } },
        Err(e) => error_box(&e),
    })
}

pub async fn sync(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    Ok(match st.billing.run(&ctx.meta()).await {
        Ok(r) => html! { p.notice role="status" #billing-report { (r.summary()) } },
        Err(e) => error_box(&e),
    })
}
