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
//!   sessions), [`gpon`] (OLT polls and the registration saga),
//!   [`folder_deletion`].
//! - [`search`]: Search Port's queries (a MAC, an IP, a name), shared by
//!   the page and [`api_search`].
//! - [`sweep_command`]: `ispmon sweep`, one fping-like round from the CLI.
//! - [`api_hosts`], [`api_devices`]: the hosts and devices JSON API.
//! - [`tickets`]: repair tickets (HelpDesk) for the pages and [`api_tickets`];
//!   [`sla`]: the SLA settings read from forms and JSON, for the admin page
//!   and [`api_sla`].
//! - [`requests`]: connection requests and their board (ConnectStatements)
//!   for the pages and [`api_requests`].
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

/// mimalloc's options, set where the process opens its data
/// ([`core::Core::start`]), so the server, the CLI, the tests and the
/// benches run the same allocator.
pub mod allocator {
    use std::os::raw::{c_int, c_long};

    // From libmimalloc-sys's bundled mimalloc (v3, its default; `mi_option_e`), linked
    // in by the `mimalloc` crate; declared here so no extra crate is needed.
    extern "C" {
        fn mi_option_get(option: c_int) -> c_long;
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// `mi_option_purge_delay`: the 16th option of `mi_option_e`.
    const PURGE_DELAY: c_int = 15;

    /// Freed memory is given back to the OS at once instead of after 1 s.
    /// Hundreds of FDB collections finishing within the same seconds each
    /// free their tables on whichever thread they ran; with the delay, every
    /// thread's freed pages were still resident when the next wave came:
    /// the collection of 511 switches peaked at 170–196 MB, with no delay at
    /// 139 MB, no slower (`benches/fdb.rs`).
    pub fn tune() {
        // SAFETY: plain setters/getters of mimalloc's global options, safe
        // to call at any time from any thread.
        unsafe { mi_option_set(PURGE_DELAY, 0) }
    }

    /// The current purge delay in milliseconds.
    pub fn purge_delay_ms() -> c_long {
        // SAFETY: as above.
        unsafe { mi_option_get(PURGE_DELAY) }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_purge_delay_option_is_the_one_set() {
            // The index names the right option: its neighbours hold their
            // defaults (the deprecated eager_commit_delay 1, use_numa_nodes 0),
            // and it holds mimalloc v3's 1000 ms (or 0, if this process has
            // tuned it already).
            // SAFETY: reading mimalloc's options.
            let (before, after) = unsafe { (mi_option_get(14), mi_option_get(16)) };
            assert_eq!((before, after), (1, 0));
            assert!(matches!(purge_delay_ms(), 0 | 1000), "{}", purge_delay_ms());
            tune();
            assert_eq!(purge_delay_ms(), 0);
        }
    }
}

pub mod api;
pub mod api_billing;
pub mod api_devices;
pub mod api_gpon;
pub mod api_hosts;
pub mod api_requests;
pub mod api_search;
pub mod api_sla;
pub mod api_subscribers;
pub mod api_tickets;
pub mod app;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod commands;
pub mod config;
pub mod core;
pub mod demo;
pub mod devices;
pub mod error;
pub mod fdb;
pub mod folder_deletion;
pub mod gpon;
pub mod helpdesk;
pub mod i18n;
pub mod memo;
pub mod nas;
pub mod notify;
pub mod observe;
pub mod pages;
pub mod requests;
pub mod routes;
pub mod search;
pub mod sla;
pub mod state;
pub mod static_files;
pub mod subscribers;
pub mod sweep_command;
pub mod sweep_world;
pub mod tickets;
