//! The application state every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::auth::throttle::Throttle;
use crate::config::Settings;
use crate::core::Core;
use crate::observe::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub settings: Arc<Settings>,
    pub throttle: Arc<Throttle>,
    pub metrics: Arc<Metrics>,
    /// Last request time per session id (RFC 3339); kept in memory only.
    pub activity: Arc<Mutex<HashMap<String, String>>>,
    pub csrf_key: Arc<[u8; 32]>,
    pub sweeper: Arc<ispmon_scheduler::sweep::Sweeper>,
    pub scheduler: ispmon_scheduler::Scheduler,
    /// Config pulls and "test connection" over device CLIs (the engine in
    /// the scheduler crate; run by the scheduler's config-pull job).
    pub puller: Arc<crate::devices::pull::Puller>,
    /// Stored config texts, read from the blob store once.
    pub config_cache: crate::devices::ConfigCache,
}

impl AppState {
    pub fn new(core: Core, settings: Settings) -> Self {
        Self::with_cli(core, settings, Arc::new(ispmon_scheduler::cli::Network))
    }

    /// The state over a given CLI gateway (tests and benches swap in
    /// emulators or fakes).
    pub fn with_cli(
        core: Core,
        settings: Settings,
        cli: Arc<dyn ispmon_scheduler::cli::CliConnector>,
    ) -> Self {
        let csrf_key = Arc::new(core.key.derive("csrf"));
        let sweeper = crate::sweep_world::sweeper(&core);
        let config_cache = crate::devices::ConfigCache::default();
        let puller = crate::devices::pull::puller(
            &core,
            config_cache.clone(),
            cli,
            settings.cli_sessions,
            settings.cli_timeouts,
        );
        Self {
            core,
            settings: Arc::new(settings),
            throttle: Arc::new(Throttle::default()),
            metrics: Arc::new(Metrics::default()),
            activity: Arc::new(Mutex::new(HashMap::new())),
            csrf_key,
            sweeper,
            scheduler: ispmon_scheduler::Scheduler::new(),
            puller,
            config_cache,
        }
    }

    /// One row of a read model by id (`get` is a projection's lookup), or
    /// `NotFound`.
    pub async fn find<T: Send + 'static>(
        &self,
        id: &str,
        get: fn(&rusqlite::Connection, &str) -> rusqlite::Result<Option<T>>,
    ) -> crate::error::AppResult<T> {
        let id = id.to_string();
        self.core
            .views
            .read(move |c| get(c, &id))
            .await?
            .ok_or(crate::error::AppError::NotFound)
    }

    /// Records activity of a session.
    pub fn touch(&self, session_id: &str) {
        let now = ispmon_events::store::now_rfc3339();
        self.activity
            .lock()
            .expect("activity lock")
            .insert(session_id.to_string(), now);
    }

    pub fn last_seen(&self, session_id: &str) -> Option<String> {
        self.activity
            .lock()
            .expect("activity lock")
            .get(session_id)
            .cloned()
    }
}
