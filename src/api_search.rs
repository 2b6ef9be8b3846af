//! Search Port's JSON API: search, a MAC's locations, where a MAC was at a
//! time, collect now, and an admin's port marks.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiError, ApiResult};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::search::{self, Hit};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

fn unix(t: i64) -> Value {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

fn result(h: &Hit) -> Value {
    let m = h.mac.as_ref();
    json!({
        "subscriber": h.subscriber.as_ref().map(|s| json!({
            "id": s.billing_id, "display": s.display, "full_name": s.full_name,
            "address": s.address, "contract": s.contract, "status": s.status,
            "blocked": s.blocked.is_some(), "left_billing": s.left_billing,
        })),
        "login": h.login.as_ref().map(|l| &l.login).or(h.subscriber.as_ref().map(|s| &s.login)),
        "mac": m.map(|m| &m.mac).or(h.login.as_ref().and_then(|l| l.mac.as_ref())),
        "ip": h.login.as_ref().and_then(|l| l.ip.as_ref()),
        "nas": h.login.as_ref().map(|l| &l.nas),
        "session": h.session.as_ref().map(|s| json!({
            "online": s.ended_at.is_none(),
            "started_at": unix(s.started_at),
            "last_seen": unix(s.last_seen),
            "ended_at": s.ended_at.map(unix),
            "ip": s.ip, "mac": s.mac,
        })),
        "location": m.and_then(|m| m.location.as_ref().map(|e| json!({
            "device_id": e.device_id, "device": e.device, "address": m.address,
            "port": e.port, "vlan": e.vlan, "since": e.since,
            "macs_on_port": m.port_macs,
        }))),
        "also_seen": m.map(|m| &m.also_seen),
        "history": m.map(|m| &m.history),
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
        "results": a.results.iter().map(result).collect::<Vec<_>>(),
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

/// `GET /api/v1/macs/{mac}`: every place the MAC is seen, the edge first;
/// a location on an uplink says why as `"uplink": {"reason": "marked" |
/// "trunk" | "known_device" | "threshold", "detail": the trunk's mode, the
/// device seen there, "<MACs>/<threshold>", or null}`.
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

/// `GET /api/v1/locate?mac=M&at=T` or `?login=L&at=T`: where the MAC (or
/// the MAC the login dialled from at `T`) sat at the edge at `T`.
pub async fn locate(
    State(st): State<AppState>,
    Query(p): Query<LocateParams>,
) -> ApiResult<Json<Value>> {
    let at = crate::api::parse_time("at", &p.at)?;
    let who = match (&p.mac, &p.login) {
        (Some(m), None) => Ok(mac_param(m)?),
        (None, Some(login)) => Err(login.trim().to_string()),
        _ => return Err(AppError::BadRequest("give exactly one of mac= or login=".into()).into()),
    };
    let found = search::locate(&st, who, at).await?;
    Ok(Json(json!({
        "login": p.login,
        "mac": found.mac,
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "session": found.session.map(|s| json!({
            "nas_id": s.nas_id, "ip": s.ip, "started_at": unix(s.started_at),
            "last_seen": unix(s.last_seen), "ended_at": s.ended_at.map(unix),
        })),
        "location": found.location,
    })))
}

#[derive(Deserialize)]
pub struct SessionsParams {
    #[serde(default)]
    ip: String,
    #[serde(default)]
    at: String,
}

/// `GET /api/v1/sessions?ip=IP&at=T`: who had the IP at `T` (the question
/// the authorities ask), from the kept NAS sessions.
pub async fn sessions(
    State(st): State<AppState>,
    Query(p): Query<SessionsParams>,
) -> ApiResult<Json<Value>> {
    let ip: std::net::IpAddr = p.ip.trim().parse().map_err(|_| {
        ApiError::from(AppError::BadRequest(format!(
            "ip must be an IP address, not “{}”",
            p.ip
        )))
    })?;
    let at = crate::api::parse_time("at", &p.at)?;
    let had = st
        .core
        .telemetry
        .sessions_with_ip_at(ip.to_string(), at.timestamp())
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!({
        "ip": ip.to_string(),
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "sessions": had.iter().map(|s| json!({
            "login": s.login, "mac": s.mac, "nas_id": s.nas_id,
            "started_at": unix(s.started_at), "last_seen": unix(s.last_seen),
            "ended_at": s.ended_at.map(unix),
        })).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/devices/{id}/sessions`: polls the NAS now and answers
/// when done.
pub async fn poll_now(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let d = st.find(&id, ispmon_projections::devices::get).await?;
    if d.retired || !d.roles.iter().any(|r| r == "nas") {
        return Err(AppError::BadRequest(format!("{} is not a live NAS", d.name)).into());
    }
    let outcome = st
        .scheduler
        .run(
            ispmon_scheduler::nas::job::JOB_NAME,
            ispmon_scheduler::Scope::One(id.clone()),
            Some(ctx.meta()),
        )
        .await
        .map_err(crate::pages::devices::scheduler_error)?;
    match outcome {
        Ok(summary) => Ok(Json(json!({ "device_id": id, "summary": summary }))),
        Err(reason) => Err(ApiError::new(axum::http::StatusCode::BAD_GATEWAY, reason)),
    }
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
