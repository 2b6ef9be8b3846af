//! The billing settings aggregate (a singleton): where the billing cabinet
//! is, the service account it is read with, how often it is synced and how
//! many requests go to it at once. The password is sealed in the secrets
//! table: events carry its [`SecretRef`] only, never the password.

use std::ops::RangeInclusive;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::fdb_settings::out_of_range;
use crate::secrets::SecretRef;

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "billing";
/// Minutes between syncs.
pub const SCHEDULE_MIN: RangeInclusive<u32> = 5..=1440;
/// Requests to the billing at once.
pub const CONCURRENCY: RangeInclusive<u32> = 1..=16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BillingSettingsValues {
    /// The cabinet's base URL (`http://billing.example/`); empty: no
    /// cabinet (subscribers come from file imports only).
    pub url: String,
    pub login: String,
    pub password_ref: Option<SecretRef>,
    /// Minutes between syncs (5–1,440).
    pub schedule_min: u32,
    /// Requests at once (1–16): the billing is not hammered.
    pub concurrency: u32,
}

impl Default for BillingSettingsValues {
    fn default() -> Self {
        Self {
            url: String::new(),
            login: String::new(),
            password_ref: None,
            schedule_min: 30,
            concurrency: 4,
        }
    }
}

impl BillingSettingsValues {
    /// Every field error: (field, message).
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let url = self.url.trim();
        if !url.is_empty() {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            let host = url.split("://").nth(1).unwrap_or("");
            if !scheme_ok || host.is_empty() || host.starts_with('/') {
                out.push(("url", "must be an http:// or https:// address".to_string()));
            }
            if self.login.trim().is_empty() {
                out.push(("login", "the service account's login is needed".to_string()));
            }
            if self.password_ref.is_none() {
                out.push((
                    "password",
                    "the service account's password is needed".to_string(),
                ));
            }
        }
        if self.login.chars().count() > 100 {
            out.push(("login", "at most 100 characters".to_string()));
        }
        if !SCHEDULE_MIN.contains(&self.schedule_min) {
            out.push(("schedule", out_of_range(&SCHEDULE_MIN, " min")));
        }
        if !CONCURRENCY.contains(&self.concurrency) {
            out.push(("concurrency", out_of_range(&CONCURRENCY, "")));
        }
        out
    }

    /// A cabinet is configured.
    pub fn has_cabinet(&self) -> bool {
        !self.url.trim().is_empty()
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.schedule_min) * 60)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum BillingSettingsCommand {
    Change(BillingSettingsValues),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BillingSettingsEvent {
    BillingSettingsChanged(BillingSettingsValues),
}

impl DomainEvent for BillingSettingsEvent {
    fn event_type(&self) -> String {
        "BillingSettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingSettingsError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
}

impl crate::DomainError for BillingSettingsError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            BillingSettingsError::Invalid(list) => list.clone(),
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, BillingSettingsError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BillingSettings {
    pub values: BillingSettingsValues,
}

impl BillingSettings {
    pub fn decide(
        &self,
        c: BillingSettingsCommand,
    ) -> Result<Vec<BillingSettingsEvent>, BillingSettingsError> {
        let BillingSettingsCommand::Change(mut v) = c;
        v.url = v.url.trim().to_string();
        v.login = v.login.trim().to_string();
        let errors = v.errors();
        if !errors.is_empty() {
            return Err(BillingSettingsError::Invalid(errors));
        }
        if v == self.values {
            return Err(BillingSettingsError::Unchanged);
        }
        Ok(vec![BillingSettingsEvent::BillingSettingsChanged(v)])
    }
}

impl Aggregate for BillingSettings {
    const TYPE: &'static str = "BillingSettings";
    type Command = BillingSettingsCommand;
    type Event = BillingSettingsEvent;
    type Error = BillingSettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: BillingSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), BillingSettingsError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: BillingSettingsEvent) {
        let BillingSettingsEvent::BillingSettingsChanged(v) = event;
        self.values = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cabinet_needs_an_http_url_a_login_and_a_password_and_ranges_hold() {
        let bad = BillingSettingsValues {
            url: "ftp://billing".into(),
            schedule_min: 1,
            concurrency: 0,
            ..Default::default()
        };
        let BillingSettingsError::Invalid(errors) = BillingSettings::default()
            .decide(BillingSettingsCommand::Change(bad))
            .unwrap_err()
        else {
            panic!("invalid")
        };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["url", "login", "password", "schedule", "concurrency"]
        );
        let good = BillingSettingsValues {
            url: " http://127.0.0.1:8080/ ".into(),
            login: "sync".into(),
            password_ref: Some(SecretRef("s1".into())),
            ..Default::default()
        };
        let events = BillingSettings::default()
            .decide(BillingSettingsCommand::Change(good))
            .unwrap();
        let BillingSettingsEvent::BillingSettingsChanged(v) = &events[0];
        assert_eq!(v.url, "http://127.0.0.1:8080/");
        let mut s = BillingSettings::default();
        s.apply(events[0].clone());
        assert_eq!(
            s.decide(BillingSettingsCommand::Change(s.values.clone())),
            Err(BillingSettingsError::Unchanged)
        );
        // No cabinet at all is valid: subscribers come from imports.
        assert!(BillingSettingsValues::default().errors().is_empty());
    }
}
