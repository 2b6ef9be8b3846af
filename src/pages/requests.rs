//! ConnectStatements pages: the request board (folders with counts, the
//! requests of one in their manual order, dragged to reorder or into
//! another folder — plain forms do the same without script), a new
//! request, a request's page (details, status, label, thread, installer
//! and visit, checklist, photos, the hand-over to a GPON registration),
//! the board's settings (caps of visits a day, checklist templates), and
//! the installer's day for a phone.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::request::{allowed, Colour, RequestStatus};
use ispmon_projections::requests::{BoardQuery, FolderSel, RequestView};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, query, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::requests::{self, Drop, RequestForm, VisitForm};
use crate::state::AppState;

const PER_PAGE: usize = 100;

pub fn status_label(l: Locale, s: &str) -> &'static str {
    match s {
        "open" => t(l, "requests.s_open"),
        "awaiting_reply" => t(l, "requests.s_awaiting_reply"),
        "scheduled" => t(l, "requests.s_scheduled"),
        "in_progress" => t(l, "requests.s_in_progress"),
        "done" => t(l, "requests.s_done"),
        "closed" => t(l, "requests.s_closed"),
        "active" => t(l, "requests.active"),
        _ => t(l, "requests.any"),
    }
}

fn label_badge(v: &RequestView) -> Markup {
    html! { span.label style=(format!("background:{}", v.colour)) { (v.label) } }
}

fn visit_line(v: &RequestView) -> Option<String> {
    Some(format!(
        "{} {}–{}",
        v.visit_date.as_deref()?,
        v.visit_from.as_deref()?,
        v.visit_to.as_deref()?
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardParams {
    folder: String,
    status: String,
    page: usize,
}

/// `GET /requests?folder=all|none|ID&status=active|any|STATUS&page=`
pub async fn board(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<BoardParams>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let status = if p.status.is_empty() {
        "active".to_string()
    } else {
        p.status.clone()
    };
    if status != "active" && status != "any" && RequestStatus::parse(&status).is_none() {
        return Err(AppError::BadRequest(format!("no status “{status}”")));
    }
    let sel = requests::folder_sel(&p.folder);
    let folder_key = match &sel {
        FolderSel::All => "all".to_string(),
        FolderSel::Unfiled => "none".to_string(),
        FolderSel::One(f) => f.clone(),
    };
    let tree = requests::folders(&st).await?;
    let (folders, unfiled) = &*tree;
    if let FolderSel::One(f) = &sel {
        if !folders.iter().any(|x| &x.id == f) {
            return Err(AppError::NotFound);
        }
    }
    let page = requests::board(
        &st,
        BoardQuery {
            folder: sel.clone(),
            status: status.clone(),
            limit: PER_PAGE + 1,
            offset: p.page * PER_PAGE,
            ..BoardQuery::default()
        },
    )
    .await?;
    let (rows, total) = &*page;
    let more = rows.len() > PER_PAGE;
    let rows = &rows[..rows.len().min(PER_PAGE)];
    let desk = requests::is_desk(&ctx);
    let link = |folder: &str, status: &str, page: usize| {
        let page = page.to_string();
        let mut q = vec![("folder", folder), ("status", status)];
        if page != "0" {
            q.push(("page", &page));
        }
        format!("/requests{}", query(&q))
    };
    // Reordering by hand makes sense within one folder, in its whole order.
    let sortable = desk && !matches!(sel, FolderSel::All);
    let drop_folder = match &sel {
        FolderSel::One(f) => f.as_str(),
        _ => "",
    };
    Ok(respond(
        &ctx,
        t(l, "requests.title"),
        html! {
            section #requests data-folder=(drop_folder) {
                h1 { (t(l, "requests.title")) }
                div.actions {
                    @if desk { a.button #new-request href=(format!("/requests/new{}", query(&[("folder", drop_folder)]))) { (t(l, "requests.new")) } }
                    a href="/visits" { (t(l, "requests.my_day")) }
                    @if desk { a href="/requests/settings" { (t(l, "requests.settings")) } }
                }
                div.board {
                    aside.folders #request-folders {
                        ul {
                            li class=[matches!(sel, FolderSel::All).then_some("current")] { a href=(link("all", &status, 0)) { (t(l, "requests.all_folders")) } }
                            li.drop.current[matches!(sel, FolderSel::Unfiled)] data-drop-folder="" {
                                a href=(link("none", &status, 0)) { (t(l, "requests.unfiled")) } " " span.count { (unfiled) }
                            }
                            @for f in folders {
                                li.drop.current[folder_key == f.id] data-drop-folder=(f.id) data-folder-name=(f.name) {
                                    a href=(link(&f.id, &status, 0)) { (f.name) } " " span.count { (f.active) }
                                }
                            }
                        }
                        @if desk {
                            form #folder-form method="post" action="/requests/folders" {
                                (hidden_csrf(&ctx.csrf))
                                input type="text" name="name" placeholder=(t(l, "requests.folder_name")) maxlength="100" required;
                                button.small type="submit" { (t(l, "requests.add_folder")) }
                            }
                            @if let FolderSel::One(f) = &sel {
                                p.small { a href=(format!("/requests/folders/{f}")) { (t(l, "requests.folder_manage")) } }
                            }
                        }
                    }
                    div.board-main {
                        nav.tabs {
                            @for s in ["active", "open", "awaiting_reply", "scheduled", "in_progress", "done", "closed", "any"] {
                                a class=[(s == status).then_some("current")] href=(link(&folder_key, s, 0)) { (status_label(l, s)) }
                            }
                        }
                        p.small.muted #request-count { (total) " " (t(l, "requests.found")) @if sortable { " · " (t(l, "requests.drag_hint")) } }
                        @if rows.is_empty() { p.muted.empty #requests-empty { (t(l, "requests.none")) } }
                        ol.request-cards #request-list data-sortable=[sortable.then_some("1")] {
                            @for v in rows { (card(l, v, sortable)) }
                        }
                        nav.pager {
                            @if p.page > 0 { a rel="prev" href=(link(&folder_key, &status, p.page - 1)) { "← " (t(l, "common.prev")) } }
                            @if more { a rel="next" href=(link(&folder_key, &status, p.page + 1)) { (t(l, "common.next")) " →" } }
                        }
                    }
                }
                p #move-error.error hidden {}
                @if desk { script src="/static/board.js" defer {} }
            }
        },
    ))
}

fn card(l: Locale, v: &RequestView, draggable: bool) -> Markup {
    html! {
        li.request-card data-id=(v.id) data-status=(v.status) draggable=[draggable.then_some("true")] {
            div { (label_badge(v)) " " span.small.muted { (status_label(l, &v.status)) } }
            a.name href=(format!("/requests/{}", v.id)) { (v.name) }
            div.small { (v.address) }
            div.small.muted {
                @if let Some(i) = &v.installer { (i) " · " }
                @if let Some(line) = visit_line(v) { (line) " · " }
                @if v.items > 0 { "☑ " (v.checked) "/" (v.items) " · " }
                "✉ " (v.messages)
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    subscriber_id: String,
    folder: String,
}

fn form_page(
    ctx: &Ctx,
    f: &RequestForm,
    errors: &FormErrors,
    folders: &[(String, String)],
) -> Markup {
    let l = ctx.locale;
    html! {
        section #request-new {
            p.small { a href="/requests" { "← " (t(l, "requests.title")) } }
            h1 { (t(l, "requests.new")) }
            @if let Some(m) = errors.get("form") { p.error { (m) } }
            form.card #request-form method="post" action="/requests" {
                (hidden_csrf(&ctx.csrf))
                input type="hidden" name="subscriber_id" value=(f.subscriber_id);
                (detail_fields(l, f, errors))
                label { (t(l, "requests.folder")) select name="folder" {
                    option value="" { (t(l, "requests.unfiled")) }
                    @for (id, name) in folders { option value=(id) selected[*id == f.folder] { (name) } }
                } (errors.show("folder")) }
                label { (t(l, "requests.first_message")) textarea name="message" rows="3" maxlength="8000" { (f.message) } (errors.show("body")) }
                button type="submit" #request-submit { (t(l, "requests.open")) }
            }
        }
    }
}

fn detail_fields(l: Locale, f: &RequestForm, errors: &FormErrors) -> Markup {
    html! {
        div.grid {
            label { (t(l, "requests.name")) input type="text" name="name" value=(f.name) maxlength="200" required; (errors.show("name")) }
            label { (t(l, "requests.address")) input type="text" name="address" value=(f.address) maxlength="300"; (errors.show("address")) }
            label { (t(l, "requests.phone")) input type="tel" name="phone" value=(f.phone) placeholder="+7 916 123-45-67"; (errors.show("phone")) }
            label { (t(l, "requests.login")) input type="text" name="login" value=(f.login) maxlength="64"; (errors.show("login")) }
            label { (t(l, "requests.area")) input type="text" name="area" value=(f.area) maxlength="100"; (errors.show("area")) }
        }
        details open[!f.sn.is_empty() || !f.port.is_empty()] {
            summary { (t(l, "requests.gpon")) }
            div.grid {
                label { "SN" input type="text" name="sn" value=(f.sn) placeholder="48575443CCB59A20" maxlength="20"; (errors.show("sn")) }
                label { "OLT" input type="text" name="olt_id" value=(f.olt_id) maxlength="64"; (errors.show("olt_id")) }
                label { (t(l, "requests.port")) input type="text" name="port" value=(f.port) placeholder="0/1/3" maxlength="32"; (errors.show("port")) }
                label { (t(l, "requests.profile")) input type="text" name="profile" value=(f.profile) maxlength="64"; (errors.show("profile")) }
            }
        }
    }
}

async fn folder_names(st: &AppState) -> AppResult<Vec<(String, String)>> {
    let tree = requests::folders(st).await?;
    Ok(tree
        .0
        .iter()
        .map(|f| (f.id.clone(), f.name.clone()))
        .collect())
}

/// `GET /requests/new?subscriber_id=&folder=`: pre-filled from the
/// subscriber's card when one is given.
pub async fn new(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<NewParams>,
) -> AppResult<Markup> {
    let mut f = RequestForm {
        folder: p.folder,
        ..RequestForm::default()
    };
    if !p.subscriber_id.trim().is_empty() {
        if let Some(card) = crate::subscribers::card(&st, p.subscriber_id.trim()).await? {
            f.subscriber_id = card.row.billing_id.clone();
            f.login = card.row.login.clone();
            f.name = card.row.display.clone();
            f.address = card.row.address.clone().unwrap_or_default();
            f.phone = card
                .row
                .phones
                .as_deref()
                .and_then(|p| ispmon_events::phone::find_phones(p).into_iter().next())
                .unwrap_or_default();
        }
    }
    let folders = folder_names(&st).await?;
    Ok(respond(
        &ctx,
        t(ctx.locale, "requests.new"),
        form_page(&ctx, &f, &FormErrors::default(), &folders),
    ))
}

/// `POST /requests`
pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RequestForm>,
) -> AppResult<Response> {
    match requests::open(&st, &f, &ctx.meta()).await {
        Ok(id) => Ok(Redirect::to(&format!("/requests/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let folders = folder_names(&st).await?;
            let body = form_page(&ctx, &f, &errors, &folders);
            Ok((
                errors.status(),
                respond(&ctx, t(ctx.locale, "requests.new"), body),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn request_page(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: &FormErrors,
    warning: Option<&str>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    // One read for all of the page (each read is a hop to a reader
    // thread); the folders are shared with the board.
    let rid = id.to_string();
    let page = st
        .core
        .views
        .read(move |c| {
            use ispmon_projections::requests as q;
            let (Some(v), Some(r)) = (q::get(c, &rid)?, q::state(c, &rid)?) else {
                return Ok(None);
            };
            let job = match &v.registration_job {
                Some(j) => ispmon_projections::gpon::job_by_id(c, j)?,
                None => None,
            };
            Ok(Some((
                v,
                r,
                job,
                q::messages(c, &rid)?,
                q::attachments(c, &rid)?,
                q::history_of(c, &rid)?,
                q::templates(c)?,
            )))
        })
        .await?;
    let (v, r, job, messages, attachments, history, templates) = page.ok_or(AppError::NotFound)?;
    if !requests::may_read(ctx, &v) {
        return Err(AppError::Forbidden);
    }
    let tree = requests::folders(st).await?;
    let folders = &tree.0;
    let work = requests::may_work(ctx, &v);
    let desk = requests::is_desk(ctx);
    let current = v.status();
    let next: Vec<RequestStatus> = RequestStatus::ALL
        .iter()
        .copied()
        .filter(|to| current.is_some_and(|c| allowed(c, *to)))
        .collect();
    let offer = r.registration_offer();
    let form = RequestForm::of(&v, &r);
    let back = if desk {
        match &v.folder {
            Some(f) => format!("/requests{}", query(&[("folder", f.as_str())])),
            None => "/requests".to_string(),
        }
    } else {
        "/visits".to_string()
    };
    let post = |what: &str| format!("/requests/{}/{what}", v.id);
    Ok(respond(
        ctx,
        &v.name,
        html! {
            section #request data-id=(v.id) data-status=(v.status) {
                p.small { a href=(back) { "← " (if desk { t(l, "requests.title") } else { t(l, "requests.my_day") }) } }
                h1 { (v.name) " " (label_badge(&v)) }
                @if let Some(m) = errors.get("form") { p.error #request-error { (m) } }
                @if let Some(w) = warning { p.warning #cap-warning role="alert" { (w) } }
                div.cards {
                    article.card #request-details {
                        dl.facts {
                            dt { (t(l, "requests.status")) } dd #request-status { (status_label(l, &v.status)) }
                            dt { (t(l, "requests.address")) } dd { (v.address) " "
                                @if !v.address.is_empty() { a.small href=(format!("https://yandex.ru/maps/?text={}", urlencoding::encode(&v.address))) target="_blank" rel="noopener" { (t(l, "requests.map")) } } }
                            dt { (t(l, "requests.phone")) } dd.mono { @match &v.phone { Some(p) => a href=(format!("tel:{p}")) { (p) }, None => "—" } }
                            dt { (t(l, "requests.subscriber")) } dd #request-subscriber {
                                @match (&v.subscriber_id, &v.login) {
                                    (Some(s), login) => a href=(format!("/subscribers/{}", urlencoding::encode(s))) { (login.as_deref().unwrap_or(s)) },
                                    (None, Some(login)) => (login),
                                    _ => "—",
                                }
                            }
                            dt { (t(l, "requests.area")) } dd { (v.area.as_deref().unwrap_or("—")) }
                            dt { (t(l, "requests.installer")) } dd #request-installer { (v.installer.as_deref().unwrap_or("—")) }
                            dt { (t(l, "requests.visit")) } dd #request-visit { (visit_line(&v).unwrap_or_else(|| "—".into())) }
                            dt { (t(l, "requests.opened")) } dd { (when(&v.opened_at)) " · " (v.opened_by) }
                        }
                        @if work && !next.is_empty() {
                            form.inline #status-form method="post" action=(post("status")) {
                                (hidden_csrf(&ctx.csrf))
                                select name="status" { @for s in &next { option value=(s.as_str()) { (status_label(l, s.as_str())) } } }
                                input type="text" name="note" placeholder=(t(l, "requests.note")) maxlength="500";
                                button.small type="submit" { (t(l, "requests.change_status")) }
                                (errors.show("status"))
                            }
                        }
                        @if v.status == "done" && work {
                            @if let Some(o) = &offer {
                                p #handover { a.button href=(format!("/gpon/register{}", query(&[
                                    ("olt_id", o.olt_id.as_deref().unwrap_or("")), ("port", o.port.as_deref().unwrap_or("")),
                                    ("sn", o.sn.as_deref().unwrap_or("")), ("name", o.name.as_str()),
                                    ("subscriber_id", v.subscriber_id.as_deref().unwrap_or("")), ("request_id", v.id.as_str()), ("from", "manual")]))) { (t(l, "requests.register_ont")) } }
                            }
                        }
                        @if let Some(j) = &v.registration_job {
                            p #request-registration { (t(l, "requests.registration")) ": " a href=(format!("/gpon/jobs/{j}")) { (j) }
                                @if let Some(job) = &job { " · " (job.state) } }
                        }
                    }
                    @if desk {
                        aside.card #request-manage {
                            form #label-form method="post" action=(post("label")) {
                                (hidden_csrf(&ctx.csrf))
                                label { (t(l, "requests.label")) input type="text" name="text" value=(v.label) maxlength="50"; (errors.show("label")) }
                                div.palette { @for c in Colour::ALL {
                                    label.swatch style=(format!("background:{}", c.as_str())) title=(c.as_str()) { input type="radio" name="colour" value=(c.as_str()) checked[c.as_str() == v.colour]; }
                                } }
                                (errors.show("colour"))
                                button.small type="submit" { (t(l, "requests.set_label")) }
                            }
                            form #move-form method="post" action=(post("move")) {
                                (hidden_csrf(&ctx.csrf))
                                label { (t(l, "requests.folder")) select name="folder" {
                                    option value="" { (t(l, "requests.unfiled")) }
                                    @for f in folders { option value=(f.id) selected[Some(&f.id) == v.folder.as_ref()] { (f.name) } }
                                } }
                                label { (t(l, "requests.position")) input type="number" name="position" min="0" value="0"; }
                                (errors.show("folder")) (errors.show("after"))
                                button.small type="submit" { (t(l, "requests.move")) }
                            }
                            form #installer-form method="post" action=(post("installer")) {
                                (hidden_csrf(&ctx.csrf))
                                label { (t(l, "requests.installer")) input type="text" name="installer" value=(v.installer.as_deref().unwrap_or("")) maxlength="64"; (errors.show("installer")) }
                                button.small type="submit" { (t(l, "requests.assign")) }
                            }
                            form #visit-form method="post" action=(post("visit")) {
                                (hidden_csrf(&ctx.csrf))
                                div.grid {
                                    label { (t(l, "requests.day")) input type="date" name="date" value=(v.visit_date.as_deref().unwrap_or("")); (errors.show("date")) }
                                    label { (t(l, "requests.from")) input type="time" name="from" value=(v.visit_from.as_deref().unwrap_or("")); (errors.show("from")) }
                                    label { (t(l, "requests.to")) input type="time" name="to" value=(v.visit_to.as_deref().unwrap_or("")); (errors.show("to")) }
                                }
                                button.small type="submit" { (t(l, "requests.schedule")) }
                            }
                        }
                    }
                }
                h2 { (t(l, "requests.checklist")) }
                @if r.checklist.is_empty() { p.muted { "—" } }
                ul.checklist #request-checklist { @for (i, (item, done)) in r.checklist.iter().enumerate() {
                    li { @if work {
                        form.inline method="post" action=(post(&format!("checklist/{i}"))) {
                            (hidden_csrf(&ctx.csrf))
                            input type="hidden" name="done" value=(if *done { "0" } else { "1" });
                            button.check type="submit" aria-pressed=(done.to_string()) { (if *done { "☑" } else { "☐" }) } " " (item)
                        }
                    } @else { (if *done { "☑ " } else { "☐ " }) (item) } }
                } }
                @if desk {
                    form.inline #checklist-form method="post" action=(post("checklist")) {
                        (hidden_csrf(&ctx.csrf))
                        select name="template" { option value="" { (t(l, "requests.no_template")) } @for (name, _) in &templates { option value=(name) { (name) } } }
                        button.small type="submit" { (t(l, "requests.set_checklist")) }
                        (errors.show("template")) (errors.show("items"))
                    }
                }
                h2 { (t(l, "requests.thread")) }
                @if messages.is_empty() { p.muted { "—" } }
                ol.comments #request-messages { @for m in &messages {
                    li { span.small.muted { (when(&m.at)) " · " (m.author) } p { (m.body) } }
                } }
                @if work {
                    form #message-form method="post" action=(post("messages")) {
                        (hidden_csrf(&ctx.csrf))
                        label { (t(l, "requests.message")) textarea name="body" rows="3" required maxlength="8000" {} (errors.show("body")) }
                        button.small type="submit" { (t(l, "requests.send")) }
                    }
                }
                h2 { (t(l, "requests.photos")) }
                @if attachments.is_empty() { p.muted { "—" } }
                ul #request-attachments { @for a in &attachments {
                    li { a href=(format!("/requests/{}/attachments/{}", v.id, a.blob)) { (a.name) } span.small.muted { " · " (format!("{:.1} KB", a.size as f64 / 1024.0)) " · " (when(&a.at)) } }
                } }
                @if work {
                    form #attach-form method="post" enctype="multipart/form-data" action=(format!("/requests/{}/attachments?_csrf={}", v.id, ctx.csrf)) {
                        label { (t(l, "requests.attach_photo")) input type="file" name="file" accept="image/*,application/pdf" capture="environment" required; (errors.show("file")) }
                        button.small type="submit" { (t(l, "requests.attach")) }
                    }
                }
                @if desk {
                    details #request-edit {
                        summary { (t(l, "requests.edit")) }
                        form method="post" action=(format!("/requests/{}", v.id)) {
                            (hidden_csrf(&ctx.csrf))
                            input type="hidden" name="subscriber_id" value=(form.subscriber_id);
                            (detail_fields(l, &form, errors))
                            button.small type="submit" { (t(l, "requests.save")) }
                        }
                    }
                }
                h2 { (t(l, "requests.history")) }
                ul.small #request-history { @for (at, by, what) in &history { li { (when(at)) " · " (by) " · " (what) } } }
            }
        },
    ))
}

/// `GET /requests/{id}`
pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    request_page(&st, &ctx, &id, &FormErrors::default(), None).await
}

/// After a change: back to the page, or the page with the errors.
async fn after(st: &AppState, ctx: &Ctx, id: &str, r: AppResult<()>) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/requests/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = request_page(st, ctx, id, &errors, None).await?;
            Ok((errors.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /requests/{id}`: the details.
pub async fn edit(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RequestForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::edit(&st, &id, &f, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    note: String,
}

/// `POST /requests/{id}/status`
pub async fn status(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::change_status(&st, &id, &f.status, &f.note, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MessageForm {
    body: String,
}

/// `POST /requests/{id}/messages`
pub async fn message(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::message(&st, &id, &f.body, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LabelForm {
    text: String,
    colour: String,
}

/// `POST /requests/{id}/label`
pub async fn label(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LabelForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::label(&st, &id, &f.text, &f.colour, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    folder: String,
    after: String,
    position: String,
}

/// `POST /requests/{id}/move` (`folder`, and `after` an id or `position`):
/// from the board's script (htmx header: 204, or 422 with the message) or
/// from the request's form.
pub async fn move_request(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let position = match f.position.trim() {
        "" => None,
        p => match p.parse::<usize>() {
            Ok(p) => Some(p),
            Err(_) => {
                let mut e = FormErrors::default();
                e.add("after", "a position is a whole number, 0 first");
                return after(&st, &ctx, &id, Err(AppError::Invalid(e))).await;
            }
        },
    };
    let drop = Drop {
        folder: Some(f.folder),
        after: Some(f.after),
        position,
    };
    let r = requests::move_to(&st, &id, drop, &ctx.meta()).await;
    if ctx.htmx {
        return Ok(match r {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(AppError::Invalid(e)) => {
                let msg: Vec<String> = e.iter().map(|(_, m)| m.to_string()).collect();
                (StatusCode::UNPROCESSABLE_ENTITY, msg.join("; ")).into_response()
            }
            Err(e) => return Err(e),
        });
    }
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InstallerForm {
    /// Present (empty: nobody); a form without it is refused.
    installer: Option<String>,
}

/// `POST /requests/{id}/installer`
pub async fn installer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<InstallerForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let Some(installer) = f.installer else {
        let mut e = FormErrors::default();
        e.add("installer", "choose an installer, or none");
        return after(&st, &ctx, &id, Err(AppError::Invalid(e))).await;
    };
    let r = requests::assign(&st, &id, &installer, &ctx.meta()).await;
    match r {
        Ok(()) => cap_checked(&st, &ctx, &id).await,
        r => after(&st, &ctx, &id, r).await,
    }
}

/// The page, warning when the installer's day is over its cap.
async fn cap_checked(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<Response> {
    match requests::over_cap(st, id).await? {
        None => Ok(Redirect::to(&format!("/requests/{id}")).into_response()),
        Some(w) => Ok(request_page(st, ctx, id, &FormErrors::default(), Some(&w))
            .await?
            .into_response()),
    }
}

/// `POST /requests/{id}/visit` (`date`, `from`, `to`; all empty cancels).
pub async fn visit(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<VisitForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    match requests::schedule(&st, &id, &f, &ctx.meta()).await {
        Ok(_) => cap_checked(&st, &ctx, &id).await,
        Err(e) => after(&st, &ctx, &id, Err(e)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChecklistForm {
    template: String,
    items: String,
}

/// `POST /requests/{id}/checklist` (`template`, or `items` one per line).
pub async fn checklist(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ChecklistForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::set_checklist(&st, &id, &f.template, &f.items, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckForm {
    done: String,
}

/// `POST /requests/{id}/checklist/{n}` (`done` 1 or 0).
pub async fn check(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, n)): Path<(String, usize)>,
    Form(f): Form<CheckForm>,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = requests::check_item(&st, &id, n, f.done == "1", &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

/// `POST /requests/{id}/attachments` (multipart `file`, the token in the URL).
pub async fn attach(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    requests::workable(&st, &ctx, &id).await?;
    let r = match super::tickets::file_field(&mut mp).await {
        Ok((name, bytes)) => requests::attach(&st, &id, &name, bytes, &ctx.meta()).await,
        Err(e) => Err(e),
    };
    after(&st, &ctx, &id, r).await
}

/// `GET /requests/{id}/attachments/{blob}`
pub async fn attachment(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, blob)): Path<(String, String)>,
) -> AppResult<Response> {
    let (v, _) = requests::found(&st, &id).await?;
    if !requests::may_read(&ctx, &v) {
        return Err(AppError::Forbidden);
    }
    let found = st
        .core
        .views
        .read(move |c| ispmon_projections::requests::attachments(c, &id))
        .await?
        .into_iter()
        .find(|a| a.blob == blob)
        .ok_or(AppError::NotFound)?;
    super::tickets::serve_attachment(&st, &found).await
}
