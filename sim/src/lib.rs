//! ispmon-sim: emulators of the outside world for tests, benchmarks and
//! `ispmon demo`. Everything listens on loopback only.
//!
//! - [`billing`]: the billing's staff web cabinet over HTTP (windows-1251
//!   pages a scraper reads), its subscribers derived from the [`population`].
//! - [`shell`]: the [`Shell`] trait every emulated device CLI implements (pure
//!   state machine: bytes in, [`Step`]s out), the device model
//!   ([`DeviceSpec`], [`DeviceState`], [`Fault`]).
//! - [`gpon`]: the GPON model both OLT emulators (SmartAX, ZTE C320) share.
//! - [`shells`]: one shell per vendor dialect, speaking it from in-memory
//!   state — prompts, enable, paging exactly as the real gear pages.
//! - [`telnet`] / [`ssh`]: servers that carry a shell over telnet (IAC
//!   negotiation) or SSH (russh server, password auth).
//! - [`fleet`]: start N devices of mixed dialects on consecutive loopback
//!   ports from one call.
//! - [`population`]: one seeded network (core, aggregation and access
//!   switches, MikroTik NAS, subscribers) whose MAC tables, configs and PPPoE
//!   sessions agree, and churn on it while it runs.

pub mod billing;
pub mod fleet;
pub mod gpon;
pub mod population;
pub mod shell;
pub mod shells;
pub mod ssh;
pub mod telnet;

pub use fleet::{Fleet, SimDevice};
pub use gpon::{Autofind, Board, GponError, GponOlt, OltVendor, Ont, OntMac, Profile, ServicePort};
pub use population::{
    ChurnError, Downlink, LivePopulation, PopDevice, PopSwitch, Population, PopulationSize, Role,
    Subscriber, SubscriberOnt, WaitingOnt,
};
pub use shell::{
    CommandFault, Counters, DeviceSpec, DeviceState, Fault, FaultAction, Kind, MacRow, PppRow,
    Shell, Stats, Step, Transport,
};
