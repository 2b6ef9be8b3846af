//! The billing API: the settings (the password write-only) and "sync now".

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiResult};
use crate::auth::Ctx;
use crate::billing::{self, SettingsInput};
use crate::error::AppError;
use crate::state::AppState;

fn settings_json(v: &ispmon_events::billing_settings::BillingSettingsValues) -> Value {
    json!({
        "url": v.url, "login": v.login, "password_set": v.password_ref.is_some(),
        "schedule": v.schedule_min, "concurrency": v.concurrency,
    })
}

/// `GET /api/v1/billing/settings` (never the password).
pub async fn get(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let v = st
        .core
        .views
        .read(ispmon_projections::billing_settings::values)
        .await
        .map_err(AppError::from)?;
    Ok(Json(settings_json(&v)))
}

/// `PUT /api/v1/billing/settings` `{"url", "login", "password", "schedule", "concurrency"}`:
/// an empty or absent password keeps the stored one.
pub async fn put(
    State(st): State<AppState>,
    ctx: Ctx,
    body: Result<Json<SettingsInput>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(input) = body.map_err(|e| ApiError::from(AppError::BadRequest(e.body_text())))?;
    billing::save_settings(&st, input, &ctx.meta()).await?;
    get(State(st)).await
}

/// `POST /api/v1/billing/sync`: runs a sync now; answers with its report.
pub async fn sync(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    match st.billing.run(&ctx.meta()).await {
        Ok(r) => Ok(Json(json!({
            "folders": r.folders, "complete": r.complete, "fetched": r.fetched,
            "new": r.new, "changed": r.changed, "unchanged": r.unchanged,
            "same_pages": r.same_pages, "left": r.left,
            "failed": r.failed, "failed_pages": r.failed_pages, "duration_ms": r.duration_ms,
        }))),
        Err(e) => Err(AppError::Rejected(e).into()),
    }
}

/// `POST /api/v1/billing/helpdesk/sync`: imports the billing's helpdesk
/// now; answers with the run's report (a failed list is a 422 naming it).
pub async fn helpdesk_sync(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Json<Value>> {
    match st.helpdesk.run(&ctx.meta()).await {
        Ok(r) => Ok(Json(json!({
            "listed": r.listed, "opened": r.opened, "comments": r.comments,
            "status_changes": r.status_changes, "failed": r.failed,
        }))),
        Err(e) => Err(AppError::Rejected(e).into()),
    }
}
