//! Subscribers' query side, shared by the pages and the API: the list (full
//! text, folder, status, order, page), the folder tree, and the card that
//! joins what ispmon knows of a subscriber — billing fields and status, the
//! figures as of the last sync, the NAS session, the edge port from Search
//! Port with its history, staff notes, and the timeline from the log.

use std::sync::Arc;

use ispmon_events::subscriber::BillingView;
use ispmon_events::StoredEvent;
use ispmon_projections::logins;
use ispmon_projections::subscribers::{self, FolderCount, ListQuery, Note, Page, SubscriberRow};
use ispmon_scheduler::nas::sessions::{self, SessionRow};
use ispmon_scheduler::subscriber_figures::{self, Figures};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::search::{self, MacAnswer};
use crate::state::AppState;

/// Longest list query, in characters.
pub const MAX_QUERY: usize = 200;
/// Rows per page unless asked otherwise; the API allows up to 500.
pub const PER_PAGE: usize = 50;

/// A page of the list: its rows, each with its figures.
pub async fn list(st: &AppState, q: ListQuery) -> AppResult<(Page, Vec<Option<Figures>>)> {
    if q.q.chars().count() > MAX_QUERY {
        return Err(AppError::BadRequest(format!(
            "a search is at most {MAX_QUERY} characters"
        )));
    }
    let telemetry = Arc::clone(st.core.telemetry.readers());
    let out = st
        .core
        .views
        .read(move |c| {
            let page = subscribers::list(c, &q)?;
            let ids: Vec<String> = page.rows.iter().map(|r| r.billing_id.clone()).collect();
            let figures = telemetry.with(|t| subscriber_figures::figures_of(t, &ids))?;
            let per_row = ids.iter().map(|id| figures.get(id).copied()).collect();
            Ok((page, per_row))
        })
        .await?;
    Ok(out)
}

/// The folder tree with counts (read once per data version).
pub async fn folders(st: &AppState) -> AppResult<Arc<Vec<FolderCount>>> {
    let version = st.data_version();
    let core = st.core.clone();
    st.memos
        .billing_folders
        .get_or_load((), version, || async move {
            core.views
                .read(subscribers::folders)
                .await
                .map_err(AppError::from)
        })
        .await
}

/// Everything the card shows.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    #[serde(flatten)]
    pub row: SubscriberRow,
    /// Every field as billing showed it.
    pub fields: std::collections::BTreeMap<String, String>,
    /// Balance and credit as of the last sync that read the card.
    pub figures: Option<Figures>,
    /// The login's last PPPoE session (`ended_at` null: online now).
    pub session: Option<SessionRow>,
    /// The MAC the edge port is looked up by: the one the NAS saw the login
    /// dial from, else the one billing has.
    pub mac_used: Option<String>,
    /// Where that MAC is (`location`: the edge port), with its history.
    pub port: Option<MacAnswer>,
    pub notes: Vec<Note>,
    /// Their connection requests and repair tickets, newest first.
    pub requests: Vec<ispmon_projections::requests::RequestView>,
    pub tickets: Vec<ispmon_projections::tickets::TicketView>,
    #[serde(skip)]
    pub timeline: Vec<StoredEvent>,
}

impl Card {
    pub fn online(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.ended_at.is_none())
    }
}

/// The card of `billing_id`, `None` when ispmon does not know them.
pub async fn card(st: &AppState, billing_id: &str) -> AppResult<Option<Card>> {
    let id = billing_id.to_string();
    let telemetry = Arc::clone(st.core.telemetry.readers());
    type Read = (
        SubscriberRow,
        BillingView,
        Vec<Note>,
        Option<String>,
        Option<Figures>,
        Option<SessionRow>,
    );
    let found: Option<Read> = st
        .core
        .views
        .read(move |c| {
            let Some(row) = subscribers::get(c, &id)? else {
                return Ok(None);
            };
            let Some(view) = subscribers::view(c, &id)? else {
                return Ok(None);
            };
            let notes = subscribers::notes(c, &id)?;
            let bound = logins::get(c, &row.login)?.and_then(|l| l.mac);
            let (figures, session) = telemetry.with(|t| {
                Ok((
                    subscriber_figures::figures(t, &id)?,
                    sessions::sessions_of_login(t, &row.login, 1)?
                        .into_iter()
                        .next(),
                ))
            })?;
            Ok(Some((row, view, notes, bound, figures, session)))
        })
        .await?;
    let Some((row, view, notes, bound, figures, session)) = found else {
        return Ok(None);
    };
    let mac_used = bound.or_else(|| row.mac.clone());
    let port = match &mac_used {
        Some(m) => Some(search::mac_answer(st, m).await?),
        None => None,
    };
    let timeline = st
        .core
        .store
        .aggregate_events("Subscriber", billing_id, None)
        .await?;
    let sid = billing_id.to_string();
    let (requests, tickets) = st
        .core
        .views
        .read(move |c| {
            let requests = ispmon_projections::requests::by_subscriber(c, &sid, 20)?;
            let tickets = ispmon_projections::tickets::list(
                c,
                &ispmon_projections::tickets::TicketQuery {
                    status: "any".into(),
                    subscriber_id: Some(sid.clone()),
                    sort: "opened".into(),
                    limit: 20,
                    ..Default::default()
                },
            )?;
            Ok((requests, tickets))
        })
        .await?;
    Ok(Some(Card {
        row,
        fields: view.fields,
        figures,
        session,
        mac_used,
        port,
        notes,
        requests,
        tickets,
        timeline,
    }))
}
