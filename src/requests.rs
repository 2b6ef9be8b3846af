//! Connection requests (ConnectStatements), shared by the pages and the
//! API: opening one (pre-filled from a subscriber), editing, status, the
//! thread, the label, moves on the board by rank, installers and visits
//! (with the per-area cap of visits a day), checklists from templates,
//! photos, the hand-over to a GPON registration — each a command on the
//! `Request` aggregate — and the board's folders, caps and templates on
//! the `RequestBoard` aggregate.
//!
//! Who may act on a request: the desk (admins, NOC, technicians) on any;
//! an installer only on the requests assigned to them.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime, Utc};
use ispmon_events::request::{
    Colour, GponHints, Request, RequestCommand, RequestDetails, RequestStatus, Visit,
};
use ispmon_events::request_board::{RequestBoard, RequestBoardCommand, BOARD_ID};
use ispmon_events::values::Role;
use ispmon_events::Metadata;
use ispmon_projections::requests::{self, BoardQuery, FolderSel, FolderView, RequestView};
use serde::{Deserialize, Serialize};

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::pages::components::FormErrors;
use crate::state::AppState;

/// A request as a form or the API sends it (every field text).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub name: String,
    pub address: String,
    pub subscriber_id: String,
    pub login: String,
    pub phone: String,
    pub area: String,
    pub sn: String,
    pub olt_id: String,
    pub port: String,
    pub profile: String,
    /// Only when opening: the folder and the first message.
    pub folder: String,
    pub message: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    let mut e = FormErrors::default();
    e.add(field, message.into());
    AppError::Invalid(e)
}

impl RequestForm {
    pub fn details(&self) -> RequestDetails {
        RequestDetails {
            name: self.name.clone(),
            address: self.address.clone(),
            subscriber_id: opt(&self.subscriber_id),
            login: opt(&self.login),
            phone: opt(&self.phone),
            area: opt(&self.area),
            gpon: GponHints {
                sn: opt(&self.sn).map(|s| s.replace('-', "")),
                olt_id: opt(&self.olt_id),
                port: opt(&self.port).map(|p| p.split_whitespace().collect()),
                profile: opt(&self.profile),
            },
        }
    }

    /// The form of a request as it is (for editing).
    pub fn of(v: &RequestView, r: &Request) -> Self {
        let g = r
            .details
            .as_ref()
            .map(|d| d.gpon.clone())
            .unwrap_or_default();
        RequestForm {
            name: v.name.clone(),
            address: v.address.clone(),
            subscriber_id: v.subscriber_id.clone().unwrap_or_default(),
            login: v.login.clone().unwrap_or_default(),
            phone: v.phone.clone().unwrap_or_default(),
            area: v.area.clone().unwrap_or_default(),
            sn: g.sn.unwrap_or_default(),
            olt_id: g.olt_id.unwrap_or_default(),
            port: g.port.unwrap_or_default(),
            profile: g.profile.unwrap_or_default(),
            folder: v.folder.clone().unwrap_or_default(),
            message: String::new(),
        }
    }
}

async fn run(st: &AppState, id: &str, c: RequestCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::run::<Request>(&st.core.commands, id, c, meta).await
}

/// [`run`] where "nothing changed" is simply done (saving a form as it was).
async fn settle(st: &AppState, id: &str, c: RequestCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::settle::<Request>(&st.core.commands, id, c, meta).await
}

async fn run_board(st: &AppState, c: RequestBoardCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::run::<RequestBoard>(&st.core.commands, BOARD_ID, c, meta).await
}

/// [`run_board`] where "nothing changed" is simply done.
async fn settle_board(st: &AppState, c: RequestBoardCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::settle::<RequestBoard>(&st.core.commands, BOARD_ID, c, meta).await
}

pub async fn get(st: &AppState, id: &str) -> AppResult<Option<RequestView>> {
    let id = id.to_string();
    Ok(st.core.views.read(move |c| requests::get(c, &id)).await?)
}

/// The request and its folded state, or 404.
pub async fn found(st: &AppState, id: &str) -> AppResult<(RequestView, Request)> {
    let rid = id.to_string();
    let (v, r) = st
        .core
        .views
        .read(move |c| Ok((requests::get(c, &rid)?, requests::state(c, &rid)?)))
        .await?;
    match (v, r) {
        (Some(v), Some(r)) => Ok((v, r)),
        _ => Err(AppError::NotFound),
    }
}

/// Whether the user in `ctx` may work on the request: the desk on any, an
/// installer on their own only. Reading follows the same rule for
/// installers (they see their visits, not the board).
pub fn may_work(ctx: &Ctx, v: &RequestView) -> bool {
    match &ctx.actor {
        Some(a) if a.role == Role::Installer => v.installer.as_deref() == Some(a.login.as_str()),
        Some(a) => a.role != Role::Auditor,
        None => false,
    }
}

pub fn may_read(ctx: &Ctx, v: &RequestView) -> bool {
    ctx.role() == Some(Role::Auditor) || may_work(ctx, v)
}

/// The request for `ctx` to work on: 404 when there is none, 403 when it is
/// not theirs.
pub async fn workable(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<(RequestView, Request)> {
    let (v, r) = found(st, id).await?;
    if !may_work(ctx, &v) {
        return Err(AppError::Forbidden);
    }
    Ok((v, r))
}

pub fn is_installer(ctx: &Ctx) -> bool {
    ctx.role() == Some(Role::Installer)
}

/// Is the desk (not an installer, not an auditor).
pub fn is_desk(ctx: &Ctx) -> bool {
    matches!(
        ctx.role(),
        Some(Role::Admin) | Some(Role::Noc) | Some(Role::Technician)
    )
}

async fn check_folder(
    st: &AppState,
    folder: &Option<String>,
    field: &'static str,
) -> AppResult<()> {
    if let Some(f) = folder.clone() {
        let ok = st
            .core
            .views
            .read(move |c| requests::folder_exists(c, &f))
            .await?;
        if !ok {
            return Err(invalid(field, "there is no such folder"));
        }
    }
    Ok(())
}

/// Opens a request at the end of its folder; its id.
pub async fn open(st: &AppState, form: &RequestForm, meta: &Metadata) -> AppResult<String> {
    let folder = opt(&form.folder);
    check_folder(st, &folder, "folder").await?;
    let f = folder.clone();
    let rank = st
        .core
        .views
        .read(move |c| requests::rank_at_end(c, f.as_deref()))
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    run(
        st,
        &id,
        RequestCommand::Open {
            details: form.details(),
            folder,
            rank,
            first_message: opt(&form.message).map(|m| (meta.actor_login.clone(), m)),
            at: Utc::now(),
        },
        meta,
    )
    .await?;
    Ok(id)
}

pub async fn edit(st: &AppState, id: &str, form: &RequestForm, meta: &Metadata) -> AppResult<()> {
    let c = RequestCommand::Edit {
        details: form.details(),
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

pub fn parse_status(s: &str) -> AppResult<RequestStatus> {
    RequestStatus::parse(s).ok_or_else(|| {
        invalid(
            "status",
            "choose open, awaiting_reply, scheduled, in_progress, done or closed",
        )
    })
}

pub async fn change_status(
    st: &AppState,
    id: &str,
    to: &str,
    note: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let to = parse_status(to)?;
    let c = RequestCommand::ChangeStatus {
        to,
        note: opt(note),
        at: Utc::now(),
    };
    run(st, id, c, meta).await
}

pub async fn message(st: &AppState, id: &str, body: &str, meta: &Metadata) -> AppResult<()> {
    let c = RequestCommand::Message {
        author: meta.actor_login.clone(),
        body: body.to_string(),
        at: Utc::now(),
    };
    run(st, id, c, meta).await
}

pub async fn label(
    st: &AppState,
    id: &str,
    text: &str,
    colour: &str,
    meta: &Metadata,
) -> AppResult<()> {
    // The palette's names, in any case (`DodgerBlue`, `dodgerblue`).
    let colour = Colour::ALL
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(colour.trim()));
    let Some(colour) = colour else {
        return Err(invalid("colour", "choose a colour of the palette"));
    };
    let c = RequestCommand::Label {
        text: text.to_string(),
        colour,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

/// Where a request is dropped: a folder (`None`: no folder) and either the
/// request it goes right after (`after`; `None` with no `position`: to the
/// top) or a position in the folder's order (0 first).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Drop {
    pub folder: Option<String>,
    pub after: Option<String>,
    pub position: Option<usize>,
}

/// Moves a request: writes its own folder and rank only, so two users
/// moving at once never undo each other.
pub async fn move_to(st: &AppState, id: &str, drop: Drop, meta: &Metadata) -> AppResult<()> {
    let folder = drop.folder.as_deref().and_then(opt);
    check_folder(st, &folder, "folder").await?;
    let after = drop.after.as_deref().and_then(opt);
    if let Some(a) = &after {
        if a == id {
            return Err(invalid("after", "a request cannot go after itself"));
        }
        match get(st, a).await? {
            Some(v) if v.folder == folder => {}
            Some(_) => return Err(invalid("after", "that request is in another folder")),
            None => return Err(invalid("after", "there is no such request")),
        }
    }
    let (moving, f) = (id.to_string(), folder.clone());
    let rank = st
        .core
        .views
        .read(move |c| {
            let after = match (after, drop.position) {
                (Some(a), _) => Some(a),
                (None, Some(p)) => requests::at_position(c, f.as_deref(), &moving, p)?,
                (None, None) => None,
            };
            requests::rank_for_drop(c, f.as_deref(), &moving, after.as_deref())
        })
        .await?;
    let c = RequestCommand::Move {
        folder,
        rank,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

/// Assigns the installer with `login` (empty: nobody).
pub async fn assign(st: &AppState, id: &str, login: &str, meta: &Metadata) -> AppResult<()> {
    let installer = crate::tickets::user_login(st, login, "installer").await?;
    let c = RequestCommand::AssignInstaller {
        installer,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

/// A visit as a form sends it: a day and a window (`HH:MM`), all empty to
/// cancel it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VisitForm {
    pub date: String,
    pub from: String,
    pub to: String,
}

impl VisitForm {
    pub fn visit(&self) -> AppResult<Option<Visit>> {
        let (d, f, t) = (self.date.trim(), self.from.trim(), self.to.trim());
        if d.is_empty() && f.is_empty() && t.is_empty() {
            return Ok(None);
        }
        let mut e = FormErrors::default();
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        if date.is_none() {
            e.add("date", "a day is YYYY-MM-DD");
        }
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
                .ok()
        };
        let (from, to) = (time(f), time(t));
        if from.is_none() {
            e.add("from", "a time is HH:MM");
        }
        if to.is_none() {
            e.add("to", "a time is HH:MM");
        }
        match (date, from, to) {
            (Some(date), Some(from), Some(to)) => Ok(Some(Visit { date, from, to })),
            _ => Err(AppError::Invalid(e)),
        }
    }
}

/// Schedules (or cancels) the visit; when the installer's day in the
/// request's area is then over its cap, the warning to show.
pub async fn schedule(
    st: &AppState,
    id: &str,
    visit: &VisitForm,
    meta: &Metadata,
) -> AppResult<Option<String>> {
    let visit = visit.visit()?;
    let c = RequestCommand::Schedule {
        visit,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await?;
    over_cap(st, id).await
}

/// The warning for a request whose installer's day in its area holds more
/// active visits than the area's cap; `None` when within it (or no cap).
pub async fn over_cap(st: &AppState, id: &str) -> AppResult<Option<String>> {
    let Some(v) = get(st, id).await? else {
        return Ok(None);
    };
    let (Some(installer), Some(date)) = (v.installer.clone(), v.visit_date.clone()) else {
        return Ok(None);
    };
    let area = v.area.clone().unwrap_or_default();
    let a = area.clone();
    let (load, cap) = st
        .core
        .views
        .read(move |c| {
            Ok((
                requests::day_load(c, &installer, &date, &a)?,
                requests::area_cap(c, &a)?,
            ))
        })
        .await?;
    Ok(cap.filter(|cap| load > *cap as i64).map(|cap| {
        let area = if area.is_empty() {
            "—".to_string()
        } else {
            area
        };
        format!(
            "{}'s day {} is full: {load} visits in {area}, the cap is {cap}",
            v.installer.unwrap_or_default(),
            v.visit_date.unwrap_or_default()
        )
    }))
}

/// Sets the checklist from a template by name, or from items one per line.
pub async fn set_checklist(
    st: &AppState,
    id: &str,
    template: &str,
    items: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let items: Vec<String> = match opt(template) {
        Some(name) => {
            let all = st.core.views.read(requests::templates).await?;
            match all.into_iter().find(|(n, _)| *n == name) {
                Some((_, items)) => items,
                None => return Err(invalid("template", "there is no such template")),
            }
        }
        None => items.lines().map(str::to_string).collect(),
    };
    let c = RequestCommand::SetChecklist {
        items,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

pub async fn check_item(
    st: &AppState,
    id: &str,
    index: usize,
    done: bool,
    meta: &Metadata,
) -> AppResult<()> {
    let c = RequestCommand::CheckItem {
        index,
        done,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

pub async fn attach(
    st: &AppState,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    meta: &Metadata,
) -> AppResult<()> {
    let f = crate::tickets::store_file(st, name, bytes).await?;
    let c = RequestCommand::Attach {
        blob: f.blob,
        name: f.name,
        size: f.size,
        content_type: f.content_type,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

/// Keeps the GPON registration started from the request.
pub async fn link_registration(
    st: &AppState,
    id: &str,
    job_id: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let c = RequestCommand::LinkRegistration {
        job_id: job_id.to_string(),
        ont_id: None,
        at: Utc::now(),
    };
    settle(st, id, c, meta).await
}

/// One page of the board and how many the query finds in all, read once
/// per data version for everyone asking the same (the board is open on
/// every desk; see [`crate::memo`]).
pub async fn board(st: &AppState, q: BoardQuery) -> AppResult<Arc<(Vec<RequestView>, i64)>> {
    let core = st.core.clone();
    st.memos
        .request_board
        .get_or_load(q.clone(), st.data_version(), || async move {
            Ok(core
                .views
                .read(move |c| Ok((requests::board(c, &q)?, requests::count(c, &q)?)))
                .await?)
        })
        .await
}

/// An installer's visits on a day in their order, read once per data
/// version (installers reload their day often while out).
pub async fn installer_day(
    st: &AppState,
    installer: &str,
    date: NaiveDate,
) -> AppResult<Arc<Vec<RequestView>>> {
    let core = st.core.clone();
    let (w, d) = (installer.to_string(), date.to_string());
    st.memos
        .installer_days
        .get_or_load((w.clone(), d.clone()), st.data_version(), || async move {
            Ok(core
                .views
                .read(move |c| requests::installer_day(c, &w, &d))
                .await?)
        })
        .await
}

/// The board's folders with their active requests, and the active
/// requests in no folder; read once per data version (the board and every
/// request's page show them).
pub async fn folders(st: &AppState) -> AppResult<Arc<(Vec<FolderView>, i64)>> {
    let core = st.core.clone();
    st.memos
        .request_folders
        .get_or_load((), st.data_version(), || async move {
            Ok(core.views.read(requests::folders).await?)
        })
        .await
}

/// The folder a query names: `all` (or empty), `none`, or a folder's id.
pub fn folder_sel(s: &str) -> FolderSel {
    match s.trim() {
        "" | "all" => FolderSel::All,
        "none" => FolderSel::Unfiled,
        f => FolderSel::One(f.to_string()),
    }
}

/// A new folder; its id (made from a counter, never reused).
pub async fn create_folder(st: &AppState, name: &str, meta: &Metadata) -> AppResult<String> {
    let id = format!("f-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let c = RequestBoardCommand::CreateFolder {
        id: id.clone(),
        name: name.to_string(),
        at: Utc::now(),
    };
    run_board(st, c, meta).await?;
    Ok(id)
}

pub async fn rename_folder(st: &AppState, id: &str, name: &str, meta: &Metadata) -> AppResult<()> {
    let c = RequestBoardCommand::RenameFolder {
        id: id.to_string(),
        name: name.to_string(),
        at: Utc::now(),
    };
    run_board(st, c, meta).await
}

/// Deletes a folder; its requests go to `move_to` (`None`: no folder), each
/// at the end of it in their order. How many were moved.
pub async fn delete_folder(
    st: &AppState,
    id: &str,
    move_to: Option<String>,
    meta: &Metadata,
) -> AppResult<usize> {
    let move_to = move_to.as_deref().and_then(opt);
    if move_to.as_deref() == Some(id) {
        return Err(invalid("move_to", "choose another folder for its requests"));
    }
    check_folder(st, &move_to, "move_to").await?;
    let f = id.to_string();
    let ids = st
        .core
        .views
        .read(move |c| requests::ids_in_folder(c, &f))
        .await?;
    let c = RequestBoardCommand::DeleteFolder {
        id: id.to_string(),
        move_to: move_to.clone(),
        at: Utc::now(),
    };
    run_board(st, c, meta).await?;
    // The read model has re-homed the rows; each aggregate follows, at the
    // end of the folder it went to, in the order it had.
    for rid in &ids {
        let (m, f) = (rid.clone(), move_to.clone());
        let rank = st
            .core
            .views
            .read(move |c| {
                let last = requests::last_in(c, f.as_deref(), &m)?;
                requests::rank_for_drop(c, f.as_deref(), &m, last.as_deref())
            })
            .await?;
        let c = RequestCommand::Move {
            folder: move_to.clone(),
            rank,
            at: Utc::now(),
        };
        settle(st, rid, c, meta).await?;
    }
    Ok(ids.len())
}

/// A cap of visits a day: empty for none.
fn cap(s: &str) -> AppResult<Option<u32>> {
    match opt(s) {
        None => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .map(Some)
            .map_err(|_| invalid("cap", "a cap is a whole number of visits a day")),
    }
}

/// Sets an area's cap (empty area: the default cap; empty cap: none).
pub async fn set_cap(st: &AppState, area: &str, value: &str, meta: &Metadata) -> AppResult<()> {
    let cap = cap(value)?;
    let c = match opt(area) {
        Some(area) => RequestBoardCommand::SetAreaCap {
            area,
            cap,
            at: Utc::now(),
        },
        None => RequestBoardCommand::SetDefaultCap {
            cap,
            at: Utc::now(),
        },
    };
    settle_board(st, c, meta).await
}

/// Sets a checklist template from items one per line (none: removed).
pub async fn set_template(
    st: &AppState,
    name: &str,
    items: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let c = RequestBoardCommand::SetChecklistTemplate {
        name: name.to_string(),
        items: items.lines().map(str::to_string).collect(),
        at: Utc::now(),
    };
    settle_board(st, c, meta).await
}

/// Today as the visits are kept (the local day of the SLA calendar).
pub fn today() -> NaiveDate {
    let offset = ispmon_events::sla::Calendar::default().utc_offset_min;
    (Utc::now() + chrono::Duration::minutes(offset as i64)).date_naive()
}
