//! The Login aggregate: a PPPoE login's binding — the MAC it dials from
//! and the IP it was given, and on which NAS. Keyed by the login as the NAS
//! prints it (any length).
//!
//! Only a changed binding is an event (the NAS poller sees the same session
//! every minute); sessions themselves (login, MAC, IP, NAS, start, end) are
//! telemetry, so "who had IP X at time T" is one query there.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Where a login was last seen dialling in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Lower-case colon form; `None` when the NAS showed no MAC.
    pub mac: Option<String>,
    pub ip: Option<String>,
    pub nas_id: String,
    /// The NAS's name when seen.
    pub nas: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum LoginCommand {
    /// The NAS shows the login with this binding.
    Bind { binding: Binding },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LoginEvent {
    /// The login's MAC or IP changed (or it was seen for the first time).
    LoginBound { to: Binding, from: Option<Binding> },
}

impl DomainEvent for LoginEvent {
    fn event_type(&self) -> String {
        match self {
            LoginEvent::LoginBound { .. } => "LoginBound",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the login already has this MAC and IP")]
    Unchanged,
}

impl crate::DomainError for LoginError {
    fn is_unchanged(&self) -> bool {
        true
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Login {
    pub binding: Option<Binding>,
}

impl Login {
    pub fn decide(&self, command: LoginCommand) -> Result<Vec<LoginEvent>, LoginError> {
        match command {
            LoginCommand::Bind { binding } => {
                // Only the MAC and the IP are the binding; a session on
                // another NAS with the same MAC and IP is no change.
                if self
                    .binding
                    .as_ref()
                    .is_some_and(|b| b.mac == binding.mac && b.ip == binding.ip)
                {
                    return Err(LoginError::Unchanged);
                }
                Ok(vec![LoginEvent::LoginBound {
                    to: binding,
                    from: self.binding.clone(),
                }])
            }
        }
    }
}

impl Aggregate for Login {
    const TYPE: &'static str = "Login";
    type Command = LoginCommand;
    type Event = LoginEvent;
    type Error = LoginError;
    type Services = ();

    async fn handle(
        &mut self,
        command: LoginCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), LoginError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: LoginEvent) {
        match event {
            LoginEvent::LoginBound { to, .. } => self.binding = Some(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn binding(mac: &str, ip: &str, nas: &str) -> Binding {
        Binding {
            mac: Some(mac.into()),
            ip: Some(ip.into()),
            nas_id: format!("id-{nas}"),
            nas: nas.into(),
        }
    }

    #[test]
    fn a_login_is_bound_once_and_again_only_when_its_mac_or_ip_changes() {
        let first = binding("00:11:22:33:44:55", "100.64.0.2", "nas-1");
        TestFramework::<Login>::with(())
            .given_no_previous_events()
            .when(LoginCommand::Bind {
                binding: first.clone(),
            })
            .then_expect_events(vec![LoginEvent::LoginBound {
                to: first.clone(),
                from: None,
            }]);
        let bound = LoginEvent::LoginBound {
            to: first.clone(),
            from: None,
        };
        TestFramework::<Login>::with(())
            .given(vec![bound.clone()])
            .when(LoginCommand::Bind {
                binding: binding("00:11:22:33:44:55", "100.64.0.2", "nas-2"),
            })
            .then_expect_error(LoginError::Unchanged);
        let new_ip = binding("00:11:22:33:44:55", "100.64.0.9", "nas-1");
        TestFramework::<Login>::with(())
            .given(vec![bound])
            .when(LoginCommand::Bind {
                binding: new_ip.clone(),
            })
            .then_expect_events(vec![LoginEvent::LoginBound {
                to: new_ip,
                from: Some(first),
            }]);
    }
}
