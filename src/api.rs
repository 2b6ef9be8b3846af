//! The JSON API under `/api/v1` (personal API tokens or a session).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Ctx, Via};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn me(ctx: Ctx) -> Result<Json<Value>, ApiError> {
    let a = ctx.actor()?;
    Ok(Json(json!({
        "user_id": a.user_id,
        "login": a.login,
        "role": a.role.as_str(),
        "auth": if a.via == Via::ApiToken { "token" } else { "session" },
    })))
}

#[derive(Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

/// An API error: a JSON body `{"error": "..."}` with the status.
pub struct ApiError(StatusCode, String);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(status, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e.status(), e.public_message())
    }
}

fn number(name: &str, v: Option<&str>, default: u64, max: u64) -> AppResult<u64> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(AppError::BadRequest(format!(
                "{name} must be a whole number from 0 to {max}"
            ))),
        },
    }
}

/// `GET /api/v1/events?since=SEQ&limit=N`: events after `since`, oldest first.
pub async fn events(
    State(st): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let since = number("since", q.since.as_deref(), 0, u64::MAX)?;
    let limit = number("limit", q.limit.as_deref(), 100, 1000)?.max(1) as usize;
    let events = st
        .core
        .store
        .since(since, limit)
        .await
        .map_err(AppError::from)?;
    let next = events.last().map(|e| e.seq).unwrap_or(since);
    Ok(Json(json!({
        "events": events.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
        "next_since": next,
        "head": st.core.store.head(),
    })))
}

/// A JSON body as handlers take it: a malformed one is the caller's error.
pub type Body<T> = Result<axum::Json<T>, axum::extract::rejection::JsonRejection>;

/// A query parameter `name` holding an RFC 3339 time, or a 400 that names
/// the parameter and shows the form it takes.
pub fn parse_time(name: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            ApiError::from(AppError::BadRequest(format!(
                "{name} must be an RFC 3339 time (2026-12-01T10:00:00Z), not “{text}”"
            )))
        })
}

/// The value of a [`Body`], or a 400 naming what was wrong with it.
pub fn body<T>(b: Body<T>) -> Result<T, ApiError> {
    b.map(|axum::Json(v)| v)
        .map_err(|e| ApiError::from(crate::error::AppError::BadRequest(e.body_text())))
}
