//! GPON: OLTs (Huawei SmartAX, ZTE C3xx) — the vendor-neutral model, the
//! dialects' commands and parsers, polling, and registration and deletion
//! as sagas.
//!
//! - [`model`]: records, [`model::GponCli`], SN and port forms, signal classes.
//! - [`huawei`]: [`huawei::SmartaxGpon`], SmartAX MA5608T/MA5600T/MA5800.
//! - [`zte`]: [`zte::ZteGpon`], ZTE C300/C320.
//! - [`session`]: one OLT session — modes, the poll budget, step transcripts.
//! - [`poll`]: the poller (inventory, ONT state and optics, autofind) and
//!   its world trait.
//! - [`readings`]: optical readings as telemetry.
//! - [`saga`]: the registration/deletion reactor.
//! - [`job`]: the scheduled polls.

pub mod huawei;
pub mod job;
pub mod model;
pub mod poll;
mod read;
pub mod readings;
pub mod saga;
pub mod session;
pub mod zte;

pub use model::*;

use crate::cli::Dialect;

/// The GPON dialect of an OLT's CLI dialect; `None` for switches and routers.
pub fn gpon_cli(d: Dialect) -> Option<&'static dyn GponCli> {
    match d {
        Dialect::HuaweiSmartax => Some(&huawei::SmartaxGpon),
        Dialect::ZteC300 => Some(&zte::ZTE),
        _ => None,
    }
}
