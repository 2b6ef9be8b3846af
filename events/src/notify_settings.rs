//! The notification settings aggregate (a singleton): where host state
//! transitions are sent — a webhook and a Telegram bot (API base URL, chat
//! id, and the bot token). The webhook URL and the bot token are sealed in
//! the secrets table and events carry only their references: hooks such as
//! Slack's or Teams' carry their own credential in the URL's path. Events
//! show the webhook's origin (scheme, host, port) so the audit says where
//! notifications went.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::secrets::SecretRef;

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "notify";

/// Where the Telegram Bot API lives unless configured otherwise.
pub const DEFAULT_TELEGRAM_API: &str = "https://api.telegram.org";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettingsValues {
    /// The webhook URL in the secrets table; it receives a JSON POST per
    /// transition. `None` = no webhook.
    #[serde(default)]
    pub webhook_url_ref: Option<SecretRef>,
    /// The webhook URL's origin (`https://hooks.example.net`), shown on
    /// pages and in the audit; set exactly when `webhook_url_ref` is.
    #[serde(default)]
    pub webhook_target: Option<String>,
    /// The webhook URL in the clear, as the first events carried it: read
    /// from those, refused in new commands (the page seals it instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The Bot API base URL (tests point it at a local receiver).
    pub telegram_api_base: String,
    /// A numeric chat id or `@channelname`; `None` = no Telegram.
    pub telegram_chat_id: Option<String>,
    /// The bot token in the secrets table (the `_ref` suffix masks it on
    /// the audit pages; the reference itself is not the token).
    pub telegram_token_ref: Option<SecretRef>,
}

impl Default for NotifySettingsValues {
    fn default() -> Self {
        Self {
            webhook_url_ref: None,
            webhook_target: None,
            webhook_url: None,
            telegram_api_base: DEFAULT_TELEGRAM_API.to_string(),
            telegram_chat_id: None,
            telegram_token_ref: None,
        }
    }
}

impl NotifySettingsValues {
    /// Every field error: (field, message). Empty when the values are valid.
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.webhook_url.is_some() {
            out.push((
                "webhook_url",
                "a webhook URL is kept sealed: settings carry its reference".into(),
            ));
        }
        match (&self.webhook_url_ref, &self.webhook_target) {
            (Some(_), Some(target)) => {
                if let Err(m) = check_http_url(target) {
                    out.push(("webhook_url", m));
                } else if origin_of(target) != *target {
                    out.push((
                        "webhook_url",
                        "the shown target is the URL's origin only".into(),
                    ));
                }
            }
            (None, None) => {}
            _ => out.push((
                "webhook_url",
                "a sealed webhook URL and its origin go together".into(),
            )),
        }
        if let Err(m) = check_http_url(&self.telegram_api_base) {
            out.push(("telegram_api_base", m));
        }
        if let Some(chat) = &self.telegram_chat_id {
            if let Err(m) = check_chat_id(chat) {
                out.push(("telegram_chat_id", m));
            }
        }
        match (&self.telegram_token_ref, &self.telegram_chat_id) {
            (Some(_), None) => out.push((
                "telegram_chat_id",
                "a chat id is needed to send to Telegram".into(),
            )),
            (None, Some(_)) => out.push((
                "telegram_token",
                "a bot token is needed to send to Telegram".into(),
            )),
            _ => {}
        }
        out
    }

    /// Whether webhook messages can be sent.
    pub fn webhook_enabled(&self) -> bool {
        self.webhook_url_ref.is_some() || self.webhook_url.is_some()
    }

    /// What to show of the webhook: its origin (from the URL itself for
    /// settings recorded before URLs were sealed).
    pub fn webhook_shown(&self) -> Option<String> {
        self.webhook_target
            .clone()
            .or_else(|| self.webhook_url.as_deref().map(origin_of))
    }

    /// Whether Telegram messages can be sent.
    pub fn telegram_enabled(&self) -> bool {
        self.telegram_token_ref.is_some() && self.telegram_chat_id.is_some()
    }
}

/// The origin of an `http(s)://` URL: scheme and authority, lower-case
/// scheme, without path, query or fragment — what may be shown of a
/// webhook URL whose path is its credential.
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{}://{authority}", scheme.to_ascii_lowercase())
}

/// Checks an absolute `http://` or `https://` URL with a host, without
/// credentials (they would end up in events) or whitespace.
pub fn check_http_url(text: &str) -> Result<(), String> {
    if text.len() > 2000 {
        return Err("a URL is limited to 2000 characters".into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL cannot contain spaces".into());
    }
    let lower = text.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &text[7..]
    } else if lower.starts_with("https://") {
        &text[8..]
    } else {
        return Err("must start with http:// or https://".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("user names and passwords in the URL are not allowed".into());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inner, after)) = v6.split_once(']') else {
            return Err("an IPv6 address must be closed with ']'".into());
        };
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{inner}' is not an IPv6 address"));
        }
        match after {
            "" => (inner, None),
            p => match p.strip_prefix(':') {
                Some(p) => (inner, Some(p)),
                None => return Err("unexpected text after the address".into()),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL needs a host name".into());
    }
    if !authority.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!("'{host}' is not a valid host name"));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("'{p}' is not a valid port"));
        }
    }
    Ok(())
}

/// A Telegram chat: a (possibly negative) number or `@channelname`.
pub fn check_chat_id(text: &str) -> Result<(), String> {
    let numeric = text.strip_prefix('-').unwrap_or(text);
    let is_number =
        !numeric.is_empty() && numeric.len() <= 20 && numeric.chars().all(|c| c.is_ascii_digit());
    let is_channel = text.strip_prefix('@').is_some_and(|n| {
        (5..=32).contains(&n.len())
            && n.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if is_number || is_channel {
        Ok(())
    } else {
        Err("a chat id is a number (e.g. -1001234567890) or @channelname".into())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum NotifySettingsCommand {
    Change(NotifySettingsValues),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NotifySettingsEvent {
    NotifySettingsChanged(NotifySettingsValues),
}

impl DomainEvent for NotifySettingsEvent {
    fn event_type(&self) -> String {
        "NotifySettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifySettingsError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
}

impl crate::DomainError for NotifySettingsError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            NotifySettingsError::Invalid(list) => list.clone(),
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, NotifySettingsError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotifySettings {
    pub values: NotifySettingsValues,
}

impl NotifySettings {
    pub fn decide(
        &self,
        c: NotifySettingsCommand,
    ) -> Result<Vec<NotifySettingsEvent>, NotifySettingsError> {
        let NotifySettingsCommand::Change(v) = c;
        let errors = v.errors();
        if !errors.is_empty() {
            return Err(NotifySettingsError::Invalid(errors));
        }
        if v == self.values {
            return Err(NotifySettingsError::Unchanged);
        }
        Ok(vec![NotifySettingsEvent::NotifySettingsChanged(v)])
    }
}

impl Aggregate for NotifySettings {
    const TYPE: &'static str = "NotifySettings";
    type Command = NotifySettingsCommand;
    type Event = NotifySettingsEvent;
    type Error = NotifySettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: NotifySettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), NotifySettingsError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: NotifySettingsEvent) {
        let NotifySettingsEvent::NotifySettingsChanged(v) = event;
        self.values = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert_eq!(check_http_url("http://127.0.0.1:8080/hook"), Ok(()));
        assert_eq!(check_http_url("HTTPS://hooks.example.net/a?b=c"), Ok(()));
        assert_eq!(check_http_url("http://[::1]:9000/x"), Ok(()));
        for (url, message) in [
            ("ftp://example.net/", "must start with http:// or https://"),
            ("notaurl", "must start with http:// or https://"),
            ("http://", "the URL needs a host name"),
            ("http:///path", "the URL needs a host name"),
            ("http://a b/", "a URL cannot contain spaces"),
            ("not a url", "a URL cannot contain spaces"),
            (
                "http://user:pw@example.net/",
                "user names and passwords in the URL are not allowed",
            ),
            ("http://example.net:99999/", "'99999' is not a valid port"),
            ("http://example.net:0/", "'0' is not a valid port"),
            (
                "http://exa<mple.net/",
                "'exa<mple.net' is not a valid host name",
            ),
            ("http://[::1/", "an IPv6 address must be closed with ']'"),
            ("http://[nope]/", "'nope' is not an IPv6 address"),
        ] {
            assert_eq!(check_http_url(url), Err(message.to_string()), "{url}");
        }
    }

    #[test]
    fn a_webhook_is_a_sealed_reference_with_its_origin_and_never_a_clear_url() {
        let change = |v: NotifySettingsValues| match NotifySettings::default()
            .decide(NotifySettingsCommand::Change(v))
        {
            Err(NotifySettingsError::Invalid(f)) => f,
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => Vec::new(),
        };
        let clear = change(NotifySettingsValues {
            webhook_url: Some("https://hooks.example.net/T0/B0/secret".into()),
            ..Default::default()
        });
        assert_eq!(
            clear,
            [(
                "webhook_url",
                "a webhook URL is kept sealed: settings carry its reference".to_string()
            )]
        );
        let with_path = change(NotifySettingsValues {
            webhook_url_ref: Some(SecretRef("w".into())),
            webhook_target: Some("https://hooks.example.net/T0/secret".into()),
            ..Default::default()
        });
        assert_eq!(
            with_path,
            [(
                "webhook_url",
                "the shown target is the URL's origin only".to_string()
            )]
        );
        let half = change(NotifySettingsValues {
            webhook_url_ref: Some(SecretRef("w".into())),
            ..Default::default()
        });
        assert_eq!(
            half,
            [(
                "webhook_url",
                "a sealed webhook URL and its origin go together".to_string()
            )]
        );

        assert_eq!(
            origin_of("HTTPS://hooks.example.net:8443/T0/B0/x?token=y#f"),
            "https://hooks.example.net:8443"
        );
        assert_eq!(origin_of("http://[::1]:9000"), "http://[::1]:9000");
        // Settings recorded before sealing still read, and show the origin.
        let old: NotifySettingsValues = serde_json::from_str(
            r#"{"webhook_url":"http://127.0.0.1:9/hook/x","telegram_api_base":"https://api.telegram.org","telegram_chat_id":null,"telegram_token_ref":null}"#,
        )
        .unwrap();
        assert!(old.webhook_enabled());
        assert_eq!(old.webhook_shown().as_deref(), Some("http://127.0.0.1:9"));
        // New ones never serialize a clear URL field.
        let new = serde_json::to_string(&NotifySettingsValues::default()).unwrap();
        assert!(!new.contains("\"webhook_url\""), "{new}");
    }

    #[test]
    fn chat_ids_are_numbers_or_channel_names() {
        for good in ["12345", "-1001234567890", "@ispmon_noc"] {
            assert_eq!(check_chat_id(good), Ok(()), "{good}");
        }
        let message = "a chat id is a number (e.g. -1001234567890) or @channelname";
        for bad in ["@ab", "-", "12a", "", "@1abcde"] {
            assert_eq!(check_chat_id(bad), Err(message.to_string()), "{bad}");
        }
    }

    #[test]
    fn a_token_needs_a_chat_and_bad_values_are_named() {
        let v = NotifySettingsValues {
            webhook_url_ref: Some(SecretRef("w".into())),
            webhook_target: Some("gopher://x".into()),
            telegram_token_ref: Some(SecretRef("s".into())),
            ..Default::default()
        };
        let err = NotifySettings::default()
            .decide(NotifySettingsCommand::Change(v))
            .unwrap_err();
        let NotifySettingsError::Invalid(fields) = err else {
            panic!("expected field errors");
        };
        assert_eq!(
            fields,
            [
                (
                    "webhook_url",
                    "must start with http:// or https://".to_string()
                ),
                (
                    "telegram_chat_id",
                    "a chat id is needed to send to Telegram".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_valid_change_is_recorded_and_a_repeat_is_refused() {
        let v = NotifySettingsValues {
            webhook_url_ref: Some(SecretRef("w".into())),
            webhook_target: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        TestFramework::<NotifySettings>::with(())
            .given_no_previous_events()
            .when(NotifySettingsCommand::Change(v.clone()))
            .then_expect_events(vec![NotifySettingsEvent::NotifySettingsChanged(v.clone())]);
        TestFramework::<NotifySettings>::with(())
            .given(vec![NotifySettingsEvent::NotifySettingsChanged(v.clone())])
            .when(NotifySettingsCommand::Change(v))
            .then_expect_error(NotifySettingsError::Unchanged);
    }
}
