//! The request board's own pages: a folder (rename; delete, asking where
//! its requests go), the board's settings (caps of visits a day per area,
//! checklist templates), and the installer's day — my visits in order on a
//! phone, each with its address and map link, checklist, thread, "done"
//! and a photo.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::values::Role;
use ispmon_projections::requests::{self as views, FolderView};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, query, FormErrors};
use super::layout::respond;
use super::requests::status_label;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::requests;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    name: String,
}

/// `POST /requests/folders` (`name`): a new folder, then its board.
pub async fn create_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    match requests::create_folder(&st, &f.name, &ctx.meta()).await {
        Ok(id) => Ok(
            Redirect::to(&format!("/requests{}", query(&[("folder", id.as_str())])))
                .into_response(),
        ),
        Err(AppError::Invalid(e)) => {
            Ok((e.status(), settings_body(&st, &ctx, &e).await?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn folder_of(st: &AppState, id: &str) -> AppResult<(FolderView, Vec<FolderView>)> {
    let all = requests::folders(st).await?.0.clone();
    let this = all
        .iter()
        .find(|f| f.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((this, all))
}

async fn folder_page(st: &AppState, ctx: &Ctx, id: &str, errors: &FormErrors) -> AppResult<Markup> {
    let l = ctx.locale;
    let (f, all) = folder_of(st, id).await?;
    let fid = f.id.clone();
    let inside = st
        .core
        .views
        .read(move |c| views::ids_in_folder(c, &fid))
        .await?
        .len();
    Ok(respond(
        ctx,
        &f.name,
        html! {
            section #request-folder data-id=(f.id) {
                p.small { a href=(format!("/requests{}", query(&[("folder", f.id.as_str())]))) { "← " (f.name) } }
                h1 { (t(l, "requests.folder")) ": " (f.name) }
                @if let Some(m) = errors.get("form") { p.error { (m) } }
                form.card #rename-form method="post" action=(format!("/requests/folders/{}", f.id)) {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "requests.folder_name")) input type="text" name="name" value=(f.name) maxlength="100" required; (errors.show("name")) }
                    button.small type="submit" { (t(l, "requests.rename")) }
                }
                form.card #delete-form method="post" action=(format!("/requests/folders/{}/delete", f.id)) {
                    (hidden_csrf(&ctx.csrf))
                    p { (t(l, "requests.delete_asks")) " (" (inside) ")" }
                    label { (t(l, "requests.move_to")) select name="move_to" {
                        option value="" { (t(l, "requests.unfiled")) }
                        @for o in all.iter().filter(|o| o.id != f.id) { option value=(o.id) { (o.name) } }
                    } (errors.show("move_to")) }
                    button.small.danger type="submit" { (t(l, "requests.delete_folder")) }
                }
            }
        },
    ))
}

/// `GET /requests/folders/{id}`
pub async fn folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    folder_page(&st, &ctx, &id, &FormErrors::default()).await
}

async fn folder_after(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    r: AppResult<String>,
) -> AppResult<Response> {
    match r {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(AppError::Invalid(e)) => {
            Ok((e.status(), folder_page(st, ctx, id, &e).await?).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /requests/folders/{id}` (`name`)
pub async fn rename_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    folder_of(&st, &id).await?;
    let r = requests::rename_folder(&st, &id, &f.name, &ctx.meta())
        .await
        .map(|()| format!("/requests{}", query(&[("folder", id.as_str())])));
    folder_after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    move_to: String,
}

/// `POST /requests/folders/{id}/delete` (`move_to`: a folder, empty for none)
pub async fn delete_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> AppResult<Response> {
    // Deleted already (a second submit): done.
    if folder_of(&st, &id).await.is_err() {
        return Ok(Redirect::to("/requests").into_response());
    }
    let move_to = (!f.move_to.trim().is_empty()).then(|| f.move_to.trim().to_string());
    let r = requests::delete_folder(&st, &id, move_to.clone(), &ctx.meta())
        .await
        .map(|_| match &move_to {
            Some(m) => format!("/requests{}", query(&[("folder", m.as_str())])),
            None => "/requests?folder=none".to_string(),
        });
    folder_after(&st, &ctx, &id, r).await
}

async fn settings_body(st: &AppState, ctx: &Ctx, errors: &FormErrors) -> AppResult<Markup> {
    let l = ctx.locale;
    let ((default, caps), templates) = st
        .core
        .views
        .read(|c| Ok((views::caps(c)?, views::templates(c)?)))
        .await?;
    Ok(respond(
        ctx,
        t(l, "requests.settings"),
        html! {
            section #request-settings {
                p.small { a href="/requests" { "← " (t(l, "requests.title")) } }
                h1 { (t(l, "requests.settings")) }
                @if let Some(m) = errors.get("form") { p.error #settings-error { (m) } }
                @if let Some(m) = errors.get("name") { p.error { (m) } }
                h2 { (t(l, "requests.caps")) }
                p.small.muted { (t(l, "requests.caps_hint")) }
                table.data #caps {
                    thead { tr { th { (t(l, "requests.area")) } th { (t(l, "requests.cap")) } } }
                    tbody {
                        tr { td { em { (t(l, "requests.default_cap")) } } td { (default.map(|c| c.to_string()).unwrap_or_else(|| "—".into())) } }
                        @for (area, cap) in &caps { tr { td { (area) } td { (cap) } } }
                    }
                }
                form.inline #cap-form method="post" action="/requests/settings/caps" {
                    (hidden_csrf(&ctx.csrf))
                    input type="text" name="area" placeholder=(t(l, "requests.area")) maxlength="100";
                    input type="text" name="cap" inputmode="numeric" placeholder=(t(l, "requests.cap")) size="5";
                    button.small type="submit" { (t(l, "requests.set_cap")) }
                    (errors.show("cap")) (errors.show("area"))
                }
                h2 { (t(l, "requests.templates")) }
                @if templates.is_empty() { p.muted { "—" } }
                @for (name, items) in &templates {
                    details.card { summary { (name) " (" (items.len()) ")" } ul { @for i in items { li { (i) } } } }
                }
                form #template-form method="post" action="/requests/settings/templates" {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "requests.template_name")) input type="text" name="name" maxlength="100" required; (errors.show("template")) }
                    label { (t(l, "requests.template_items")) textarea name="items" rows="5" {} (errors.show("items")) }
                    button.small type="submit" { (t(l, "requests.save_template")) }
                }
            }
        },
    ))
}

/// `GET /requests/settings`
pub async fn settings(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    settings_body(&st, &ctx, &FormErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CapForm {
    area: String,
    cap: String,
}

/// `POST /requests/settings/caps` (`area`, empty for the default; `cap`,
/// empty for none)
pub async fn set_cap(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CapForm>,
) -> AppResult<Response> {
    match requests::set_cap(&st, &f.area, &f.cap, &ctx.meta()).await {
        Ok(()) => Ok(Redirect::to("/requests/settings").into_response()),
        Err(AppError::Invalid(e)) => {
            Ok((e.status(), settings_body(&st, &ctx, &e).await?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateForm {
    name: String,
    items: String,
}

/// `POST /requests/settings/templates` (`name`, `items` one per line; none
/// removes it)
pub async fn set_template(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TemplateForm>,
) -> AppResult<Response> {
    match requests::set_template(&st, &f.name, &f.items, &ctx.meta()).await {
        Ok(()) => Ok(Redirect::to("/requests/settings").into_response()),
        Err(AppError::Invalid(e)) => {
            let e = if e.get("name").is_some() {
                e.at("template")
            } else {
                e
            };
            Ok((e.status(), settings_body(&st, &ctx, &e).await?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DayParams {
    date: String,
    installer: String,
}

/// `GET /visits?date=YYYY-MM-DD&installer=`: the installer's day (their
/// own for an installer; the desk may look at anyone's).
pub async fn day(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<DayParams>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let me = ctx.actor()?.login.clone();
    let who = if ctx.role() == Some(Role::Installer) || p.installer.trim().is_empty() {
        me.clone()
    } else {
        p.installer.trim().to_string()
    };
    let date = if p.date.trim().is_empty() {
        requests::today()
    } else {
        chrono::NaiveDate::parse_from_str(p.date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::BadRequest("a day is YYYY-MM-DD".into()))?
    };
    let visits = requests::installer_day(&st, &who, date).await?;
    let day_link = |d: chrono::NaiveDate| {
        let d = d.to_string();
        let mut q = vec![("date", d.as_str())];
        if who != me {
            q.push(("installer", who.as_str()));
        }
        format!("/visits{}", query(&q))
    };
    Ok(respond(
        &ctx,
        t(l, "requests.my_day"),
        html! {
            section #visits data-installer=(who) data-date=(date) {
                h1 { (t(l, "requests.my_day")) @if who != me { " · " (who) } }
                nav.pager {
                    a rel="prev" href=(day_link(date - chrono::Duration::days(1))) { "← " }
                    strong { (date) }
                    a rel="next" href=(day_link(date + chrono::Duration::days(1))) { " →" }
                }
                @if visits.is_empty() { p.muted.empty #visits-empty { (t(l, "requests.no_visits")) } }
                ol.visits #visit-list { @for v in visits.iter() {
                    li.card.visit data-id=(v.id) data-status=(v.status) {
                        div.visit-time { strong { (v.visit_from.as_deref().unwrap_or("")) "–" (v.visit_to.as_deref().unwrap_or("")) } " " span.small.muted { (status_label(l, &v.status)) } }
                        a.name href=(format!("/requests/{}", v.id)) { (v.name) }
                        p { (v.address) " "
                            @if !v.address.is_empty() { a.button.small href=(format!("https://yandex.ru/maps/?text={}", urlencoding::encode(&v.address))) target="_blank" rel="noopener" { (t(l, "requests.map")) } } }
                        @if let Some(p) = &v.phone { p { a href=(format!("tel:{p}")) { (p) } } }
                        p.small.muted { @if v.items > 0 { "☑ " (v.checked) "/" (v.items) " · " } "✉ " (v.messages) }
                        @if v.status != "done" && (who == me || requests::is_desk(&ctx)) {
                            form.inline method="post" action=(format!("/requests/{}/status", v.id)) {
                                (hidden_csrf(&ctx.csrf))
                                input type="hidden" name="status" value="done";
                                button.small.done type="submit" { (t(l, "requests.mark_done")) }
                            }
                        }
                    }
                } }
            }
        },
    ))
}
