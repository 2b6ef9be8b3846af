//! The hosts JSON API: `GET/POST /api/v1/hosts`, `GET/PATCH/DELETE
//! /api/v1/hosts/{id}`, `GET /api/v1/hosts/{id}/samples`, `POST /api/v1/sweeps`.
//! The same validation and commands as the pages; errors are JSON with a 4xx.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ispmon_events::host::{parse_ip, HostCommand, HostDetails};
use ispmon_projections::hosts::{self, HostRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::auth::Ctx;
use crate::commands::CommandError;
use crate::error::AppError;
use crate::state::AppState;

type ApiResult<T> = Result<T, ApiError>;

fn host_json(h: &HostRow) -> Value {
    json!({
        "id": h.host_id, "ip": h.ip, "name": h.name, "folder_id": h.folder_id,
        "parent_id": h.parent_id, "notes": h.notes,
        "tags": h.tags,
        "paused": h.paused, "state": h.state, "state_since": h.state_since,
        "acknowledged_by": h.acked_by, "ack_comment": h.ack_comment,
    })
}

fn bad(msg: impl Into<String>) -> ApiError {
    AppError::Rejected(msg.into()).into()
}

fn command_error(e: CommandError) -> ApiError {
    match e {
        CommandError::Taken(_) => bad("a host with this address exists"),
        other => AppError::from(other).into(),
    }
}

async fn load(st: &AppState, id: &str) -> ApiResult<HostRow> {
    Ok(st.find(id, hosts::get).await?)
}

pub async fn list(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let rows = st
        .core
        .views
        .read(hosts::all)
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        json!({ "hosts": rows.iter().map(host_json).collect::<Vec<_>>() }),
    ))
}

pub async fn get(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(host_json(&load(&st, &id).await?)))
}

/// A host as the API takes it; on PATCH every field is optional.
#[derive(Deserialize, Default)]
pub struct HostBody {
    ip: Option<String>,
    name: Option<String>,
    folder_id: Option<String>,
    parent_id: Option<String>,
    notes: Option<String>,
    tags: Option<Vec<String>>,
}

/// Validates a body against `current` (PATCH) or nothing (POST).
async fn details(
    st: &AppState,
    id: Option<&str>,
    b: HostBody,
    current: Option<&HostRow>,
) -> ApiResult<(String, HostDetails)> {
    let ip = match (b.ip, current) {
        (Some(ip), _) => parse_ip(&ip).map_err(bad)?,
        (None, Some(c)) => c.ip.clone(),
        (None, None) => return Err(bad("ip is required")),
    };
    let name = b
        .name
        .or(current.map(|c| c.name.clone()))
        .ok_or_else(|| bad("name is required"))?;
    let folder = b.folder_id.or(current.and_then(|c| c.folder_id.clone()));
    let parent = b
        .parent_id
        .or(current.and_then(|c| c.parent_id.clone()))
        .filter(|p| !p.is_empty());
    let notes = b
        .notes
        .or(current.map(|c| c.notes.clone()))
        .unwrap_or_default();
    let tags = b
        .tags
        .or(current.map(|c| c.tags.clone()))
        .unwrap_or_default()
        .join(",");
    if let Some(p) = &parent {
        if Some(p.as_str()) == id {
            return Err(bad("a host cannot be its own parent"));
        }
        load(st, p)
            .await
            .map_err(|_| bad("parent_id: no such host"))?;
    }
    let d = HostDetails::parse(&name, folder, parent, &notes, &tags)
        .map_err(|(f, m)| bad(format!("{f}: {m}")))?;
    Ok((ip, d))
}

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Json(b): Json<HostBody>,
) -> ApiResult<Response> {
    let (ip, details) = details(&st, None, b, None).await?;
    let id = uuid::Uuid::new_v4().to_string();
    st.core
        .commands
        .host(&id, HostCommand::Add { ip, details }, &ctx.meta())
        .await
        .map_err(command_error)?;
    let h = load(&st, &id).await?;
    Ok((StatusCode::CREATED, Json(host_json(&h))).into_response())
}

pub async fn patch(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(b): Json<HostBody>,
) -> ApiResult<Json<Value>> {
    let current = load(&st, &id).await?;
    let (ip, details) = details(&st, Some(&id), b, Some(&current)).await?;
    st.core
        .commands
        .host(&id, HostCommand::Edit { ip, details }, &ctx.meta())
        .await
        .map_err(command_error)?;
    Ok(Json(host_json(&load(&st, &id).await?)))
}

pub async fn delete(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    load(&st, &id).await?;
    st.core
        .commands
        .host(&id, HostCommand::Remove, &ctx.meta())
        .await
        .map_err(command_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct SamplesQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /api/v1/hosts/{id}/samples?from=&to=` (unix seconds; default the
/// last 24 h): raw rounds up to 48 h spans, rollups beyond.
pub async fn samples(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SamplesQuery>,
) -> ApiResult<Json<Value>> {
    load(&st, &id).await?;
    let to = q.to.unwrap_or_else(|| chrono::Utc::now().timestamp() + 1);
    let from = q.from.unwrap_or(to - 86_400);
    if from >= to {
        return Err(bad("from must be before to"));
    }
    let points = st
        .core
        .telemetry
        .series(id, from, to)
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!({
        "from": from, "to": to,
        "samples": points.iter().map(|p| json!({
            "at": p.at, "loss_pct": p.loss_pct, "avg_ms": p.avg_ms, "min_ms": p.min_ms, "max_ms": p.max_ms,
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub struct SweepBody {
    /// `all`, `down`, or a host id.
    scope: String,
}

/// `POST /api/v1/sweeps`: check now, through the scheduler's sweep job. A
/// host is checked before answering (200, with its state after the check);
/// `all`/`down` start in the background (202). A running scope → 409.
pub async fn sweep(
    State(st): State<AppState>,
    ctx: Ctx,
    Json(b): Json<SweepBody>,
) -> ApiResult<Response> {
    use ispmon_scheduler::sweep::JOB_NAME;
    use ispmon_scheduler::{SchedulerError, Scope};
    let scope = match b.scope.as_str() {
        "all" => Scope::All,
        "down" => Scope::Subset("down"),
        id => {
            load(&st, id).await?;
            Scope::One(id.to_string())
        }
    };
    let busy = |m: String| (StatusCode::CONFLICT, Json(json!({"error": m}))).into_response();
    if let Scope::One(id) = &scope {
        return match st
            .scheduler
            .run(JOB_NAME, scope.clone(), Some(ctx.meta()))
            .await
        {
            Ok(Ok(summary)) => {
                let h = load(&st, id).await?;
                Ok(
                    Json(json!({"scope": id, "summary": summary, "state": h.state}))
                        .into_response(),
                )
            }
            Ok(Err(reason)) => Err(bad(reason)),
            Err(SchedulerError::AlreadyRunning(m)) => Ok(busy(m)),
            Err(e) => Err(AppError::Internal(anyhow::anyhow!(e)).into()),
        };
    }
    match st.scheduler.run_now(JOB_NAME, scope, Some(ctx.meta())) {
        Ok(()) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"scope": b.scope, "started": true})),
        )
            .into_response()),
        Err(SchedulerError::AlreadyRunning(m)) => Ok(busy(m)),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!(e)).into()),
    }
}
