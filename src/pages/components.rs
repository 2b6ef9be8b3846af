//! Small pieces shared by pages: form errors, notices, times, pagers.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use ispmon_events::FORM;
use maud::{html, Markup};

use crate::commands::CommandError;
use crate::error::AppError;
use crate::i18n::{t, Locale};

/// Field errors of a submitted form (field name → message).
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    messages: BTreeMap<&'static str, String>,
    /// The form lost a race with another edit (409, not 422).
    conflict: bool,
}

impl FormErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.messages.entry(field).or_insert_with(|| msg.into());
    }
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.messages.get(field).map(|s| s.as_str())
    }
    /// Every (field, message), in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.messages.iter().map(|(f, m)| (*f, m.as_str()))
    }
    /// The message next to a field, if any.
    pub fn show(&self, field: &str) -> Markup {
        html! {
            @if let Some(m) = self.get(field) {
                span.field-error role="alert" { (m) }
            }
        }
    }

    /// A refused command as form errors, each message next to the field the
    /// aggregate named (a taken unique key next to its field); a conflict as
    /// the form-level "someone changed this" message, flagged so the answer
    /// is 409. Anything else is not the user's to fix: `Err`.
    pub fn from_command(e: CommandError, locale: Locale) -> Result<Self, AppError> {
        let mut errors = FormErrors::default();
        match e {
            CommandError::Rejected(r) => {
                for (field, msg) in r.field_errors() {
                    errors.add(field, msg);
                }
            }
            CommandError::Taken(t) => errors.add(taken_field(&t), taken_message(&t)),
            CommandError::Conflict => {
                errors.add(FORM, t(locale, "common.conflict"));
                errors.conflict = true;
            }
            CommandError::Internal(m) => return Err(AppError::Internal(anyhow::anyhow!(m))),
        }
        Ok(errors)
    }

    /// The same errors with a form-level message (not a conflict) shown
    /// next to `field` instead: for forms of one field.
    pub fn at(mut self, field: &'static str) -> Self {
        if !self.conflict {
            if let Some(m) = self.messages.remove(FORM) {
                self.messages.insert(field, m);
            }
        }
        self
    }

    /// The status a form answered with these errors gets: 409 for a lost
    /// race, 422 for anything the user can correct.
    pub fn status(&self) -> StatusCode {
        if self.conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// The form field of a unique key.
pub fn taken_field(t: &ispmon_events::store::ReservationTaken) -> &'static str {
    use ispmon_events::reservations::{DEVICE_NAME, HOST_IP, USER_LOGIN};
    match t.scope.as_str() {
        USER_LOGIN => "login",
        HOST_IP => "ip",
        DEVICE_NAME => "name",
        _ => FORM,
    }
}

/// What the user reads when a unique key is taken.
pub fn taken_message(t: &ispmon_events::store::ReservationTaken) -> String {
    use ispmon_events::reservations::{DEVICE_NAME, HOST_IP, USER_LOGIN};
    match t.scope.as_str() {
        USER_LOGIN => "this login is already taken".into(),
        HOST_IP => "a host with this address exists".into(),
        DEVICE_NAME => "a device with this name exists".into(),
        _ => format!("“{}” is already taken", t.key),
    }
}

pub fn notice(msg: &str) -> Markup {
    html! { div.notice role="status" { (msg) } }
}

pub fn error_box(msg: &str) -> Markup {
    html! { div.error-box role="alert" { (msg) } }
}

/// "2026-11-29T15:31:16.123456Z" → "2026-11-29 15:31:16".
pub fn when(ts: &str) -> String {
    let s = ts.replace('T', " ");
    s.get(..19).unwrap_or(&s).to_string()
}

pub fn hidden_csrf(csrf: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(csrf); }
}

/// Offset pager: "Previous · Page N of M · Next". `href` builds the link of
/// a page number (1-based).
pub fn pager(
    l: Locale,
    page: usize,
    per_page: usize,
    total: usize,
    href: impl Fn(usize) -> String,
) -> Markup {
    let pages = total.div_ceil(per_page).max(1);
    html! {
        nav.pager {
            @if page > 1 { a href=(href(page - 1)) rel="prev" { "← " (t(l, "common.prev")) } }
            span { (t(l, "common.page")) " " (page) " / " (pages) " · " (t(l, "common.total")) " " (total) }
            @if page < pages { a href=(href(page + 1)) rel="next" { (t(l, "common.next")) " →" } }
        }
    }
}

/// Builds a query string from pairs, skipping empty values.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A settings form read as its fields by name (each page checks and
/// converts the fields it knows; an unknown one is ignored).
#[derive(serde::Deserialize, Default)]
pub struct FieldsForm {
    #[serde(flatten)]
    pub fields: std::collections::HashMap<String, String>,
}
