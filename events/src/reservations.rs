//! Set-wide unique keys. An aggregate cannot see its siblings, so "this login
//! is unique" is enforced by the store: the events that claim or release a key
//! are mapped here to reservation rows written in the same transaction.

use cqrs_es::persist::SerializedEvent;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationOp {
    Claim { scope: &'static str, key: String },
    Release { scope: &'static str, key: String },
}

/// The scope of user logins (keys are lower-cased).
pub const USER_LOGIN: &str = "user.login";

/// The scope of host IP addresses (canonical text).
pub const HOST_IP: &str = "host.ip";

/// The scope of device names (keys are lower-cased).
pub const DEVICE_NAME: &str = "device.name";

fn device_name(event: &SerializedEvent) -> Option<String> {
    event
        .payload
        .get(event.event_type.as_str())
        .and_then(|p| p.get("profile"))
        .and_then(|p| p.get("name"))
        .and_then(|v| v.as_str())
        .map(str::to_lowercase)
}

fn field<'a>(event: &'a SerializedEvent, key: &str) -> Option<&'a str> {
    event
        .payload
        .get(event.event_type.as_str())
        .and_then(|p| p.get(key))
        .and_then(|v| v.as_str())
}

/// Which keys an event claims or releases.
pub fn ops_for(event: &SerializedEvent) -> Vec<ReservationOp> {
    match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        ("User", "UserRegistered") => field(event, "login")
            .map(|login| {
                vec![ReservationOp::Claim {
                    scope: USER_LOGIN,
                    key: login.to_lowercase(),
                }]
            })
            .unwrap_or_default(),
        ("Host", "HostAdded") => field(event, "ip")
            .map(|ip| {
                vec![ReservationOp::Claim {
                    scope: HOST_IP,
                    key: ip.to_string(),
                }]
            })
            .unwrap_or_default(),
        ("Host", "HostIpChanged") => match (field(event, "from"), field(event, "to")) {
            (Some(from), Some(to)) => vec![
                ReservationOp::Release {
                    scope: HOST_IP,
                    key: from.to_string(),
                },
                ReservationOp::Claim {
                    scope: HOST_IP,
                    key: to.to_string(),
                },
            ],
            _ => Vec::new(),
        },
        ("Host", "HostRemoved") => field(event, "ip")
            .map(|ip| {
                vec![ReservationOp::Release {
                    scope: HOST_IP,
                    key: ip.to_string(),
                }]
            })
            .unwrap_or_default(),
        ("Device", "DeviceRegistered") => device_name(event)
            .map(|key| {
                vec![ReservationOp::Claim {
                    scope: DEVICE_NAME,
                    key,
                }]
            })
            .unwrap_or_default(),
        ("Device", "DeviceEdited") => match (field(event, "renamed_from"), device_name(event)) {
            (Some(from), Some(to)) => vec![
                ReservationOp::Release {
                    scope: DEVICE_NAME,
                    key: from.to_lowercase(),
                },
                ReservationOp::Claim {
                    scope: DEVICE_NAME,
                    key: to,
                },
            ],
            _ => Vec::new(),
        },
        ("Device", "DeviceRetired") => field(event, "name")
            .map(|name| {
                vec![ReservationOp::Release {
                    scope: DEVICE_NAME,
                    key: name.to_lowercase(),
                }]
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
