//! The one registration point of every aggregate type ([`registry!`]), and
//! generic access to them: decoding any stored event ([`AnyEvent`]), folding
//! an aggregate's events into its state after each one (the audit pages),
//! the reservations its events make (the store).

use cqrs_es::persist::SerializedEvent;
use cqrs_es::Aggregate;
use serde_json::Value;

use crate::reservations::ReservationOp;
use crate::store::StoredEvent;

/// One aggregate type, as the store, the projections and the audit pages
/// see it.
pub struct AggregateKind {
    pub name: &'static str,
    /// The state (as JSON) after each of the given events, in order.
    pub fold: fn(&[StoredEvent]) -> Result<Vec<Value>, String>,
    /// The set-wide keys an event of this type claims or releases.
    pub reservations: fn(&SerializedEvent) -> Vec<ReservationOp>,
}

fn no_reservations(_: &SerializedEvent) -> Vec<ReservationOp> {
    Vec::new()
}

/// Declares every aggregate once: the [`AnyEvent`] the projections decode
/// into, the [`KINDS`] the audit pages fold, and the reservations the store
/// writes. Adding an aggregate is one line here (plus its own module).
macro_rules! registry {
    ($( $variant:ident => $agg:ty $(, reserves $res:path)? ;)*) => {
        /// A stored event decoded into its aggregate's own event type.
        #[derive(Debug)]
        pub enum AnyEvent {
            $( $variant(<$agg as Aggregate>::Event), )*
            /// An aggregate type this build does not know.
            Other,
        }

        impl AnyEvent {
            /// Decodes a stored event into its aggregate's current event
            /// type (upcast when stored by an older version).
            pub fn decode(stored: &StoredEvent) -> Result<Self, serde_json::Error> {
                $(
                    if stored.aggregate_type == <$agg as Aggregate>::TYPE {
                        return Ok(AnyEvent::$variant(stored.decode()?));
                    }
                )*
                Ok(AnyEvent::Other)
            }
        }

        /// Every aggregate type.
        pub const KINDS: &[AggregateKind] = &[
            $(
                AggregateKind {
                    name: <$agg as Aggregate>::TYPE,
                    fold: fold::<$agg>,
                    reservations: registry!(@res $($res)?),
                },
            )*
        ];
    };
    (@res) => { no_reservations };
    (@res $res:path) => { $res };
}

registry! {
    User => crate::user::User, reserves crate::reservations::user;
    Host => crate::host::Host, reserves crate::reservations::host;
    Folder => crate::folder::Folder;
    IcmpSettings => crate::icmp_settings::IcmpSettings;
    NotifySettings => crate::notify_settings::NotifySettings;
    Device => crate::device::Device, reserves crate::reservations::device;
    Firmware => crate::firmware::Firmware;
    Mac => crate::mac::Mac;
    Login => crate::login::Login;
    FdbSettings => crate::fdb_settings::FdbSettings;
    Subscriber => crate::subscriber::Subscriber;
    BillingSettings => crate::billing_settings::BillingSettings;
    Ont => crate::gpon::Ont;
    GponOlt => crate::gpon::GponOlt;
    GponProfile => crate::gpon::GponProfile;
    GponSettings => crate::gpon::GponSettings;
    GponJob => crate::gpon::GponJob, reserves crate::reservations::gpon_job;
    Ticket => crate::ticket::Ticket;
    TicketBilling => crate::ticket_billing::TicketBilling;
    Request => crate::request::Request;
    RequestBoard => crate::request_board::RequestBoard;
    SlaSettings => crate::sla_settings::SlaSettings;
}

pub fn kind(name: &str) -> Option<&'static AggregateKind> {
    KINDS.iter().find(|k| k.name == name)
}

fn fold<A: Aggregate>(events: &[StoredEvent]) -> Result<Vec<Value>, String> {
    let mut state = A::default();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let ev: A::Event = e
            .decode()
            .map_err(|err| format!("event {} cannot be read: {err}", e.seq))?;
        state.apply(ev);
        out.push(serde_json::to_value(&state).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Field names whose values are secret references: shown as "•••".
const SECRET_FIELDS: &[&str] = &["password", "hash", "secret", "token_hash"];

pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name) || name.ends_with("_ref")
}

/// Flattens JSON into (dotted path, display text) pairs, secrets masked.
pub fn flatten(value: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, last: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, k, child, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, child) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), last, child, out);
                }
            }
            _ if is_secret_field(last) && !v.is_null() => {
                out.push((prefix.to_string(), "•••".into()))
            }
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            Value::Null => out.push((prefix.to_string(), "—".into())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", "", value, &mut out);
    out
}

/// The payload of an event without its enum wrapper (`{"UserRegistered": {..}}`
/// → `{..}`), flattened for reading.
pub fn readable_payload(event_type: &str, payload: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let inner = match &v {
        Value::Object(m) if m.len() == 1 && m.contains_key(event_type) => &m[event_type],
        Value::String(s) if s == event_type => return Vec::new(),
        _ => &v,
    };
    flatten(inner)
}

/// Field-level differences between two states: (field, before, after).
pub fn diff(before: &Value, after: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let a: std::collections::BTreeMap<_, _> = flatten(before).into_iter().collect();
    let b: std::collections::BTreeMap<_, _> = flatten(after).into_iter().collect();
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| ((*k).clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_when_flattened() {
        let v = json!({"login": "anna", "password": "abc-123", "nested": {"hash_ref": "x"}});
        let mut flat = flatten(&v);
        flat.sort();
        let expected: Vec<(String, String)> = vec![
            ("login".into(), "anna".into()),
            ("nested.hash_ref".into(), "•••".into()),
            ("password".into(), "•••".into()),
        ];
        assert_eq!(flat, expected, "every field once, secrets masked");
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let d = diff(
            &json!({"role": "noc", "login": "a"}),
            &json!({"role": "admin", "login": "a", "disabled": true}),
        );
        assert_eq!(
            d,
            vec![
                ("disabled".into(), None, Some("true".into())),
                ("role".into(), Some("noc".into()), Some("admin".into())),
            ]
        );
    }

    #[test]
    fn payload_wrapper_is_removed() {
        let p = readable_payload(
            "UserRoleChanged",
            r#"{"UserRoleChanged":{"from":"noc","to":"admin"}}"#,
        );
        assert_eq!(
            p,
            vec![("from".into(), "noc".into()), ("to".into(), "admin".into())]
        );
        assert!(readable_payload("UserDisabled", r#""UserDisabled""#).is_empty());
    }
}
