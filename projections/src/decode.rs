//! Decoding a stored event into its typed domain event, once per event, so
//! every projection matches on types instead of re-parsing JSON.

use ispmon_events::StoredEvent;

/// Every aggregate's events, from the one registry in the events crate.
pub use ispmon_events::registry::AnyEvent as Decoded;

/// A stored event with its decoded payload.
pub struct Envelope<'a> {
    pub stored: &'a StoredEvent,
    pub event: Decoded,
}

impl<'a> Envelope<'a> {
    /// Decodes the payload (upcast to its type's current version).
    pub fn decode(stored: &'a StoredEvent) -> Result<Self, serde_json::Error> {
        let event = Decoded::decode(stored)?;
        Ok(Self { stored, event })
    }

    pub fn id(&self) -> &str {
        &self.stored.aggregate_id
    }

    pub fn at(&self) -> &str {
        &self.stored.recorded_at
    }
}
