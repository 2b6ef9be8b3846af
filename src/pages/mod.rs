//! Pages, one module per view, rendered with maud. A handler returns the
//! whole page, or only the fragment when htmx asked (`Ctx::htmx`).

pub mod account;
pub mod audit;
pub mod billing;
pub mod charts;
pub mod components;
pub mod configs;
pub mod device_fdb;
pub mod devices;
pub mod devices_csv;
pub mod fdb_settings;
pub mod firmware;
pub mod gpon;
pub mod home;
pub mod icmp;
pub mod jobs;
pub mod layout;
pub mod login;
pub mod notifications;
pub mod request_board;
pub mod requests;
pub mod search;
pub mod sessions;
pub mod sla;
pub mod subscribers;
pub mod tickets;
pub mod users;
