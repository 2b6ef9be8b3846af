//! The guard: one middleware on every route that resolves the actor (session
//! cookie or API token), checks the route's permission and the CSRF token,
//! and hands handlers a [`Ctx`].

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ispmon_events::values::{Locale, Role};
use ispmon_projections::{api_tokens, sessions};

use super::context::{Actor, Ctx, Via};
use super::tokens::{self, CSRF_FIELD, CSRF_HEADER, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::observe::{RequestId, RouteLabel};
use crate::routes::{permission, Access};
use crate::state::AppState;

/// Largest form body the guard reads to find the CSRF field.
const MAX_FORM: usize = 2 * 1024 * 1024;

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address: the peer, or the last `X-Forwarded-For` hop when the
/// peer is the trusted proxy.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trusted: Option<IpAddr>) -> String {
    if let (Some(p), Some(t)) = (peer, trusted) {
        if p == t {
            if let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
            {
                return ip.to_string();
            }
        }
    }
    peer.map(|p| p.to_string()).unwrap_or_default()
}

pub async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let mut response = guarded(st, req, &method, &route, next).await;
    response.extensions_mut().insert(RouteLabel(route));
    response
}

async fn guarded(st: AppState, req: Request, method: &Method, route: &str, next: Next) -> Response {
    let headers = req.headers();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let client_ip = client_ip(headers, peer, st.settings.trusted_proxy);
    let htmx = headers.contains_key("hx-request");
    let is_api = route.starts_with("/api/");
    let mut locale = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default();

    let resolved = match resolve_actor(&st, headers).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let (actor, actor_locale) = match resolved {
        Some((a, l)) => (Some(a), Some(l)),
        None => (None, None),
    };
    if let Some(l) = actor_locale {
        locale = l;
    }

    let Some(access) = permission(method.as_str(), route) else {
        tracing::error!(%method, route, "route has no permission entry; denied");
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    };
    match (access, &actor) {
        (Access::Public, _) => {}
        (_, None) => {
            return if is_api {
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    axum::Json(serde_json::json!({"error": "authentication required"})),
                )
                    .into_response()
            } else {
                let next_path = req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", urlencoding::encode(next_path));
                if htmx {
                    (StatusCode::OK, [("hx-redirect", target)]).into_response()
                } else {
                    Redirect::to(&target).into_response()
                }
            };
        }
        (Access::AnyRole, Some(_)) => {}
        (Access::Roles(roles), Some(a)) => {
            if !roles.contains(&a.role) {
                return crate::error::AppError::Forbidden.into_response();
            }
        }
    }

    let csrf = match &actor {
        Some(a) => a
            .session_id
            .as_deref()
            .map(|sid| tokens::csrf_for(&st.csrf_key, sid))
            .unwrap_or_default(),
        None => cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or("").to_string(),
    };

    let mut req = req;
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let by_token = actor.as_ref().is_some_and(|a| a.via == Via::ApiToken);
    if unsafe_method && !by_token {
        let (ok, rebuilt) = check_csrf(req, &csrf).await;
        req = rebuilt;
        if !ok {
            tracing::warn!(route, "CSRF token missing or wrong");
            return (
                StatusCode::FORBIDDEN,
                maud::html! { div.error-box role="alert" { "The form has expired (CSRF check failed). Reload the page and try again." } },
            )
                .into_response();
        }
    }

    if let Some(sid) = actor.as_ref().and_then(|a| a.session_id.clone()) {
        st.touch(&sid);
    }
    req.extensions_mut().insert(Ctx {
        request_id,
        client_ip,
        locale,
        htmx,
        csrf,
        actor,
    });
    next.run(req).await
}

/// Finds the CSRF token in the header or the urlencoded form body; for
/// multipart uploads (whose body is not buffered here) in the query string of
/// the form's action.
async fn check_csrf(req: Request, expected: &str) -> (bool, Request) {
    if expected.is_empty() {
        return (false, req);
    }
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let ok = tokens::same(h, expected);
        return (ok, req);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        let ok = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == CSRF_FIELD)
            .is_some_and(|(_, v)| tokens::same(&v, expected));
        return (ok, req);
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return (false, req);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => return (false, Request::from_parts(parts, Body::empty())),
    };
    let ok = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .is_some_and(|(_, v)| tokens::same(&v, expected));
    (ok, Request::from_parts(parts, Body::from(bytes)))
}

async fn resolve_actor(
    st: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Actor, Locale)>, crate::error::AppError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
        return api_actor(st, token).await;
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let sid = tokens::session_id(token);
    // From memory while nothing has changed since the last read (a logout,
    // a disabled user or a changed role is an event, which moves the
    // version); expiry is checked on every request.
    let version = st.data_version();
    let s = match st.memos.sessions.get(&sid, version) {
        Some(s) => s,
        None => {
            let lookup = sid.clone();
            let row = st
                .core
                .views
                .read(move |c| sessions::get(c, &lookup))
                .await?;
            let Some(s) = row else { return Ok(None) };
            if s.ended_at.is_some() || s.user_disabled {
                return Ok(None);
            }
            st.memos.sessions.put(sid.clone(), version, s)
        }
    };
    let now = ispmon_events::store::now_rfc3339();
    if s.ended_at.is_some() || s.expires_at <= now || s.user_disabled {
        return Ok(None);
    }
    let Ok(role) = Role::parse(&s.role) else {
        return Ok(None);
    };
    Ok(Some((
        Actor {
            user_id: s.user_id.clone(),
            login: s.login.clone(),
            role,
            session_id: Some(sid),
            via: Via::Session,
        },
        Locale::parse(&s.locale).unwrap_or_default(),
    )))
}

async fn api_actor(
    st: &AppState,
    token: &str,
) -> Result<Option<(Actor, Locale)>, crate::error::AppError> {
    let Some((id, secret)) = tokens::parse_api_token(token) else {
        return Ok(None);
    };
    let id = id.to_string();
    let found = st
        .core
        .views
        .read(move |c| {
            let Some(t) = api_tokens::get(c, &id)? else {
                return Ok(None);
            };
            let u = ispmon_projections::users::by_id(c, &t.user_id)?;
            Ok(u.map(|u| (t, u)))
        })
        .await?;
    let Some((t, u)) = found else { return Ok(None) };
    if t.revoked_at.is_some() || u.disabled {
        return Ok(None);
    }
    let sealed = st
        .core
        .secrets
        .get(&ispmon_events::secrets::SecretRef(t.hash_ref.clone()))
        .await?;
    let Some(stored) = sealed else {
        return Ok(None);
    };
    let given = tokens::api_secret_hash(secret);
    if !tokens::same(&given, &String::from_utf8_lossy(&stored)) {
        return Ok(None);
    }
    let Ok(role) = Role::parse(&u.role) else {
        return Ok(None);
    };
    Ok(Some((
        Actor {
            user_id: u.user_id,
            login: u.login,
            role,
            session_id: None,
            via: Via::ApiToken,
        },
        Locale::parse(&u.locale).unwrap_or_default(),
    )))
}
