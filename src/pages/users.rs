//! Admin: the user list, creating users, editing one user.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::user::UserCommand;
use ispmon_events::values::{Locale, Login, NewPassword, Role};
use ispmon_projections::users::{self, UserRow, UserSort};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, notice, pager, query, when, FormErrors};
use super::layout::respond;
use crate::auth::{password, Ctx};
use crate::error::{AppError, AppResult};
use crate::i18n::{role_name, t};
use crate::state::AppState;

const PER_PAGE: usize = 50;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    created: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    password: String,
}

fn role_select(l: Locale, name: &str, selected: &str) -> Markup {
    html! {
        select name=(name) {
            @for r in Role::ALL {
                option value=(r.as_str()) selected[r.as_str() == selected] { (role_name(l, r.as_str())) }
            }
        }
    }
}

fn locale_select(selected: &str) -> Markup {
    html! {
        select name="locale" {
            @for loc in [Locale::En, Locale::Ru] {
                option value=(loc.as_str()) selected[loc.as_str() == selected] { (loc.as_str()) }
            }
        }
    }
}

fn new_user_form(ctx: &Ctx, f: &NewUserForm, errors: &FormErrors) -> Markup {
    let l = ctx.locale;
    html! {
        details.card open[!errors.is_empty()] {
            summary { (t(l, "users.new")) }
            form #new-user method="post" action="/admin/users"
                hx-post="/admin/users" hx-target="#users-panel" hx-swap="outerHTML" {
                (hidden_csrf(&ctx.csrf))
                div.grid {
                    label { (t(l, "users.login"))
                        input type="text" name="login" value=(f.login) required maxlength="32";
                        (errors.show("login"))
                    }
                    label { (t(l, "users.role")) (role_select(l, "role", if f.role.is_empty() { "noc" } else { &f.role })) (errors.show("role")) }
                    label { (t(l, "users.locale")) (locale_select(&f.locale)) (errors.show("locale")) }
                    label { (t(l, "login.password"))
                        input type="password" name="password" autocomplete="new-password" required minlength="8";
                        (errors.show("password"))
                    }
                }
                button type="submit" { (t(l, "users.create")) }
            }
        }
    }
}

fn table(ctx: &Ctx, rows: &[UserRow], q: &ListQuery, total: usize, page: usize) -> Markup {
    let l = ctx.locale;
    let link = |sort: &str| format!("/admin/users{}", query(&[("q", &q.q), ("sort", sort)]));
    html! {
        form.filters method="get" action="/admin/users" {
            input type="search" name="q" value=(q.q) placeholder=(t(l, "users.search"))
                hx-get="/admin/users" hx-trigger="input changed delay:300ms, search" hx-target="#users-panel" hx-select="#users-panel" hx-swap="outerHTML";
            input type="hidden" name="sort" value=(q.sort);
        }
        @if rows.is_empty() {
            p.empty { (t(l, "users.empty")) }
        } @else {
            table.data #users-table {
                thead { tr {
                    th { a href=(link("login")) { (t(l, "users.login")) } }
                    th { a href=(link("role")) { (t(l, "users.role")) } }
                    th { (t(l, "users.state")) }
                    th { (t(l, "users.locale")) }
                    th { a href=(link("created")) { (t(l, "users.created")) } }
                    th { a href=(link("last_login")) { (t(l, "users.last_login")) } }
                } }
                tbody {
                    @for u in rows {
                        tr.disabled[u.disabled] data-login=(u.login) {
                            td { a href={ "/admin/users/" (u.user_id) } { (u.login) } }
                            td { (role_name(l, &u.role)) }
                            td { @if u.disabled { span.badge.bad { (t(l, "users.disabled")) } } @else { span.badge.good { (t(l, "users.active")) } } }
                            td { (u.locale) }
                            td { (when(&u.created_at)) }
                            td { @match &u.last_login_at { Some(x) => (when(x)), None => span.muted { (t(l, "users.never")) } } }
                        }
                    }
                }
            }
        }
        (pager(l, page, PER_PAGE, total, |p| format!("/admin/users{}", query(&[("q", &q.q), ("sort", &q.sort), ("page", &p.to_string())]))))
    }
}

async fn panel(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    form: &NewUserForm,
    errors: &FormErrors,
    message: Option<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let page = q.page.unwrap_or(1).max(1);
    let (search, sort) = (q.q.clone(), UserSort::parse(&q.sort));
    let (rows, total) = st
        .core
        .views
        .read(move |c| users::list(c, &search, sort, (page - 1) * PER_PAGE, PER_PAGE))
        .await?;
    Ok(html! {
        section #users-panel {
            h1 { (t(l, "users.title")) }
            @if let Some(m) = &message { (notice(m)) }
            (new_user_form(ctx, form, errors))
            (table(ctx, &rows, q, total, page))
        }
    })
}

pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Markup> {
    let message = (!q.created.is_empty())
        .then(|| format!("{} {}", t(ctx.locale, "users.created_ok"), q.created));
    let body = panel(
        &st,
        &ctx,
        &q,
        &NewUserForm::default(),
        &FormErrors::default(),
        message,
    )
    .await?;
    Ok(respond(&ctx, t(ctx.locale, "users.title"), body))
}

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewUserForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let login = Login::parse(&f.login)
        .map_err(|e| errors.add("login", e))
        .ok();
    let role = Role::parse(&f.role).map_err(|e| errors.add("role", e)).ok();
    let locale = if f.locale.is_empty() {
        Some(Locale::En)
    } else {
        Locale::parse(&f.locale)
            .map_err(|e| errors.add("locale", e))
            .ok()
    };
    let pw = NewPassword::parse(&f.password)
        .map_err(|e| errors.add("password", e))
        .ok();
    if let Some(login) = &login {
        let name = login.as_str().to_string();
        if st
            .core
            .views
            .read(move |c| users::by_login(c, &name))
            .await?
            .is_some()
        {
            errors.add("login", "this login is already taken");
        }
    }
    let mut created = None;
    if let (Some(login), Some(role), Some(locale), Some(pw), true) =
        (login, role, locale, pw, errors.is_empty())
    {
        let name = login.as_str().to_string();
        match st
            .core
            .register_user(login, role, locale, &pw, &ctx.meta())
            .await
        {
            Ok(_) => created = Some(name),
            Err(e) => errors = FormErrors::from_command(e, ctx.locale)?.at("login"),
        }
    }
    let q = ListQuery::default();
    match created {
        Some(name) if ctx.htmx => {
            let msg = format!("{} {name}", t(ctx.locale, "users.created_ok"));
            Ok(panel(
                &st,
                &ctx,
                &q,
                &NewUserForm::default(),
                &FormErrors::default(),
                Some(msg),
            )
            .await?
            .into_response())
        }
        Some(name) => Ok(Redirect::to(&format!(
            "/admin/users?created={}",
            urlencoding::encode(&name)
        ))
        .into_response()),
        None => {
            let body = panel(
                &st,
                &ctx,
                &q,
                &NewUserForm {
                    password: String::new(),
                    ..f
                },
                &errors,
                None,
            )
            .await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                respond(&ctx, t(ctx.locale, "users.title"), body),
            )
                .into_response())
        }
    }
}

async fn load(st: &AppState, id: &str) -> AppResult<UserRow> {
    let id = id.to_string();
    st.core
        .views
        .read(move |c| users::by_id(c, &id))
        .await?
        .ok_or(AppError::NotFound)
}

fn detail(ctx: &Ctx, u: &UserRow, errors: &FormErrors, message: Option<&str>) -> Markup {
    let l = ctx.locale;
    let base = format!("/admin/users/{}", u.user_id);
    let hx = |action: &str| format!("{base}/{action}");
    html! {
        section #user-panel {
            h1 { (t(l, "users.edit")) ": " (u.login) }
            @if let Some(m) = message { (notice(m)) }
            @if let Some(m) = errors.get("form") { div.error-box role="alert" { (m) } }
            dl.facts {
                dt { (t(l, "users.role")) } dd { (role_name(l, &u.role)) }
                dt { (t(l, "users.state")) } dd { @if u.disabled { (t(l, "users.disabled")) } @else { (t(l, "users.active")) } }
                dt { (t(l, "users.locale")) } dd { (u.locale) }
                dt { (t(l, "users.created")) } dd { (when(&u.created_at)) }
                dt { (t(l, "users.last_login")) } dd { @match &u.last_login_at { Some(x) => (when(x)), None => (t(l, "users.never")) } }
            }
            div.cards {
                form.card method="post" action=(hx("role")) hx-post=(hx("role")) hx-target="#user-panel" hx-swap="outerHTML" {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "users.change_role")) (role_select(l, "role", &u.role)) (errors.show("role")) }
                    button type="submit" { (t(l, "account.save")) }
                }
                form.card method="post" action=(hx("password")) hx-post=(hx("password")) hx-target="#user-panel" hx-swap="outerHTML" {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "users.new_password")) input type="password" name="password" autocomplete="new-password" required minlength="8"; (errors.show("password")) }
                    button type="submit" { (t(l, "users.reset_password")) }
                }
                @let action = if u.disabled { "enable" } else { "disable" };
                form.card method="post" action=(hx(action)) hx-post=(hx(action)) hx-target="#user-panel" hx-swap="outerHTML" {
                    (hidden_csrf(&ctx.csrf))
                    button.danger[!u.disabled] type="submit" { @if u.disabled { (t(l, "users.enable")) } @else { (t(l, "users.disable")) } }
                }
            }
            @if ctx.can_get("/audit/events") {
                p { a href={ "/audit/entity/User/" (u.user_id) } { (t(l, "users.history")) " →" } }
            }
        }
    }
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let u = load(&st, &id).await?;
    Ok(respond(
        &ctx,
        &u.login.clone(),
        detail(&ctx, &u, &FormErrors::default(), None),
    ))
}

/// Runs a command on one user and answers with the refreshed panel; aggregate
/// refusals and conflicts become messages in it.
async fn act(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    field: &'static str,
    cmd: Result<UserCommand, String>,
) -> AppResult<Response> {
    let before = load(st, id).await?;
    let mut errors = FormErrors::default();
    let mut status = StatusCode::OK;
    match cmd {
        Err(m) => {
            errors.add(field, m);
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok(cmd) => match st
            .core
            .commands
            .user(&before.user_id, cmd, &ctx.meta())
            .await
        {
            Ok(_) => {}
            Err(e) => {
                errors = FormErrors::from_command(e, ctx.locale)?.at(field);
                status = errors.status();
            }
        },
    }
    if !ctx.htmx && status == StatusCode::OK {
        return Ok(Redirect::to(&format!("/admin/users/{id}")).into_response());
    }
    let u = load(st, id).await?;
    let msg = errors.is_empty().then(|| t(ctx.locale, "users.saved"));
    Ok((
        status,
        respond(ctx, &u.login.clone(), detail(ctx, &u, &errors, msg)),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    let cmd = match Role::parse(&f.role) {
        Err(e) => Err(e.to_string()),
        Ok(role) if role != Role::Admin && last_admin(&st, &id).await? => {
            Err("this is the last active admin; make someone else admin first".to_string())
        }
        Ok(role) => Ok(UserCommand::ChangeRole { role }),
    };
    act(&st, &ctx, &id, "role", cmd).await
}

/// Whether user `id` is the only active admin left.
async fn last_admin(st: &AppState, id: &str) -> AppResult<bool> {
    let u = load(st, id).await?;
    if u.role != "admin" || u.disabled {
        return Ok(false);
    }
    Ok(st.core.views.read(users::active_admins).await? <= 1)
}

pub async fn disable(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let cmd = if ctx.actor()?.user_id == id {
        Err("you cannot disable yourself".to_string())
    } else if last_admin(&st, &id).await? {
        Err("this is the last active admin; make someone else admin first".to_string())
    } else {
        Ok(UserCommand::Disable)
    };
    act(&st, &ctx, &id, "form", cmd).await
}

pub async fn enable(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    act(&st, &ctx, &id, "form", Ok(UserCommand::Enable)).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let cmd = match NewPassword::parse(&f.password) {
        Err(e) => Err(e.to_string()),
        Ok(pw) => {
            let hash = password::hash(pw.expose().to_string())
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            let secret = st.core.secrets.put("password", hash.as_bytes()).await?;
            Ok(UserCommand::ResetPassword { password: secret })
        }
    };
    act(&st, &ctx, &id, "password", cmd).await
}
