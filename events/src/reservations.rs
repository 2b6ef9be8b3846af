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

/// Which keys an event claims or releases.
pub fn ops_for(event: &SerializedEvent) -> Vec<ReservationOp> {
    match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        ("User", "UserRegistered") => event
            .payload
            .get("UserRegistered")
            .and_then(|p| p.get("login"))
            .and_then(|l| l.as_str())
            .map(|login| {
                vec![ReservationOp::Claim {
                    scope: USER_LOGIN,
                    key: login.to_lowercase(),
                }]
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
