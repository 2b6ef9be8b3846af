//! ispmon: the operations console of an ISP — web edge and process.
//!
//! Data flows one way: route → command → aggregate (`ispmon-events`) → event
//! store → projector (`ispmon-projections`) → read model → page.
//!
//! - [`cli`]: the command line; [`app`]: building and running the server.
//! - [`config`]: settings; [`core`]: store, read models, secrets, commands.
//! - [`commands`]: issuing commands with read-your-writes.
//! - [`routes`]: the router and the permission table.
//! - [`auth`]: sessions, API tokens, CSRF, throttling, the guard middleware.
//! - [`pages`]: one module per view (maud + htmx); [`api`]: `/api/v1`.
//! - [`observe`]: request ids, logs, `/metrics`; [`error`]: `AppError`.
//! - [`i18n`]: the en/ru catalog; [`static_files`]: embedded htmx and CSS.
//! - [`demo`]: the demo data set; [`memo`]: caches of reads per data version.
//! - The scheduler jobs' worlds (thin adapters of engines in
//!   `ispmon-scheduler`): [`sweep_world`] (the ICMP sweep), [`devices`]'s
//!   `pull` (config pulls), [`fdb`] (MAC table collection), [`nas`] (NAS
//!   sessions),
//!   [`folder_deletion`].
//! - [`search`]: Search Port's queries (a MAC, an IP, a name), shared by
//!   the page and [`api_search`].
//! - [`sweep_command`]: `ispmon sweep`, one fping-like round from the CLI.
//! - [`api_hosts`], [`api_devices`]: the hosts and devices JSON API.
//! - [`notify`]: the notifier reactor wired to the app (its world over the
//!   settings view and the secrets table; the handle pages and tests use).

/// mimalloc instead of glibc's malloc: the command path, the sweep and the
/// replay allocate and free many small JSON values and strings across
/// threads, where glibc's arenas spent a fifth of the sweep's time in
/// `malloc`/`free`/`malloc_consolidate` (see `docs/performance.md`). Built
/// with `no_thp`: with transparent huge pages its arenas took a config pull
/// of 200 devices from 31 MB to 340 MB of RSS; without them, 51 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod api_devices;
pub mod api_hosts;
pub mod api_search;
pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod core;
pub mod demo;
pub mod devices;
pub mod error;
pub mod fdb;
pub mod folder_deletion;
pub mod i18n;
pub mod memo;
pub mod nas;
pub mod notify;
pub mod observe;
pub mod pages;
pub mod routes;
pub mod search;
pub mod state;
pub mod static_files;
pub mod sweep_command;
pub mod sweep_world;
