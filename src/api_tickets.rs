//! The tickets API: list with filters, open, read (with comments, history
//! and the SLA), change (status, assignee, details), comment.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{body, ApiResult, Body};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use crate::tickets::{self, TicketForm};
use ispmon_events::ticket::TicketStatus;
use ispmon_projections::tickets::{TicketQuery, TicketView};

fn view_json(v: &TicketView, now: &str) -> Value {
    let mut j = serde_json::to_value(v).unwrap_or(Value::Null);
    j["breached"] = json!(v.breached(now));
    j
}

fn now() -> String {
    ispmon_projections::tickets::stamp(chrono::Utc::now())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    assignee: String,
    subscriber_id: String,
    sort: String,
    due_before: String,
    breached: String,
    limit: Option<usize>,
    offset: usize,
}

/// `GET /api/v1/tickets?status=active|any|STATUS&assignee=&subscriber_id=&due_before=RFC3339&breached=true&sort=due|opened|priority&limit=&offset=`
/// (`due_before`: not done, next due before that time; `breached=true`:
/// before now, that is past their SLA).
pub async fn list(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let status = if p.status.is_empty() {
        "active".to_string()
    } else {
        p.status
    };
    if status != "active" && status != "any" && TicketStatus::parse(&status).is_none() {
        return Err(AppError::BadRequest(format!("no status “{status}”")).into());
    }
    if !matches!(p.sort.as_str(), "" | "due" | "opened" | "priority") {
        return Err(AppError::BadRequest("sort is due, opened or priority".into()).into());
    }
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest("limit is 1–500".into()).into());
    }
    let breached = match p.breached.as_str() {
        "" | "false" | "0" => false,
        "true" | "1" => true,
        _ => return Err(AppError::BadRequest("breached is true or false".into()).into()),
    };
    let due_before = match p.due_before.trim() {
        "" => None,
        t => Some(ispmon_projections::tickets::stamp(crate::api::parse_time(
            "due_before",
            t,
        )?)),
    };
    if breached && due_before.is_some() {
        return Err(AppError::BadRequest("give due_before or breached, not both".into()).into());
    }
    let opt = |s: String| (!s.trim().is_empty()).then_some(s);
    let q = TicketQuery {
        status,
        assignee: opt(p.assignee),
        subscriber_id: opt(p.subscriber_id),
        due_before,
        sort: p.sort,
        limit,
        offset: p.offset,
    };
    // The same answer for everyone asking the same, for at most 2 s (the
    // breaches are by the clock).
    let key = format!(
        "{}/{:?}/{:?}/{:?}/{breached}/{}/{}/{}",
        q.status, q.assignee, q.subscriber_id, q.due_before, q.sort, q.limit, q.offset
    );
    let body = st
        .memos
        .tickets_api
        .get_or_load(key, st.data_version(), || async {
            let now = now();
            let mut q = q.clone();
            if breached {
                q.due_before = Some(now.clone());
            }
            let rows = tickets::list(&st, q).await?;
            let v = json!({
                "tickets": rows.iter().map(|v| view_json(v, &now)).collect::<Vec<_>>()
            });
            Ok::<_, AppError>(v.to_string())
        })
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.as_ref().clone(),
    ))
}

/// `POST /api/v1/tickets` `{"problem", "address", "phone", "login",
/// "subscriber_id", "category", "priority", "port", "ont_id", "host_id"}` → 201 `{"id"}`.
pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    b: Body<TicketForm>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let form = body(b)?;
    let id = tickets::open(&st, &form, &ctx.meta()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `GET /api/v1/tickets/{id}`: the ticket, its comments and history.
pub async fn get(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let v = tickets::get(&st, &id).await?.ok_or(AppError::NotFound)?;
    let (comments, history) = tickets::thread(&st, &id).await?;
    let mut j = view_json(&v, &now());
    j["comments"] = json!(comments);
    j["history"] = json!(history
        .iter()
        .map(|(at, by, what)| json!({"at": at, "by": by, "what": what}))
        .collect::<Vec<_>>());
    Ok(Json(j))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Patch {
    status: Option<String>,
    note: String,
    assignee: Option<String>,
    details: Option<TicketForm>,
}

/// `PATCH /api/v1/tickets/{id}` `{"status", "note", "assignee", "details": {…}}`:
/// each given part in turn (details, assignee, status); the ticket after.
pub async fn patch(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    b: Body<Patch>,
) -> ApiResult<Json<Value>> {
    let p = body(b)?;
    tickets::get(&st, &id).await?.ok_or(AppError::NotFound)?;
    let meta = ctx.meta();
    if let Some(d) = &p.details {
        tickets::edit(&st, &id, d, &meta).await?;
    }
    if let Some(a) = &p.assignee {
        tickets::assign(&st, &id, a, &meta).await?;
    }
    if let Some(s) = &p.status {
        tickets::change_status(&st, &id, s, &p.note, &meta).await?;
    }
    get(State(st), Path(id)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentBody {
    body: String,
}

/// `POST /api/v1/tickets/{id}/comments` `{"body"}` → 201.
pub async fn comment(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    b: Body<CommentBody>,
) -> ApiResult<StatusCode> {
    let c = body(b)?;
    tickets::get(&st, &id).await?.ok_or(AppError::NotFound)?;
    tickets::comment(&st, &id, &c.body, &ctx.meta()).await?;
    Ok(StatusCode::CREATED)
}
