//! The SLA settings API (admin): `GET /api/v1/sla` and `PUT /api/v1/sla`
//! with the same shape ([`SlaJson`]) and the same checks as the page.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiResult};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::sla::{Saved, SlaJson};
use crate::state::AppState;

fn body(row: &ispmon_projections::sla_settings::SlaRow, changed: Option<bool>) -> Value {
    let mut v = serde_json::to_value(SlaJson::from_sla(&row.sla)).unwrap_or_default();
    v["changed_at"] = json!(row.changed.as_ref().map(|c| &c.0));
    v["changed_by"] = json!(row.changed.as_ref().map(|c| &c.1));
    v["recomputed"] = json!(row.recomputed);
    v["moved"] = json!(row.moved);
    if let Some(changed) = changed {
        v["changed"] = json!(changed);
    }
    v
}

/// `GET /api/v1/sla`: the settings in force (the defaults until changed),
/// who changed them, and how many open tickets the last change recomputed.
pub async fn get(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let row = crate::sla::current(&st).await.map_err(AppError::from)?;
    Ok(Json(body(&row, None)))
}

/// `PUT /api/v1/sla` with the whole settings: 200 with the settings in
/// force and `"changed"`; 422 naming each bad field, nothing recorded.
pub async fn put(
    State(st): State<AppState>,
    ctx: Ctx,
    input: Result<Json<SlaJson>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(input) = input.map_err(|e| ApiError::from(AppError::BadRequest(e.body_text())))?;
    let sla = input
        .into_sla()
        .map_err(|e| ApiError::from(AppError::Invalid(e)))?;
    match crate::sla::save(&st, sla, &ctx.meta()).await {
        Ok(Saved::Changed(row)) => Ok(Json(body(&row, Some(true)))),
        Ok(Saved::Unchanged(row)) => Ok(Json(body(&row, Some(false)))),
        Err(e) => Err(AppError::from(e).into()),
    }
}
