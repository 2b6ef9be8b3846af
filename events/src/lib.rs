//! ispmon-events: the write side of ispmon.
//!
//! Every change in ispmon is a command that an aggregate decides into events;
//! this crate holds the aggregates and the SQLite event store they are kept in.
//!
//! - [`store`]: the event store: one writer thread with group commit and a hash
//!   chain, a reader pool, the cqrs-es repository, audit queries, verification.
//! - [`sqlite`]: opening connections and the small read pool shared with the
//!   projections crate.
//! - [`metadata`]: who, from where and why, attached to every event.
//! - [`secrets`]: the encrypted secrets table that events reference by id.
//! - [`reservations`]: set-wide unique keys (a login, an IP) claimed in the same
//!   transaction as the events that claim them.
//! - [`registry`]: generic access to every aggregate type, for the audit pages.
//! - [`values`]: validated newtypes built at the edge (`Login`, `Role`, `Locale`).
//! - [`user`]: the User aggregate.
//! - [`host`], [`folder`], [`icmp_settings`]: ICMP monitoring aggregates.
//! - [`device`], [`firmware`]: network devices with their config versions,
//!   and firmware files.
//! - [`blobs`]: the content-addressed, compressed blob store (configs, firmware).
//! - [`notify_settings`]: where host transitions are notified (webhook, Telegram).
//! - [`mac`], [`login`], [`fdb_settings`]: Search Port — where a MAC sits
//!   at the edge, a PPPoE login's binding, and the collection settings.
//! - [`subscriber`]: a subscriber as the billing shows them (kept by the
//!   billing sync), with our own notes and tags; [`billing_settings`]: the
//!   cabinet, its service account (sealed), the sync's schedule.
//! - [`gpon`]: ONTs, OLT inventory and autofind, registration profiles,
//!   poll settings, and registrations and deletions as sagas.
//! - [`ticket`]: the repair ticket (details, status, assignee, comments,
//!   attachments), with [`phone`]: Russian phone numbers found and
//!   normalised, and [`sla`]: business-hours calendars and SLA due times;
//!   [`ticket_billing`]: what was sent back to the billing's helpdesk for
//!   an imported ticket, and each failed attempt;
//!   [`sla_settings`]: the calendar and policies in force (admin-set).
//! - [`request`]: the connection request (the old ConnectStatements):
//!   details, label, status, messages, installer, visit, checklist, the
//!   hand-over to GPON registration; [`request_board`]: its folders, the
//!   per-area caps of open visits and the checklist templates; [`rank`]:
//!   fractional-index ranks, a manual order that moves one item without
//!   rewriting its neighbours.

pub mod billing_settings;
pub mod blobs;
pub mod device;
pub mod fdb_settings;
pub mod firmware;
pub mod folder;
pub mod gpon;
pub mod host;
pub mod icmp_settings;
pub mod login;
pub mod mac;
pub mod metadata;
pub mod notify_settings;
pub mod phone;
pub mod rank;
pub mod registry;
pub mod request;
pub mod request_board;
pub mod reservations;
pub mod secrets;
pub mod sla;
pub mod sla_settings;
pub mod sqlite;
pub mod store;
pub mod subscriber;
pub mod ticket;
pub mod ticket_billing;
pub mod user;
pub mod values;

pub use metadata::{Metadata, Source};

/// Writes the events a command decided to the sink. cqrs-es 0.5 applies
/// each written event to the aggregate it is handed, and then, building the
/// snapshot, applies the committed events once more to the aggregate it
/// loaded: handed that one, a snapshot would count every event twice (a
/// pushed step twice, a counter plus two). So the sink gets a scratch copy
/// and the snapshot sees each event exactly once.
pub async fn write_decided<A>(
    sink: &cqrs_es::event_sink::EventSink<A>,
    current: &A,
    events: Vec<A::Event>,
) where
    A: cqrs_es::Aggregate + Clone,
{
    let mut scratch = current.clone();
    for e in events {
        sink.write(e, &mut scratch).await;
    }
}

/// The form-level "field" of a message that belongs to no single field.
pub const FORM: &str = "form";

/// What the edge needs to know of an aggregate's refusal, so the error keeps
/// its type up to the page: where each message goes, and whether the
/// command simply had nothing to change. No caller compares message text.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// Each message with the form field it belongs next to ([`FORM`]: the
    /// whole form).
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        vec![(FORM, self.to_string())]
    }
    /// The command would change nothing (callers that only want the end
    /// state treat this as done).
    fn is_unchanged(&self) -> bool {
        false
    }
}
pub use store::{Durability, EventStore, StoreError, StoredEvent};
