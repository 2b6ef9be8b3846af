//! GPON: OLTs (Huawei SmartAX, ZTE C3xx) — the vendor-neutral model, the
//! dialects' commands and parsers, polling, and registration and deletion
//! as sagas.
//!
//! - [`model`]: records, [`model::GponCli`], SN and port forms, signal classes.
//! - [`session`]: one OLT session — modes, the poll budget, step transcripts.
//! - [`poll`]: the poller (inventory, ONT state and optics, autofind) and
//!   its world trait.
//! - [`readings`]: optical readings as telemetry.
//! - [`saga`]: the registration/deletion reactor.
//! - [`job`]: the scheduled polls.

pub mod job;
pub mod model;
pub mod poll;
pub mod readings;
pub mod saga;
pub mod session;

pub use model::*;
