//! Metadata attached to every event: who, with which role, from where, why.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Where a command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[default]
    Web,
    Api,
    Scheduler,
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Scheduler => "scheduler",
            Source::Cli => "cli",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "api" => Source::Api,
            "scheduler" => Source::Scheduler,
            "cli" => Source::Cli,
            _ => Source::Web,
        }
    }
}

/// Event metadata; stored as a flat JSON object of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub actor_id: String,
    pub actor_login: String,
    pub role: String,
    pub request_id: String,
    pub correlation_id: String,
    pub source: Source,
    pub client_ip: String,
}

impl Metadata {
    /// Metadata for work the system does on its own (CLI, scheduler).
    pub fn system(source: Source, login: &str) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        Self {
            actor_id: String::new(),
            actor_login: login.to_string(),
            role: "system".into(),
            request_id: id.clone(),
            correlation_id: id,
            source,
            client_ip: String::new(),
        }
    }

    pub fn to_map(&self) -> HashMap<String, String> {
        HashMap::from([
            ("actor_id".to_string(), self.actor_id.clone()),
            ("actor_login".to_string(), self.actor_login.clone()),
            ("role".to_string(), self.role.clone()),
            ("request_id".to_string(), self.request_id.clone()),
            ("correlation_id".to_string(), self.correlation_id.clone()),
            ("source".to_string(), self.source.as_str().to_string()),
            ("client_ip".to_string(), self.client_ip.clone()),
        ])
    }

    pub fn from_json(text: &str) -> Self {
        let map: HashMap<String, String> = serde_json::from_str(text).unwrap_or_default();
        let get = |k: &str| map.get(k).cloned().unwrap_or_default();
        Self {
            actor_id: get("actor_id"),
            actor_login: get("actor_login"),
            role: get("role"),
            request_id: get("request_id"),
            correlation_id: get("correlation_id"),
            source: Source::parse(&get("source")),
            client_ip: get("client_ip"),
        }
    }
}
