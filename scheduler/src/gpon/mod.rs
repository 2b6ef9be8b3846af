//! GPON: OLTs (Huawei SmartAX, ZTE C3xx) — the vendor-neutral model and
//! the dialects' commands and parsers.
//!
//! - [`model`]: records, [`model::GponCli`], SN and port forms, signal classes.

pub mod model;

pub use model::*;
