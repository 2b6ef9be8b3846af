//! The devices JSON API: `GET/POST /api/v1/devices`, `GET/PATCH/DELETE
//! /api/v1/devices/{id}`, `GET /api/v1/devices/{id}/configs`,
//! `GET /api/v1/devices/{id}/configs/{version}`, `POST /api/v1/devices/{id}/pull`.
//! POST and PATCH take the form's fields as JSON, the password included; it
//! goes to the secrets store and is never returned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ispmon_events::device::{DeviceCommand, ProfileInput};
use ispmon_projections::devices::{self as device_views, DeviceRow, VersionRow};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::auth::Ctx;
use crate::devices::pull::Outcome;
use crate::devices::{self, DeviceForm};
use crate::error::AppError;
use crate::pages::components::FormErrors;
use crate::state::AppState;

type ApiResult<T> = Result<T, ApiError>;

fn device_json(d: &DeviceRow) -> Value {
    json!({
        "id": d.device_id, "name": d.name, "address": d.address, "port": d.port,
        "transport": d.transport, "dialect": d.dialect, "roles": d.roles, "login": d.login,
        "legacy_ssh": d.legacy_ssh, "tags": d.tags, "host_id": d.host_id,
        "pull_schedule": d.pull_schedule, "mask_secrets": d.mask_secrets, "mgmt_mac": d.mgmt_mac,
        "fdb_interval_min": d.fdb_interval_min,
        "has_enable_password": d.has_enable, "ssh_key_fingerprint": d.key_fingerprint, "retired": d.retired, "host_key": d.host_key,
        "pending_host_key": d.pending_host_key, "versions": d.versions,
        "last_version_at": d.last_version_at, "last_failure": d.last_failure,
        "last_failure_at": d.last_failure_at, "created_at": d.created_at,
    })
}

fn version_json(v: &VersionRow) -> Value {
    json!({
        "version": v.version, "sha256": v.hash, "size": v.size, "lines": v.lines,
        "added": v.added, "removed": v.removed, "actor": v.actor, "source": v.source, "at": v.at,
    })
}

fn bad(msg: impl Into<String>) -> ApiError {
    AppError::Rejected(msg.into()).into()
}

fn form_error(errors: FormErrors) -> ApiError {
    AppError::Invalid(errors).into()
}

async fn load(st: &AppState, id: &str) -> ApiResult<DeviceRow> {
    Ok(st.find(id, device_views::get).await?)
}

pub async fn list(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let rows = st
        .core
        .views
        .read(device_views::all_live)
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        json!({ "devices": rows.iter().map(device_json).collect::<Vec<_>>() }),
    ))
}

pub async fn get(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(device_json(&load(&st, &id).await?)))
}

/// A device as the API takes it; on PATCH every field is optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    name: Option<String>,
    address: Option<String>,
    port: Option<u16>,
    transport: Option<String>,
    dialect: Option<String>,
    roles: Option<Vec<String>>,
    login: Option<String>,
    password: Option<String>,
    enable_password: Option<String>,
    ssh_key: Option<String>,
    legacy_ssh: Option<bool>,
    tags: Option<Vec<String>>,
    host_id: Option<String>,
    pull_schedule: Option<String>,
    mask_secrets: Option<bool>,
    /// Any notation; `""` clears it.
    mgmt_mac: Option<String>,
    /// Minutes; `null` clears it (the Search Port setting applies).
    #[serde(default, deserialize_with = "present")]
    fdb_interval_min: Option<Option<u32>>,
}

/// A field that may be given as `null`: absent → `None` (keep), `null` →
/// `Some(None)` (clear), a value → `Some(Some(v))`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn merge(b: DeviceBody, current: Option<&DeviceRow>) -> DeviceForm {
    let c = current;
    DeviceForm {
        profile: ProfileInput {
            name: b.name.or(c.map(|c| c.name.clone())).unwrap_or_default(),
            address: b
                .address
                .or(c.map(|c| c.address.clone()))
                .unwrap_or_default(),
            port: b
                .port
                .or(c.map(|c| c.port))
                .map(|p| p.to_string())
                .unwrap_or_default(),
            transport: b
                .transport
                .or(c.map(|c| c.transport.clone()))
                .unwrap_or_default(),
            dialect: b
                .dialect
                .or(c.map(|c| c.dialect.clone()))
                .unwrap_or_default(),
            roles: b.roles.or(c.map(|c| c.roles.clone())).unwrap_or_default(),
            login: b.login.or(c.map(|c| c.login.clone())).unwrap_or_default(),
            legacy_ssh: b.legacy_ssh.or(c.map(|c| c.legacy_ssh)).unwrap_or(false),
            tags: b
                .tags
                .or(c.map(|c| c.tags.clone()))
                .unwrap_or_default()
                .join(","),
            host: b.host_id.or(c.and_then(|c| c.host_id.clone())),
            pull_schedule: b.pull_schedule.or(c.and_then(|c| c.pull_schedule.clone())),
            mask_secrets: b
                .mask_secrets
                .or(c.map(|c| c.mask_secrets))
                .unwrap_or(false),
            mgmt_mac: b.mgmt_mac.or(c.and_then(|c| c.mgmt_mac.clone())),
            fdb_interval_min: b
                .fdb_interval_min
                .unwrap_or(c.and_then(|c| c.fdb_interval_min))
                .map(|m| m.to_string()),
        },
        password: b.password.unwrap_or_default(),
        enable_password: b.enable_password.unwrap_or_default(),
        clear_enable: false,
        ssh_key: b.ssh_key.unwrap_or_default(),
        clear_ssh_key: false,
    }
}

fn parse_body(
    body: Result<Json<DeviceBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<DeviceBody> {
    body.map(|Json(b)| b)
        .map_err(|e| bad(format!("the body is not a valid device: {}", e.body_text())))
}

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    body: Result<Json<DeviceBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let form = merge(parse_body(body)?, None);
    match devices::register(&st.core, &form, &ctx.meta())
        .await
        .map_err(AppError::from)?
    {
        Ok(id) => {
            let d = load(&st, &id).await?;
            Ok((StatusCode::CREATED, Json(device_json(&d))).into_response())
        }
        Err(errors) => Err(form_error(errors)),
    }
}

pub async fn patch(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Result<Json<DeviceBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let current = load(&st, &id).await?;
    if current.retired {
        return Err(bad("this device is retired"));
    }
    let form = merge(parse_body(body)?, Some(&current));
    match devices::edit(&st.core, &id, &current, &form, &ctx.meta())
        .await
        .map_err(AppError::from)?
    {
        Ok(_) => Ok(Json(device_json(&load(&st, &id).await?))),
        Err(errors) => Err(form_error(errors)),
    }
}

pub async fn retire(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    load(&st, &id).await?;
    st.core
        .commands
        .device(&id, DeviceCommand::Retire, &ctx.meta())
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn configs(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    load(&st, &id).await?;
    let rows = st
        .core
        .views
        .read(move |c| device_views::versions(c, &id))
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        json!({ "versions": rows.iter().map(version_json).collect::<Vec<_>>() }),
    ))
}

pub async fn config(
    State(st): State<AppState>,
    Path((id, v)): Path<(String, u32)>,
) -> ApiResult<Json<Value>> {
    let id2 = id.clone();
    let row = st
        .core
        .views
        .read(move |c| device_views::version(c, &id2, v))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    let text = st
        .config_cache
        .text(&st.core, &row.hash)
        .await
        .map_err(AppError::Internal)?
        .ok_or(AppError::NotFound)?;
    let mut j = version_json(&row);
    j["device_id"] = json!(id);
    j["text"] = json!(text.as_ref());
    Ok(Json(j))
}

pub async fn pull(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = load(&st, &id).await?;
    if d.retired {
        return Err(bad("this device is retired"));
    }
    let outcome = crate::pages::devices::pull_one(&st, &ctx, &d).await?;
    let (status, body) = match outcome {
        Outcome::NewVersion(v) => (
            StatusCode::OK,
            json!({ "outcome": "new_version", "version": v }),
        ),
        Outcome::Unchanged => (
            StatusCode::OK,
            json!({ "outcome": "unchanged", "version": d.versions }),
        ),
        Outcome::Failed(reason) => (
            StatusCode::BAD_GATEWAY,
            json!({ "outcome": "failed", "error": reason }),
        ),
        Outcome::Busy => (
            StatusCode::CONFLICT,
            json!({ "outcome": "busy", "error": "a pull of this device is already running" }),
        ),
    };
    Ok((status, Json(body)).into_response())
}
