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

pub mod blobs;
pub mod device;
pub mod firmware;
pub mod folder;
pub mod host;
pub mod icmp_settings;
pub mod metadata;
pub mod notify_settings;
pub mod registry;
pub mod reservations;
pub mod secrets;
pub mod sqlite;
pub mod store;
pub mod user;
pub mod values;

pub use metadata::{Metadata, Source};
pub use store::{Durability, EventStore, StoreError, StoredEvent};
