//! The connection requests API: the board with filters, open, read (with
//! the thread and history), change (details, status, label, installer,
//! visit), post a message, move (folder and position).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{body, ApiResult, Body};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::requests::{self, Drop, RequestForm, VisitForm};
use crate::state::AppState;
use ispmon_events::request::RequestStatus;
use ispmon_projections::requests::BoardQuery;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    folder: String,
    installer: String,
    subscriber_id: String,
    /// A visit day, `YYYY-MM-DD`.
    visit_date: String,
    limit: Option<usize>,
    offset: usize,
}

/// `GET /api/v1/requests?status=active|any|STATUS&folder=all|none|ID&installer=&subscriber_id=&visit_date=&limit=&offset=`
/// in the board's manual order.
pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let status = if p.status.is_empty() {
        "active".to_string()
    } else {
        p.status
    };
    if status != "active" && status != "any" && RequestStatus::parse(&status).is_none() {
        return Err(AppError::BadRequest(format!("no status “{status}”")).into());
    }
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest("limit is 1–500".into()).into());
    }
    if !p.visit_date.is_empty()
        && chrono::NaiveDate::parse_from_str(&p.visit_date, "%Y-%m-%d").is_err()
    {
        return Err(AppError::BadRequest("visit_date is YYYY-MM-DD".into()).into());
    }
    let opt = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_string());
    // An installer reads their own requests only.
    let installer = if requests::is_installer(&ctx) {
        Some(ctx.actor()?.login.clone())
    } else {
        opt(p.installer)
    };
    let q = BoardQuery {
        folder: requests::folder_sel(&p.folder),
        status,
        installer,
        subscriber_id: opt(p.subscriber_id),
        visit_date: opt(p.visit_date),
        limit,
        offset: p.offset,
    };
    let page = requests::board(&st, q).await?;
    let (rows, total) = &*page;
    Ok(Json(json!({ "requests": rows, "total": total })))
}

/// `POST /api/v1/requests` `{"name", "address", "phone", "login",
/// "subscriber_id", "area", "sn", "olt_id", "port", "profile", "folder",
/// "message"}` → 201 `{"id"}`.
pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    b: Body<RequestForm>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let form = body(b)?;
    let id = requests::open(&st, &form, &ctx.meta()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `GET /api/v1/requests/{id}`: the request, its checklist, thread,
/// photos and history.
pub async fn get(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (v, r) = requests::found(&st, &id).await?;
    if !requests::may_read(&ctx, &v) {
        return Err(AppError::Forbidden.into());
    }
    let rid = id.clone();
    let (messages, attachments, history) = st
        .core
        .views
        .read(move |c| {
            use ispmon_projections::requests as q;
            Ok((
                q::messages(c, &rid)?,
                q::attachments(c, &rid)?,
                q::history_of(c, &rid)?,
            ))
        })
        .await
        .map_err(AppError::from)?;
    let mut j = serde_json::to_value(&v).unwrap_or(Value::Null);
    j["checklist"] = json!(r
        .checklist
        .iter()
        .map(|(item, done)| json!({"item": item, "done": done}))
        .collect::<Vec<_>>());
    j["gpon"] = json!(r.details.as_ref().map(|d| &d.gpon));
    j["registration_offer"] = json!(r.registration_offer());
    j["messages"] = json!(messages);
    j["attachments"] = json!(attachments);
    j["history"] = json!(history
        .iter()
        .map(|(at, by, what)| json!({"at": at, "by": by, "what": what}))
        .collect::<Vec<_>>());
    Ok(Json(j))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelPatch {
    text: String,
    colour: String,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Patch {
    details: Option<RequestForm>,
    label: Option<LabelPatch>,
    installer: Option<String>,
    /// `{"date", "from", "to"}`; all empty cancels the visit.
    visit: Option<VisitForm>,
    status: Option<String>,
    note: String,
}

/// `PATCH /api/v1/requests/{id}` `{"details": {…}, "label": {"text",
/// "colour"}, "installer", "visit": {"date", "from", "to"}, "status",
/// "note"}`: every part is checked first, then each given part in turn;
/// the request after, with `"warning"` when the installer's day is over
/// its cap.
pub async fn patch(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    b: Body<Patch>,
) -> ApiResult<Json<Value>> {
    let p = body(b)?;
    requests::workable(&st, &ctx, &id).await?;
    let desk_part =
        p.details.is_some() || p.label.is_some() || p.installer.is_some() || p.visit.is_some();
    if desk_part && !requests::is_desk(&ctx) {
        return Err(AppError::Forbidden.into());
    }
    // What can be told wrong before anything is written is told first.
    if let Some(s) = &p.status {
        requests::parse_status(s)?;
    }
    if let Some(v) = &p.visit {
        v.visit()?;
    }
    let meta = ctx.meta();
    if let Some(d) = &p.details {
        requests::edit(&st, &id, d, &meta).await?;
    }
    if let Some(lbl) = &p.label {
        requests::label(&st, &id, &lbl.text, &lbl.colour, &meta).await?;
    }
    if let Some(i) = &p.installer {
        requests::assign(&st, &id, i, &meta).await?;
    }
    if let Some(v) = &p.visit {
        requests::schedule(&st, &id, v, &meta).await?;
    }
    if let Some(s) = &p.status {
        requests::change_status(&st, &id, s, &p.note, &meta).await?;
    }
    let warning = requests::over_cap(&st, &id).await?;
    let Json(mut j) = get(State(st), ctx, Path(id)).await?;
    j["warning"] = json!(warning);
    Ok(Json(j))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageBody {
    body: String,
}

/// `POST /api/v1/requests/{id}/messages` `{"body"}` → 201.
pub async fn message(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    b: Body<MessageBody>,
) -> ApiResult<StatusCode> {
    let m = body(b)?;
    requests::workable(&st, &ctx, &id).await?;
    requests::message(&st, &id, &m.body, &ctx.meta()).await?;
    Ok(StatusCode::CREATED)
}

/// `POST /api/v1/requests/{id}/move` `{"folder": ID|null, "after": ID|null,
/// "position": N}`: into a folder (null: none), right after a request or at
/// a position (0 first; neither: to the top); the request after.
pub async fn move_request(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    b: Body<Drop>,
) -> ApiResult<Json<Value>> {
    let d = body(b)?;
    requests::workable(&st, &ctx, &id).await?;
    if !requests::is_desk(&ctx) {
        return Err(AppError::Forbidden.into());
    }
    requests::move_to(&st, &id, d, &ctx.meta()).await?;
    get(State(st), ctx, Path(id)).await
}
