//! Subscribers' JSON API: the list (full text, folder, status, a cursor)
//! and one subscriber's card, with the edge port and the online session.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::ApiResult;
use crate::error::AppError;
use crate::pages::subscribers::ListParams;
use crate::state::AppState;
use crate::subscribers as subs;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListApiParams {
    q: String,
    folder: String,
    status: String,
    sort: String,
    limit: String,
    /// Where the previous page ended (its `next_cursor`).
    cursor: String,
}

/// `GET /api/v1/subscribers?q=&folder=&status=&sort=&limit=&cursor=`
pub async fn list(
    State(st): State<AppState>,
    Query(p): Query<ListApiParams>,
) -> ApiResult<Json<Value>> {
    let limit = match p.limit.trim() {
        "" => subs::PER_PAGE,
        n => match n.parse::<usize>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => return Err(AppError::BadRequest("limit is a number from 1 to 500".into()).into()),
        },
    };
    let offset = match p.cursor.trim() {
        "" => 0,
        c => c
            .parse::<usize>()
            .map_err(|_| AppError::BadRequest(format!("“{c}” is not a cursor of this list")))?,
    };
    let params = ListParams {
        q: p.q,
        folder: p.folder,
        status: p.status,
        sort: p.sort,
        page: String::new(),
    };
    let mut q = params
        .to_query(limit)
        .map_err(|(field, m)| AppError::BadRequest(format!("{field}: {m}")))?;
    q.offset = offset;
    let (page, figures) = subs::list(&st, q).await?;
    let next = page.more.then(|| (offset + page.rows.len()).to_string());
    let rows: Vec<Value> = page
        .rows
        .iter()
        .zip(figures)
        .map(|(r, f)| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            v["id"] = json!(r.billing_id);
            v["blocked"] = json!(r.blocked.is_some());
            v["blocked_reason"] = json!(r.blocked);
            v["figures"] = json!(f);
            v
        })
        .collect();
    Ok(Json(json!({ "subscribers": rows, "next_cursor": next })))
}

/// `GET /api/v1/subscribers/{id}`: the card.
pub async fn show(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let c = subs::card(&st, &id).await?.ok_or(AppError::NotFound)?;
    let online = c.online();
    let mut v = serde_json::to_value(&c).map_err(|e| AppError::Internal(e.into()))?;
    v["id"] = json!(c.row.billing_id);
    v["online"] = json!(online);
    v["blocked"] = json!(c.row.blocked.is_some());
    v["blocked_reason"] = json!(c.row.blocked);
    v["location"] = json!(c.port.as_ref().and_then(|p| p.location.as_ref()));
    v["timeline"] = json!(c
        .timeline
        .iter()
        .map(|e| json!({"seq": e.seq, "type": e.event_type, "at": e.recorded_at, "by": e.meta().actor_login}))
        .collect::<Vec<_>>());
    Ok(Json(v))
}
