//! Talking to network devices over their command line.
//!
//! - [`dialect`]: the vendor dialects as pure data and pure parsers — how to
//!   log in, recognise the prompt and the pager, disable paging, which command
//!   prints the version, the config, the MAC table, and parsers from their
//!   text to typed records. No I/O.
//! - [`session`]: the [`CliSession`](session::CliSession) trait, its errors,
//!   timeouts, credentials and transcript, and the dialogue engine shared by
//!   both transports (login, enable, paging, prompt wait, output cleaning).
//! - [`connector`]: [`CliConnector`], the gateway jobs hold as a trait
//!   object (the network, or an emulator in tests).
//! - [`ssh`] (russh client) and [`telnet`] (IAC negotiation): the transports.
//! - [`text`]: byte-level cleaning (ANSI/cursor escapes, backspaces) and
//!   cp1251/UTF-8 decoding.

pub mod connector;
pub mod dialect;
pub mod session;
pub mod ssh;
pub mod telnet;
pub mod text;

pub use connector::{CliConnector, Network};
pub use dialect::{
    canonical_port, find_mac_in_text, normalise_mac, Dialect, MacEntry, ParseError, PppSession,
    TrunkPort, VersionInfo,
};
