//! The signed-in user's own page: language, password, personal API tokens.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::secrets::SecretRef;
use ispmon_events::user::UserCommand;
use ispmon_events::values::{Locale, NewPassword};
use ispmon_projections::api_tokens;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, notice, when, FormErrors};
use super::layout::respond;
use crate::auth::{password, tokens, Ctx};
use crate::commands::CommandError;
use crate::error::{AppError, AppResult};
use crate::i18n::{role_name, t};
use crate::state::AppState;

async fn panel(
    st: &AppState,
    ctx: &Ctx,
    errors: &FormErrors,
    message: Option<&str>,
    new_token: Option<&str>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let actor = ctx.actor()?;
    let uid = actor.user_id.clone();
    let tokens = st
        .core
        .views
        .read(move |c| api_tokens::for_user(c, &uid))
        .await?;
    Ok(html! {
        section #account-panel {
            h1 { (t(l, "account.title")) ": " (actor.login) " · " (role_name(l, actor.role.as_str())) }
            @if let Some(m) = message { (notice(m)) }
            @if let Some(m) = errors.get("form") { div.error-box role="alert" { (m) } }
            div.cards {
                form.card method="post" action="/account/locale" {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "account.language"))
                        select name="locale" {
                            @for loc in [Locale::En, Locale::Ru] {
                                option value=(loc.as_str()) selected[loc == l] { (loc.as_str()) }
                            }
                        }
                        (errors.show("locale"))
                    }
                    button type="submit" { (t(l, "account.save")) }
                }
                form.card method="post" action="/account/password" hx-post="/account/password" hx-target="#account-panel" hx-swap="outerHTML" {
                    (hidden_csrf(&ctx.csrf))
                    h2 { (t(l, "account.password")) }
                    label { (t(l, "account.current_password")) input type="password" name="current" autocomplete="current-password" required; (errors.show("current")) }
                    label { (t(l, "account.new_password")) input type="password" name="password" autocomplete="new-password" required minlength="8"; (errors.show("password")) }
                    button type="submit" { (t(l, "account.save")) }
                }
            }
            section.card #tokens {
                h2 { (t(l, "account.tokens")) }
                @if let Some(tok) = new_token {
                    div.notice role="status" { (t(l, "account.token_shown_once")) " " code #new-token { (tok) } }
                }
                form method="post" action="/account/tokens" hx-post="/account/tokens" hx-target="#account-panel" hx-swap="outerHTML" {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "account.token_name")) input type="text" name="name" required maxlength="64"; (errors.show("name")) }
                    button type="submit" { (t(l, "account.token_create")) }
                }
                @if tokens.is_empty() {
                    p.empty { (t(l, "account.no_tokens")) }
                } @else {
                    table.data {
                        tbody {
                            @for tk in &tokens {
                                tr {
                                    td { (tk.name) } td { code { "ispm_" (tk.token_id) "_…" } }
                                    td { (when(&tk.created_at)) }
                                    td {
                                        @if let Some(r) = &tk.revoked_at { span.muted { (t(l, "account.token_revoked")) " " (when(r)) } }
                                        @else {
                                            @let action = format!("/account/tokens/{}/revoke", tk.token_id);
                                            form.inline method="post" action=(action) hx-post=(action) hx-target="#account-panel" hx-swap="outerHTML" {
                                                (hidden_csrf(&ctx.csrf))
                                                button.small.danger type="submit" { (t(l, "account.token_revoke")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let body = panel(&st, &ctx, &FormErrors::default(), None, None).await?;
    Ok(respond(&ctx, t(ctx.locale, "account.title"), body))
}

/// Answers a form on this page: the panel (htmx) or a redirect back.
async fn answer(
    st: &AppState,
    ctx: &Ctx,
    result: Result<(), FormErrors>,
    new_token: Option<String>,
) -> AppResult<Response> {
    let (status, errors) = match result {
        Ok(()) => (StatusCode::OK, FormErrors::default()),
        Err(e) => (e.status(), e),
    };
    if !ctx.htmx && errors.is_empty() && new_token.is_none() {
        return Ok(Redirect::to("/account").into_response());
    }
    let msg = errors.is_empty().then(|| t(ctx.locale, "users.saved"));
    let body = panel(st, ctx, &errors, msg, new_token.as_deref()).await?;
    Ok((status, respond(ctx, t(ctx.locale, "account.title"), body)).into_response())
}

/// Maps a command outcome onto form errors under `field`.
fn outcome(
    r: Result<u64, CommandError>,
    field: &'static str,
    ctx: &Ctx,
) -> AppResult<Result<(), FormErrors>> {
    match r {
        Ok(_) => Ok(Ok(())),
        Err(e) => Ok(Err(FormErrors::from_command(e, ctx.locale)?.at(field))),
    }
}

#[derive(Deserialize)]
pub struct LocaleForm {
    #[serde(default)]
    locale: String,
}

pub async fn set_locale(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LocaleForm>,
) -> AppResult<Response> {
    let actor = ctx.actor()?;
    let Ok(locale) = Locale::parse(&f.locale) else {
        let mut e = FormErrors::default();
        e.add("locale", "unknown language (en, ru)");
        return answer(&st, &ctx, Err(e), None).await;
    };
    let r = st
        .core
        .commands
        .user(
            &actor.user_id,
            UserCommand::ChangeLocale { locale },
            &ctx.meta(),
        )
        .await;
    if let Err(e) = outcome(r, "locale", &ctx)? {
        return answer(&st, &ctx, Err(e), None).await;
    }
    // Back to the page the switch was pressed on (same site only).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/account".to_string());
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let actor = ctx.actor()?;
    let mut errors = FormErrors::default();
    let uid = actor.user_id.clone();
    let user = st
        .core
        .views
        .read(move |c| ispmon_projections::users::by_id(c, &uid))
        .await?
        .ok_or(AppError::NotFound)?;
    let phc = st
        .core
        .secrets
        .get(&SecretRef(user.password_ref))
        .await?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if !password::verify(f.current.clone(), phc).await {
        errors.add("current", t(ctx.locale, "account.wrong_password"));
    }
    let pw = NewPassword::parse(&f.password)
        .map_err(|e| errors.add("password", e))
        .ok();
    let (Some(pw), true) = (pw, errors.is_empty()) else {
        return answer(&st, &ctx, Err(errors), None).await;
    };
    let hash = password::hash(pw.expose().to_string())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let secret = st.core.secrets.put("password", hash.as_bytes()).await?;
    let r = st
        .core
        .commands
        .user(
            &actor.user_id,
            UserCommand::ChangePassword { password: secret },
            &ctx.meta(),
        )
        .await;
    let result = outcome(r, "password", &ctx)?;
    answer(&st, &ctx, result, None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let actor = ctx.actor()?;
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        let mut e = FormErrors::default();
        e.add("name", "a token name must be 1 to 64 characters");
        return answer(&st, &ctx, Err(e), None).await;
    }
    let (token_id, full, hash) = tokens::new_api_token();
    let sealed = st.core.secrets.put("api-token", hash.as_bytes()).await?;
    let r = st
        .core
        .commands
        .user(
            &actor.user_id,
            UserCommand::CreateApiToken {
                token_id,
                name: name.to_string(),
                hash: sealed,
            },
            &ctx.meta(),
        )
        .await;
    match outcome(r, "name", &ctx)? {
        Ok(()) => answer(&st, &ctx, Ok(()), Some(full)).await,
        Err(e) => answer(&st, &ctx, Err(e), None).await,
    }
}

pub async fn revoke_token(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let actor = ctx.actor()?;
    let r = st
        .core
        .commands
        .user(
            &actor.user_id,
            UserCommand::RevokeApiToken { token_id: id },
            &ctx.meta(),
        )
        .await;
    let result = outcome(r, "name", &ctx)?;
    answer(&st, &ctx, result, None).await
}
