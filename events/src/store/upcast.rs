//! Upcasters: a stored event of an older version read in its type's
//! current shape.
//!
//! Events are immutable, so a changed event type gets a new version
//! (`DomainEvent::event_version`) and an [`Upcaster`] that turns a payload
//! of the old version into the next one. Every reader that turns a stored
//! event into a typed one goes through [`StoredEvent::decode`] (the
//! projections, the reactors) or [`upcast`] (the cqrs-es repository), so an
//! old row is upcast on read and never rewritten.
//!
//! An upcaster is a pure function of the payload: it cannot know what the
//! aggregate knew when the event was written. Where a new version adds a
//! fact (a host's name on its state changes), the upcaster marks it as
//! unknown and a reader that needs it folds the aggregate's history itself
//! (see `ispmon_scheduler::notify`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::StoredEvent;

/// Turns one version of one event type into the next.
pub struct Upcaster {
    pub aggregate_type: &'static str,
    pub event_type: &'static str,
    /// The version it reads; it writes `from_version + 1`.
    pub from_version: u32,
    /// Rewrites the payload (the externally tagged enum, as stored) in place.
    pub apply: fn(&mut Value),
}

/// Every upcaster, by aggregate module.
const ALL: &[&[Upcaster]] = &[crate::host::UPCASTERS];

fn next<'a>(aggregate_type: &str, event_type: &str, version: u32) -> Option<&'a Upcaster> {
    ALL.iter().flat_map(|u| u.iter()).find(|u| {
        u.from_version == version
            && u.aggregate_type == aggregate_type
            && u.event_type == event_type
    })
}

/// Whether a stored event of this type and version reads as it is.
pub fn is_current(aggregate_type: &str, event_type: &str, version: &str) -> bool {
    match version.parse::<u32>() {
        Ok(v) => next(aggregate_type, event_type, v).is_none(),
        Err(_) => true,
    }
}

/// Brings `payload` from `version` to the event type's current version;
/// returns that version. A version that is not a number is left alone.
pub fn upcast(
    aggregate_type: &str,
    event_type: &str,
    version: &str,
    payload: &mut Value,
) -> String {
    let Ok(mut v) = version.parse::<u32>() else {
        return version.to_string();
    };
    while let Some(u) = next(aggregate_type, event_type, v) {
        (u.apply)(payload);
        v += 1;
    }
    v.to_string()
}

impl StoredEvent {
    /// The payload as the current version of its event type (upcast on the
    /// way when it was stored by an older version).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        if is_current(&self.aggregate_type, &self.event_type, &self.event_version) {
            return serde_json::from_str(&self.payload);
        }
        let mut payload: Value = serde_json::from_str(&self.payload)?;
        upcast(
            &self.aggregate_type,
            &self.event_type,
            &self.event_version,
            &mut payload,
        );
        serde_json::from_value(payload)
    }
}

/// Sets `field` of the variant object inside an externally tagged payload
/// (`{"Variant": {...}}`) unless it is there already.
pub fn set_variant_field(payload: &mut Value, field: &str, value: Value) {
    if let Some(fields) = payload
        .as_object_mut()
        .and_then(|o| o.values_mut().next())
        .and_then(Value::as_object_mut)
    {
        fields.entry(field.to_string()).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{HostEvent, HostState};

    fn stored(event_type: &str, version: &str, payload: &str) -> StoredEvent {
        StoredEvent {
            seq: 1,
            aggregate_type: "Host".into(),
            aggregate_id: "h".into(),
            aggregate_seq: 1,
            event_type: event_type.into(),
            event_version: version.into(),
            payload: payload.into(),
            metadata: "{}".into(),
            recorded_at: "2026-01-01T00:00:00.000000Z".into(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_version_1_state_change_reads_as_version_2_with_its_host_unknown() {
        let old = r#"{"HostWentDown":{"sample":{"sent":3,"received":0,"loss_pct":100.0,
            "min_ms":null,"avg_ms":null,"max_ms":null,"jitter_ms":null},"failed_rounds":2}}"#;
        let e = stored("HostWentDown", "1", old);
        assert!(!is_current("Host", "HostWentDown", "1"));
        let HostEvent::HostWentDown {
            failed_rounds,
            host,
            ..
        } = e.decode().unwrap()
        else {
            panic!("not a HostWentDown");
        };
        assert_eq!((failed_rounds, host), (2, None));
        let mut v: Value = serde_json::from_str(old).unwrap();
        assert_eq!(upcast("Host", "HostWentDown", "1", &mut v), "2");
        assert_eq!(v["HostWentDown"]["host"], Value::Null);
    }

    #[test]
    fn a_current_event_is_read_as_it_is() {
        let new = r#"{"HostCameUp":{"sample":{"sent":3,"received":3,"loss_pct":0.0,
            "min_ms":1.0,"avg_ms":1.0,"max_ms":1.0,"jitter_ms":0.0},
            "host":{"name":"core","ip":"127.0.0.1","from":"down","maintenance":[]}}}"#;
        assert!(is_current("Host", "HostCameUp", "2"));
        let HostEvent::HostCameUp { host, .. } = stored("HostCameUp", "2", new).decode().unwrap()
        else {
            panic!("not a HostCameUp");
        };
        let host = host.expect("carried");
        assert_eq!((host.name.as_str(), host.from), ("core", HostState::Down));
        assert!(is_current("Host", "HostAdded", "1"));
    }
}
