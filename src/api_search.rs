//! Search Port's JSON API: search, a MAC's locations, where a MAC was at a
//! time, collect now, and an admin's port marks.

use axum::extract::{Path, Query, State};
use axum::Json;
use ispmon_projections::macs;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiResult};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::search::{self, MacAnswer};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

fn result(m: &MacAnswer) -> Value {
    json!({
        "login": null,
        "mac": m.mac,
        "ip": null,
        "session": null,
        "location": m.location.as_ref().map(|e| json!({
            "device_id": e.device_id, "device": e.device, "address": m.address,
            "port": e.port, "vlan": e.vlan, "since": e.since,
            "macs_on_port": m.port_macs,
        })),
        "also_seen": m.also_seen,
        "history": m.history,
    })
}

/// `GET /api/v1/search?q=TEXT`
pub async fn search(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<Value>> {
    let a = search::run(&st, &p.q).await?;
    let kind = match &a.kind {
        search::Query::Mac { .. } => "mac",
        search::Query::Ip { .. } => "ip",
        search::Query::Name { .. } => "name",
    };
    Ok(Json(json!({
        "query": a.query,
        "kind": kind,
        "results": a.macs.iter().map(result).collect::<Vec<_>>(),
        "devices": a.devices,
    })))
}

fn mac_param(text: &str) -> Result<String, ApiError> {
    ispmon_scheduler::cli::normalise_mac(text.trim()).ok_or_else(|| {
        ApiError::from(AppError::BadRequest(format!(
            "“{text}” is not a MAC address (aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff)"
        )))
    })
}

/// `GET /api/v1/macs/{mac}`: every place the MAC is seen, the edge first.
pub async fn mac(State(st): State<AppState>, Path(text): Path<String>) -> ApiResult<Json<Value>> {
    let mac = mac_param(&text)?;
    let m = search::mac_answer(&st, &mac).await?;
    let mut locations: Vec<Value> = Vec::new();
    if let Some(e) = &m.location {
        locations.push(json!({
            "device_id": e.device_id, "device": e.device, "port": e.port, "vlan": e.vlan,
            "uplink": null, "edge": true, "first_seen": e.since, "last_seen": null,
        }));
    }
    for s in &m.also_seen {
        locations.push(json!({
            "device_id": s.device_id, "device": s.device, "port": s.port, "vlan": s.vlan,
            "uplink": s.uplink, "edge": false, "last_seen": s.last_seen,
        }));
    }
    Ok(Json(json!({
        "mac": m.mac,
        "locations": locations,
        "history": m.history,
    })))
}

#[derive(Deserialize)]
pub struct LocateParams {
    #[serde(default)]
    mac: Option<String>,
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    at: String,
}

/// `GET /api/v1/locate?mac=M&at=T`: where the MAC's edge was at `T`.
pub async fn locate(
    State(st): State<AppState>,
    Query(p): Query<LocateParams>,
) -> ApiResult<Json<Value>> {
    let at = chrono::DateTime::parse_from_rfc3339(p.at.trim())
        .map_err(|_| {
            ApiError::from(AppError::BadRequest(format!(
                "at must be an RFC 3339 time (2026-12-01T10:00:00Z), not “{}”",
                p.at
            )))
        })?
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mac = match (&p.mac, &p.login) {
        (Some(m), None) => mac_param(m)?,
        (None, Some(_)) => {
            return Err(AppError::BadRequest(
                "locating a login needs the NAS sessions, which this version does not collect yet; locate its MAC".into(),
            )
            .into())
        }
        _ => {
            return Err(AppError::BadRequest("give exactly one of mac= or login=".into()).into())
        }
    };
    let (m, t) = (mac.clone(), at.clone());
    let found = st
        .core
        .views
        .read(move |c| macs::at_time(c, &m, &t))
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!({
        "mac": mac,
        "at": at,
        "location": found.and_then(|mv| mv.to),
    })))
}

/// `POST /api/v1/devices/{id}/fdb`: reads the switch's MAC table now and
/// answers when done, with the counts.
pub async fn collect_now(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let d = st.find(&id, ispmon_projections::devices::get).await?;
    if d.retired || !d.roles.iter().any(|r| r == "switch") {
        return Err(AppError::BadRequest(format!("{} is not a live switch", d.name)).into());
    }
    let outcome = st
        .scheduler
        .run(
            ispmon_scheduler::fdb::job::JOB_NAME,
            ispmon_scheduler::Scope::One(id.clone()),
            Some(ctx.meta()),
        )
        .await
        .map_err(crate::pages::devices::scheduler_error)?;
    match outcome {
        Ok(summary) => {
            let last = st
                .core
                .telemetry
                .fdb_collections(id.clone(), 1)
                .await
                .map_err(AppError::from)?;
            let c = last.first();
            Ok(Json(json!({
                "device_id": id,
                "summary": summary,
                "rows": c.map(|c| c.rows),
                "moved": c.map(|c| c.moved),
                "duration_ms": c.map(|c| c.duration_ms),
            })))
        }
        Err(reason) => Err(ApiError::new(axum::http::StatusCode::BAD_GATEWAY, reason)),
    }
}

#[derive(Deserialize)]
pub struct MarkBody {
    #[serde(default)]
    role: String,
}

/// `PUT /api/v1/devices/{id}/ports/{port}` with `{"role": "uplink" |
/// "access" | "auto"}`: an admin's mark, which wins over the collector's
/// rules from the switch's next collection.
pub async fn mark_port(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, port)): Path<(String, String)>,
    Json(b): Json<MarkBody>,
) -> ApiResult<Json<Value>> {
    use ispmon_events::device::{parse_port, DeviceCommand, PortMark};
    let port = parse_port(&port).map_err(|m| ApiError::from(AppError::BadRequest(m)))?;
    let mark = PortMark::parse(&b.role).map_err(|m| ApiError::from(AppError::BadRequest(m)))?;
    let d = st.find(&id, ispmon_projections::devices::get).await?;
    if !d.roles.iter().any(|r| r == "switch") {
        return Err(AppError::BadRequest(format!("{} is not a switch", d.name)).into());
    }
    let cmd = DeviceCommand::MarkPort {
        port: port.clone(),
        mark,
    };
    match st.core.commands.device(&id, cmd, &ctx.meta()).await {
        Ok(_) => {}
        Err(e) if e.is_unchanged() => {}
        Err(e) => return Err(AppError::from(e).into()),
    }
    Ok(Json(
        json!({ "device_id": id, "port": port, "role": mark.as_str() }),
    ))
}
