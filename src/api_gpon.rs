//! The GPON JSON API: OLTs with counts, their ONTs and autofind, one ONT,
//! poll now, registrations and deletions (sagas: 202 with the job id, then
//! the job's state and steps).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiResult};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::gpon::{self, RegisterInput};
use crate::state::AppState;
use ispmon_projections::gpon as views;

/// `GET /api/v1/olts`
pub async fn olts(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "olts": gpon::olt_list(&st).await? })))
}

/// `GET /api/v1/olts/{id}`: boards, ports with counts, profiles.
pub async fn olt(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let d = gpon::olt(&st, &id).await?;
    let oid = id.clone();
    let (inv, ports) = st
        .core
        .views
        .read(move |c| Ok((views::inventory(c, &oid)?, views::port_counts(c, &oid)?)))
        .await
        .map_err(AppError::from)?;
    let summary = gpon::olt_list(&st).await?.into_iter().find(|o| o.id == id);
    let (inventory, at) = inv
        .map(|(i, at)| (Some(i), Some(at)))
        .unwrap_or((None, None));
    Ok(Json(json!({
        "id": d.device_id, "name": d.name, "address": d.address, "dialect": d.dialect.as_str(),
        "counts": summary.map(|s| s.counts),
        "boards": inventory.as_ref().map(|i| &i.boards),
        "line_profiles": inventory.as_ref().map(|i| &i.line_profiles),
        "service_profiles": inventory.as_ref().map(|i| &i.service_profiles),
        "inventoried_at": at,
        "ports": ports.iter().map(|(p, c)| json!({"port": p, "counts": c})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OntsParams {
    port: String,
}

fn ont_json(o: &gpon::OntWithReading) -> Value {
    let r = o.reading.as_ref();
    json!({
        "id": o.ont.id, "olt_id": o.ont.olt_id, "port": o.ont.port, "ont_id": o.ont.ont_id,
        "sn": o.ont.sn, "vendor_sn": ispmon_scheduler::gpon::vendor_sn(&o.ont.sn),
        "description": o.ont.description, "run_state": o.ont.run,
        "signal": o.ont.signal, "last_down_cause": o.ont.last_down_cause,
        "down_at": o.ont.down_at, "first_seen": o.ont.first_seen,
        "distance_m": r.and_then(|r| r.distance_m),
        "rx_dbm": r.and_then(|r| r.rx_dbm), "tx_dbm": r.and_then(|r| r.tx_dbm),
        "olt_rx_dbm": r.and_then(|r| r.olt_rx_dbm),
        "last_up": r.and_then(|r| r.last_up.clone()), "last_down": r.and_then(|r| r.last_down.clone()),
        "read_at": r.map(|r| r.at),
    })
}

/// `GET /api/v1/olts/{id}/onts?port=F/S/P`
pub async fn onts(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<OntsParams>,
) -> ApiResult<Json<Value>> {
    gpon::olt(&st, &id).await?;
    let port = match p.port.trim() {
        "" => None,
        s => Some(
            s.parse::<ispmon_scheduler::gpon::Fsp>()
                .map_err(|e| ApiError::from(AppError::BadRequest(e)))?
                .to_string(),
        ),
    };
    let rows = gpon::onts_with_readings(&st, &id, port).await?;
    Ok(Json(
        json!({ "onts": rows.iter().map(ont_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /api/v1/onts/{id}`: details, optics, subscriber, jobs.
pub async fn ont(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let c = gpon::ont_card(&st, &id).await?.ok_or(AppError::NotFound)?;
    let mut v = ont_json(&gpon::OntWithReading {
        ont: c.ont.clone(),
        reading: c.reading.clone(),
    });
    v["gone"] = json!(c.ont.gone);
    v["profile"] = json!(c.ont.profile);
    v["subscriber"] = json!(c.subscriber.as_ref().map(|s| json!({
        "id": s.billing_id, "login": s.login, "display": s.display, "address": s.address,
    })));
    v["jobs"] = json!(c.jobs.iter().map(job_json).collect::<Vec<_>>());
    v["rx_series"] = json!(c.rx);
    Ok(Json(v))
}

/// `GET /api/v1/onts/{id}/live`: what the OLT says now (details, optics,
/// service ports, MACs behind the ONT).
pub async fn ont_live(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let oid = id.clone();
    let ont = st
        .core
        .views
        .read(move |c| views::ont(c, &oid))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    match gpon::live(&st, &ont, &ctx.meta()).await {
        Ok(live) => Ok(Json(json!(live))),
        // The OLT could not be reached.
        Err(AppError::Rejected(reason)) => Err(ApiError::new(StatusCode::BAD_GATEWAY, reason)),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/olts/{id}/autofind`
pub async fn autofind(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    gpon::olt(&st, &id).await?;
    let list = st
        .core
        .views
        .read(move |c| views::autofind(c, Some(&id)))
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!({ "autofind": list.iter().map(|a| json!({
        "port": a.port, "sn": a.sn, "vendor_sn": a.vendor_sn, "equipment_id": a.equipment_id,
        "version": a.version, "software_version": a.software_version,
        "found_at": a.found_at, "first_seen": a.first_seen,
    })).collect::<Vec<_>>() })))
}

/// `POST /api/v1/olts/{id}/poll`: polls state, optics and autofind now;
/// answers when done.
pub async fn poll(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (polled, found) = gpon::poll_now(&st, &id, &ctx.meta()).await?;
    let show = |o: &ispmon_scheduler::gpon::poll::Outcome| match o {
        ispmon_scheduler::gpon::poll::Outcome::Polled {
            onts,
            changed,
            failed_ports,
            commands,
        } => {
            json!({"ok": true, "onts": onts, "changed": changed, "failed_ports": failed_ports, "commands": commands})
        }
        ispmon_scheduler::gpon::poll::Outcome::Failed(r) => json!({"ok": false, "error": r}),
        ispmon_scheduler::gpon::poll::Outcome::Busy => {
            json!({"ok": false, "error": "a poll of this OLT is running"})
        }
    };
    Ok(Json(
        json!({ "poll": show(&polled), "autofind": show(&found) }),
    ))
}

pub fn job_json(j: &views::JobView) -> Value {
    json!({
        "id": j.id, "kind": j.kind, "olt_id": j.olt_id, "olt_name": j.olt_name, "port": j.port,
        "sn": j.sn, "name": j.name, "state": j.state, "steps": j.steps, "failure": j.failure,
        "compensation": j.compensation, "requested_at": j.requested_at,
        "requested_by": j.requested_by, "ended_at": j.ended_at,
    })
}

/// `POST /api/v1/registrations` `{"olt_id", "port", "sn", "name", "profile_id"}` → 202 `{"id"}`.
pub async fn register(
    State(st): State<AppState>,
    ctx: Ctx,
    body: Result<Json<RegisterInput>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(input) = body.map_err(|e| ApiError::from(AppError::BadRequest(e.body_text())))?;
    let id = gpon::register(&st, input, &ctx.meta()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "state": "running" })),
    ))
}

/// `GET /api/v1/registrations/{id}` (deletions too): state and steps with transcripts.
pub async fn job(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let j = st
        .core
        .views
        .read(move |c| views::job_by_id(c, &id))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    Ok(Json(job_json(&j)))
}

/// `DELETE /api/v1/onts/{id}`: starts the deletion saga → 202 `{"id"}`.
pub async fn delete(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let job = gpon::delete(&st, &id, &ctx.meta()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": job, "state": "running" })),
    ))
}

/// `GET /api/v1/gpon/profiles`
pub async fn profiles(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let list = st
        .core
        .views
        .read(views::profiles)
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!({ "profiles": list.iter().map(|(id, v)| {
        let mut j = json!(v);
        j["id"] = json!(id);
        j
    }).collect::<Vec<_>>() })))
}

/// `POST /api/v1/gpon/profiles` (a new one) → 201 `{"id"}`.
pub async fn create_profile(
    State(st): State<AppState>,
    ctx: Ctx,
    body: Result<Json<ispmon_events::gpon::ProfileValues>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(v) = body.map_err(|e| ApiError::from(AppError::BadRequest(e.body_text())))?;
    let id = gpon::save_profile(&st, None, v, &ctx.meta()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}
