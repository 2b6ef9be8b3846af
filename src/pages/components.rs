//! Small pieces shared by pages: form errors, notices, times, pagers.

use std::collections::BTreeMap;

use maud::{html, Markup};

use crate::i18n::{t, Locale};

/// Field errors of a submitted form (field name → message).
#[derive(Debug, Default, Clone)]
pub struct FormErrors(pub BTreeMap<&'static str, String>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| msg.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(|s| s.as_str())
    }
    /// The message next to a field, if any.
    pub fn show(&self, field: &str) -> Markup {
        html! {
            @if let Some(m) = self.get(field) {
                span.field-error role="alert" { (m) }
            }
        }
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
