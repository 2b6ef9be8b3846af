//! ispmon-scheduler: turns time into commands, and reaches the world.
//!
//! Jobs (ICMP sweeps, config pulls, FDB/NAS collection, billing sync, ONT
//! provisioning — added by their issues) implement [`Job`]: one idempotent
//! `run(scope)` that tests call directly, and that the [`Scheduler`] calls on
//! its [`Schedule`] (every N seconds, or a cron expression) or on command,
//! supervised, recording each run for the admin page. Each job's engine
//! lives here and sees the application only through a narrow world trait
//! that `src/` implements.
//!
//! - [`jobs`]: [`Job`], [`Scope`], [`Schedule`] and the [`Scheduler`]
//!   (status, `run_now(job, scope)`, `run(job, scope)`, `reschedule`).
//! - [`lease`]: leases in `telemetry.db`, so one run of a thing at a time
//!   across processes (and, later, nodes).
//! - [`config_pull`]: the config-pull engine (`PullWorld`, `Puller`) and its
//!   scheduled job.
//! - [`fdb`]: FDB (MAC table) collection: sightings, uplinks, MAC moves
//!   as events, and its scheduled job.
//! - [`nas`]: NAS (PPPoE) session polling: sessions as telemetry, login
//!   bindings as events, and its scheduled job.
//! - [`billing`]: billing as a `BillingSource` (the staff cabinet scraped,
//!   or an import file), and the sync engine and job over it.
//! - [`gpon`]: OLTs — the GPON model, dialect commands and parsers.
//! - [`folder_deletion`]: deleting a folder with hosts, as a process that
//!   survives a crash half way.
//! - [`sweep`]: the ICMP sweep engine and job (scopes, debounce,
//!   parent/child), over [`icmp`].
//! - [`icmp`]: the ICMP prober (`Prober`, `SurgePinger` on surge-ping).
//! - [`cli`]: CLI sessions over SSH and telnet (`CliConnector`), vendor
//!   dialects and their parsers.
//! - [`telemetry`]: ping samples with rollups and retention, last pull
//!   attempts (`telemetry.db`).
//! - [`subscriber_figures`]: billing figures that are not events (balance,
//!   credit as of a sync) and the syncs' reports (`telemetry.db`).
//! - [`reactor`]: the reactor kit — work that follows the event log
//!   (checkpoint, outbox, leases, retries, attempts) in `reactors.db`.
//! - [`notify`]: the notifier, the first reactor (webhook, Telegram).

pub mod billing;
pub mod cli;
pub mod config_pull;
pub mod fdb;
pub mod folder_deletion;
pub mod gpon;
pub mod icmp;
pub mod jobs;
pub mod lease;
pub mod nas;
pub mod notify;
pub mod reactor;
pub mod subscriber_figures;
pub mod sweep;
pub mod telemetry;
#[cfg(test)]
mod test_kit;

pub use jobs::{Job, JobFuture, JobStatus, Schedule, Scheduler, SchedulerError, Scope};
