//! The per-request context handlers receive: who is asking, in which
//! language, from where, under which request id.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ispmon_events::values::{Locale, Role};
use ispmon_events::{Metadata, Source};

use crate::error::AppError;

/// How the actor authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    ApiToken,
}

/// The signed-in user.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub login: String,
    pub role: Role,
    pub session_id: Option<String>,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub client_ip: String,
    pub locale: Locale,
    /// The request came from htmx (`HX-Request`): answer with a fragment.
    pub htmx: bool,
    /// The CSRF token forms of this page must carry.
    pub csrf: String,
    pub actor: Option<Actor>,
}

impl Ctx {
    pub fn actor(&self) -> Result<&Actor, AppError> {
        self.actor.as_ref().ok_or(AppError::Forbidden)
    }

    pub fn role(&self) -> Option<Role> {
        self.actor.as_ref().map(|a| a.role)
    }

    /// Metadata for the events of a command issued in this request.
    pub fn meta(&self) -> Metadata {
        let (actor_id, actor_login, role, source) = match &self.actor {
            Some(a) => (
                a.user_id.clone(),
                a.login.clone(),
                a.role.as_str().to_string(),
                if a.via == Via::ApiToken {
                    Source::Api
                } else {
                    Source::Web
                },
            ),
            None => (
                String::new(),
                String::new(),
                "anonymous".into(),
                Source::Web,
            ),
        };
        Metadata {
            actor_id,
            actor_login,
            role,
            request_id: self.request_id.clone(),
            correlation_id: self.request_id.clone(),
            source,
            client_ip: self.client_ip.clone(),
        }
    }

    /// Whether the current user may POST to a route pattern (for showing forms).
    pub fn can_post(&self, route: &str) -> bool {
        crate::routes::allowed("POST", route, self.role())
    }

    /// Whether the current user may `GET path` (for showing links).
    pub fn can_get(&self, path: &str) -> bool {
        crate::routes::allowed("GET", path, self.role())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("request context missing")))
    }
}
