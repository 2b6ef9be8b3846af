//! GPON: OLTs (Huawei SmartAX, ZTE C3xx) — the vendor-neutral model and
//! the dialects' commands and parsers.
//!
//! - [`model`]: records, [`model::GponCli`], SN and port forms, signal classes.
//! - [`huawei`]: [`huawei::SmartaxGpon`], SmartAX MA5608T/MA5600T/MA5800.
//! - [`zte`]: [`zte::ZteGpon`], ZTE C300/C320.

pub mod huawei;
pub mod model;
mod read;
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
