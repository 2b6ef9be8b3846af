//! Login and logout.

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{Duration, Utc};
use ispmon_events::secrets::SecretRef;
use ispmon_events::user::UserCommand;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf};
use super::layout::page;
use crate::auth::password;
use crate::auth::tokens::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

fn cookie(st: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if st.settings.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

fn login_page(ctx: &Ctx, csrf: &str, next: &str, login: &str, error: Option<&str>) -> Markup {
    let l = ctx.locale;
    page(
        ctx,
        t(l, "login.title"),
        html! {
            section.login-box {
                h1 { (t(l, "login.title")) }
                @if let Some(e) = error { (error_box(e)) }
                form method="post" action="/login" {
                    (hidden_csrf(csrf))
                    input type="hidden" name="next" value=(next);
                    label { (t(l, "login.login"))
                        input type="text" name="login" value=(login) autocomplete="username" required autofocus;
                    }
                    label { (t(l, "login.password"))
                        input type="password" name="password" autocomplete="current-password" required;
                    }
                    button type="submit" { (t(l, "login.submit")) }
                }
            }
        },
    )
}

pub async fn form(State(st): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    // Double-submit CSRF for the anonymous form: a random cookie the form echoes.
    let csrf = if ctx.csrf.is_empty() {
        tokens::random_token()
    } else {
        ctx.csrf.clone()
    };
    (
        [(SET_COOKIE, cookie(&st, LOGIN_CSRF_COOKIE, &csrf, None))],
        login_page(&ctx, &csrf, safe_next(&q.next), "", None),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let login = f.login.trim().to_lowercase();
    let next = safe_next(&f.next).to_string();
    let refuse = |status: StatusCode, key: &'static str| -> Response {
        (
            status,
            login_page(&ctx, &ctx.csrf, &next, &login, Some(t(l, key))),
        )
            .into_response()
    };
    if let Some(wait) = st.throttle.blocked(&login, &ctx.client_ip) {
        tracing::warn!(
            login,
            ip = ctx.client_ip,
            wait_s = wait.as_secs(),
            "login throttled"
        );
        return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, "login.throttled"));
    }
    let lookup = login.clone();
    let user = st
        .core
        .views
        .read(move |c| ispmon_projections::users::by_login(c, &lookup))
        .await?;
    let verified = match &user {
        Some(u) if !u.disabled => {
            let phc = st
                .core
                .secrets
                .get(&SecretRef(u.password_ref.clone()))
                .await?
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            password::verify(f.password.clone(), phc).await
        }
        _ => {
            // Same work for unknown logins, so timing does not tell them apart.
            let _ = password::verify(f.password.clone(), DUMMY_HASH.to_string()).await;
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        st.throttle.failed(&login, &ctx.client_ip);
        tracing::warn!(login, ip = ctx.client_ip, "failed login");
        return Ok(refuse(StatusCode::UNAUTHORIZED, "login.failed"));
    };
    st.throttle.succeeded(&login);
    let token = tokens::random_token();
    let session_id = tokens::session_id(&token);
    let hours = st.settings.session_hours;
    let expires_at = (Utc::now() + Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let mut meta = ctx.meta();
    meta.actor_id = user.user_id.clone();
    meta.actor_login = user.login.clone();
    meta.role = user.role.clone();
    st.core
        .commands
        .user(
            &user.user_id,
            UserCommand::LogIn {
                session_id,
                ip: ctx.client_ip.clone(),
                expires_at,
            },
            &meta,
        )
        .await
        .map_err(AppError::from)?;
    tracing::info!(login = user.login, ip = ctx.client_ip, "logged in");
    Ok((
        AppendHeaders([
            (
                SET_COOKIE,
                cookie(&st, SESSION_COOKIE, &token, Some(hours * 3600)),
            ),
            (SET_COOKIE, cookie(&st, LOGIN_CSRF_COOKIE, "", Some(0))),
        ]),
        Redirect::to(&next),
    )
        .into_response())
}

/// A valid argon2 hash of a random string, for constant-time failures.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2yJ1oNZGvt3ZqvGfGVPOmcb9tZXE8m0tUeVmPJXfQ8Y";

pub async fn logout(State(st): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let actor = ctx.actor()?;
    if let Some(sid) = &actor.session_id {
        let r = st
            .core
            .commands
            .user(
                &actor.user_id,
                UserCommand::LogOut {
                    session_id: sid.clone(),
                },
                &ctx.meta(),
            )
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "logout of an already closed session");
        }
        st.memos.sessions.forget(sid);
    }
    Ok((
        [(SET_COOKIE, cookie(&st, SESSION_COOKIE, "", Some(0)))],
        Redirect::to("/login"),
    )
        .into_response())
}
