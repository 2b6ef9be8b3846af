//! The notification settings aggregate (a singleton): where host state
//! transitions are sent — a webhook URL and a Telegram bot (API base URL,
//! chat id, and a reference to the bot token, which is sealed in the secrets
//! table and never carried by an event).

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
    /// Receives a JSON POST per transition; `None` = no webhook.
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
        if let Some(url) = &self.webhook_url {
            if let Err(m) = check_http_url(url) {
                out.push(("webhook_url", m));
            }
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

    /// Whether Telegram messages can be sent.
    pub fn telegram_enabled(&self) -> bool {
        self.telegram_token_ref.is_some() && self.telegram_chat_id.is_some()
    }
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
        for e in self.decide(command)? {
            sink.write(e, self).await;
        }
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
        assert!(check_http_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_http_url("HTTPS://hooks.example.net/a?b=c").is_ok());
        assert!(check_http_url("http://[::1]:9000/x").is_ok());
        assert!(check_http_url("ftp://example.net/").is_err());
        assert!(check_http_url("http://").is_err());
        assert!(check_http_url("http:///path").is_err());
        assert!(check_http_url("http://a b/").is_err());
        assert!(check_http_url("http://user:pw@example.net/").is_err());
        assert!(check_http_url("http://example.net:99999/").is_err());
        assert!(check_http_url("http://exa<mple.net/").is_err());
        assert!(check_http_url("not a url").is_err());
    }

    #[test]
    fn chat_ids_are_numbers_or_channel_names() {
        assert!(check_chat_id("12345").is_ok());
        assert!(check_chat_id("-1001234567890").is_ok());
        assert!(check_chat_id("@ispmon_noc").is_ok());
        assert!(check_chat_id("@ab").is_err());
        assert!(check_chat_id("-").is_err());
        assert!(check_chat_id("12a").is_err());
    }

    #[test]
    fn a_token_needs_a_chat_and_bad_values_are_named() {
        let v = NotifySettingsValues {
            webhook_url: Some("gopher://x".into()),
            telegram_token_ref: Some(SecretRef("s".into())),
            ..Default::default()
        };
        let err = NotifySettings::default()
            .decide(NotifySettingsCommand::Change(v))
            .unwrap_err();
        let NotifySettingsError::Invalid(fields) = err else {
            panic!("expected field errors");
        };
        let names: Vec<_> = fields.iter().map(|(f, _)| *f).collect();
        assert_eq!(names, vec!["webhook_url", "telegram_chat_id"]);
    }

    #[test]
    fn a_valid_change_is_recorded_and_a_repeat_is_refused() {
        let v = NotifySettingsValues {
            webhook_url: Some("http://127.0.0.1:9/hook".into()),
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
