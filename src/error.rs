//! `AppError`: every handler's error, turned into a response here. Internal
//! causes are logged once with the request id and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::commands::CommandError;
use crate::pages::components::{taken_message, FormErrors};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Someone else changed the thing first: 409, "reload".
    #[error("conflict")]
    Conflict,
    /// A refused input, each message for its field: 422. Pages with a form
    /// re-render it with [`FormErrors::from_command`] instead.
    #[error("invalid: {0:?}")]
    Invalid(FormErrors),
    /// A refusal made at the edge, one message: 422.
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
            CommandError::Rejected(r) => {
                let mut errors = FormErrors::default();
                for (field, msg) in r.field_errors() {
                    errors.add(field, msg);
                }
                AppError::Invalid(errors)
            }
            CommandError::Taken(t) => AppError::Rejected(taken_message(&t)),
            CommandError::Internal(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict => StatusCode::CONFLICT,
            AppError::Rejected(_) | AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let text = self.public_message();
        let body = maud::html! {
            div.error-box role="alert" { (text) }
        };
        (status, body).into_response()
    }
}

impl AppError {
    /// What the client is told (pages and the API alike); an internal cause
    /// is logged here, once, and never sent.
    pub fn public_message(&self) -> String {
        match self {
            AppError::BadRequest(m) | AppError::Rejected(m) | AppError::TooMany(m) => m.clone(),
            AppError::Invalid(errors) => errors
                .iter()
                .map(|(field, m)| {
                    if field == ispmon_events::FORM {
                        m.to_string()
                    } else {
                        format!("{field}: {m}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            AppError::NotFound => "Not found.".to_string(),
            AppError::Forbidden => "You are not allowed to do this.".to_string(),
            AppError::Conflict => {
                "Someone changed this at the same time — reload and try again.".to_string()
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "Something went wrong on our side; it has been logged.".to_string()
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_becomes_409_with_a_reload_message() {
        let resp = AppError::from(CommandError::Conflict).into_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let body = futures_body(resp);
        assert!(body.contains("reload and try again"), "{body}");
    }

    #[test]
    fn a_refused_command_keeps_its_type_and_its_fields_up_to_the_response() {
        use ispmon_events::icmp_settings::IcmpSettingsError;
        let e = CommandError::Rejected(crate::commands::Rejection::new(
            IcmpSettingsError::OutOfRange(vec![("timeout_s", "must be 1 to 10".into())]),
        ));
        match &e {
            CommandError::Rejected(r) => assert!(matches!(
                r.get::<IcmpSettingsError>(),
                Some(IcmpSettingsError::OutOfRange(_))
            )),
            other => panic!("{other:?}"),
        }
        let resp = AppError::from(e).into_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(futures_body(resp).contains("timeout_s: must be 1 to 10"));
        let unchanged = CommandError::Rejected(crate::commands::Rejection::new(
            IcmpSettingsError::Unchanged,
        ));
        assert!(unchanged.is_unchanged());
        assert!(!CommandError::Conflict.is_unchanged());
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let resp = AppError::Internal(anyhow::anyhow!("secret table xyz broke")).into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = futures_body(resp);
        assert!(!body.contains("xyz"));
        assert!(body.contains("it has been logged"));
    }

    fn futures_body(resp: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(resp.into_body(), 1 << 20))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
