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

/// The scope of GPON ports with a registration or deletion running
/// (`OLT-ID:0/1/0`): one job per port at a time.
pub const GPON_PORT: &str = "gpon.port";

/// The scope of ONT serial numbers with a job running: the same SN is not
/// registered twice at once.
pub const GPON_SN: &str = "gpon.sn";

/// Which keys an event claims or releases (through the aggregate's entry in
/// the [registry](crate::registry)).
pub fn ops_for(event: &SerializedEvent) -> Vec<ReservationOp> {
    crate::registry::kind(&event.aggregate_type)
        .map(|k| (k.reservations)(event))
        .unwrap_or_default()
}

fn claim(scope: &'static str, key: Option<String>) -> Vec<ReservationOp> {
    key.map(|key| vec![ReservationOp::Claim { scope, key }])
        .unwrap_or_default()
}

fn release(scope: &'static str, key: Option<String>) -> Vec<ReservationOp> {
    key.map(|key| vec![ReservationOp::Release { scope, key }])
        .unwrap_or_default()
}

fn moved(scope: &'static str, from: Option<String>, to: Option<String>) -> Vec<ReservationOp> {
    match (from, to) {
        (Some(from), Some(to)) => vec![
            ReservationOp::Release { scope, key: from },
            ReservationOp::Claim { scope, key: to },
        ],
        _ => Vec::new(),
    }
}

/// User logins (lower-cased).
pub fn user(event: &SerializedEvent) -> Vec<ReservationOp> {
    match event.event_type.as_str() {
        "UserRegistered" => claim(USER_LOGIN, field(event, "login").map(str::to_lowercase)),
        _ => Vec::new(),
    }
}

/// Host IP addresses.
pub fn host(event: &SerializedEvent) -> Vec<ReservationOp> {
    let text = |key| field(event, key).map(str::to_string);
    match event.event_type.as_str() {
        "HostAdded" => claim(HOST_IP, text("ip")),
        "HostIpChanged" => moved(HOST_IP, text("from"), text("to")),
        "HostRemoved" => release(HOST_IP, text("ip")),
        _ => Vec::new(),
    }
}

/// Device names (lower-cased).
pub fn device(event: &SerializedEvent) -> Vec<ReservationOp> {
    match event.event_type.as_str() {
        "DeviceRegistered" => claim(DEVICE_NAME, device_name(event)),
        "DeviceEdited" => moved(
            DEVICE_NAME,
            field(event, "renamed_from").map(str::to_lowercase),
            device_name(event),
        ),
        "DeviceRetired" => release(DEVICE_NAME, field(event, "name").map(str::to_lowercase)),
        _ => Vec::new(),
    }
}

/// A GPON job holds its port and its SN while it runs.
pub fn gpon_job(event: &SerializedEvent) -> Vec<ReservationOp> {
    let port = || {
        Some(format!(
            "{}:{}",
            field(event, "olt_id")?,
            field(event, "port")?
        ))
    };
    let sn = || field(event, "sn").map(str::to_string);
    match event.event_type.as_str() {
        "GponJobRequested" => [claim(GPON_PORT, port()), claim(GPON_SN, sn())].concat(),
        "GponJobEnded" => [release(GPON_PORT, port()), release(GPON_SN, sn())].concat(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        aggregate_type: &str,
        event_type: &str,
        payload: serde_json::Value,
    ) -> SerializedEvent {
        SerializedEvent {
            aggregate_id: "a1".into(),
            sequence: 1,
            aggregate_type: aggregate_type.into(),
            event_type: event_type.into(),
            event_version: "1".into(),
            payload: serde_json::json!({ event_type: payload }),
            metadata: serde_json::json!({}),
        }
    }

    #[test]
    fn each_registered_aggregate_claims_and_releases_its_own_keys() {
        let claim = |scope, key: &str| ReservationOp::Claim {
            scope,
            key: key.into(),
        };
        let release = |scope, key: &str| ReservationOp::Release {
            scope,
            key: key.into(),
        };
        assert_eq!(
            ops_for(&event(
                "User",
                "UserRegistered",
                serde_json::json!({"login": "Anna"})
            )),
            vec![claim(USER_LOGIN, "anna")]
        );
        assert_eq!(
            ops_for(&event(
                "Host",
                "HostIpChanged",
                serde_json::json!({"from": "10.0.0.1", "to": "10.0.0.2"})
            )),
            vec![release(HOST_IP, "10.0.0.1"), claim(HOST_IP, "10.0.0.2")]
        );
        assert_eq!(
            ops_for(&event(
                "Device",
                "DeviceEdited",
                serde_json::json!({"renamed_from": "SW-1", "profile": {"name": "SW-2"}})
            )),
            vec![release(DEVICE_NAME, "sw-1"), claim(DEVICE_NAME, "sw-2")]
        );
        assert_eq!(
            ops_for(&event(
                "Device",
                "DeviceEdited",
                serde_json::json!({"profile": {"name": "SW-2"}})
            )),
            vec![],
            "an edit that keeps the name moves nothing"
        );
        assert_eq!(
            ops_for(&event(
                "Folder",
                "FolderCreated",
                serde_json::json!({"name": "x"})
            )),
            vec![],
            "an aggregate without keys reserves nothing"
        );
        assert_eq!(ops_for(&event("Nope", "X", serde_json::json!({}))), vec![]);
    }
}
