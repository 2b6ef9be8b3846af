//! `AppError`: every handler's error, turned into a response here. Internal
//! causes are logged once with the request id and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::commands::CommandError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict")]
    Conflict,
    #[error("{0}")]
    Rejected(String),
    #[error("too many requests: {0}")]
    TooMany(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<ispmon_events::StoreError> for AppError {
    fn from(e: ispmon_events::StoreError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<CommandError> for AppError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Conflict => AppError::Conflict,
            CommandError::Rejected(m) => AppError::Rejected(m),
            CommandError::Taken(t) => AppError::Rejected(t.to_string()),
            CommandError::Internal(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Not found.".to_string()),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You are not allowed to do this.".to_string(),
            ),
            AppError::Conflict => (
                StatusCode::CONFLICT,
                "Someone changed this at the same time — reload and try again.".to_string(),
            ),
            AppError::Rejected(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            AppError::TooMany(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side; it has been logged.".to_string(),
                )
            }
        };
        let body = maud::html! {
            div.error-box role="alert" { (text) }
        };
        (status, body).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;
