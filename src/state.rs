//! The application state every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::memo::{DataVersion, Memo};

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
    /// The FDB (MAC table) collector, over the puller's CLI sessions.
    pub fdb: Arc<crate::fdb::Collector>,
    /// The NAS session poller, over the puller's CLI sessions.
    pub nas: Arc<crate::nas::Poller>,
    /// The GPON poller (OLT inventory, ONT state and optics, autofind), over
    /// the puller's CLI sessions; the registration saga uses it too.
    pub gpon: Arc<ispmon_scheduler::gpon::poll::GponPoller>,
    /// The billing sync (the engine in the scheduler crate; run by its
    /// job, "sync now" and imports) and its world.
    pub billing: Arc<ispmon_scheduler::billing::Syncer>,
    pub billing_world: Arc<crate::billing::AppBillingWorld>,
    /// The billing helpdesk import (its job and "import now").
    pub helpdesk: Arc<ispmon_scheduler::billing::HelpdeskSyncer>,
    /// What reads produced, per data version (see [`crate::memo`]).
    pub memos: Arc<Memos>,
}

/// The memos of the guard and of the pages many people keep open.
pub struct Memos {
    /// Open sessions by id, as the guard reads them.
    pub sessions: Memo<String, ispmon_projections::sessions::SessionRow>,
    /// The board's shared part by language and URL.
    pub board: Memo<String, crate::pages::icmp::board::BoardPart>,
    /// The dashboard's panels by language and role.
    pub dashboard: Memo<String, maud::Markup>,
    /// The ticket list's table by language, tab, order, page and "mine".
    pub tickets: Memo<String, maud::Markup>,
    /// The tickets API's list answers (JSON) by query.
    pub tickets_api: Memo<String, String>,
    /// Every live device, as searches name and address them.
    pub devices: Memo<(), Vec<ispmon_projections::devices::DeviceRow>>,
    /// The billing folder tree's counts (a GROUP BY over every subscriber).
    pub billing_folders: Memo<(), Vec<ispmon_projections::subscribers::FolderCount>>,
    /// The request board's pages (and the requests API's) by query.
    pub request_board: Memo<
        ispmon_projections::requests::BoardQuery,
        (Vec<ispmon_projections::requests::RequestView>, i64),
    >,
    /// An installer's visits by (installer, day).
    pub installer_days: Memo<(String, String), Vec<ispmon_projections::requests::RequestView>>,
    /// The request board's folders with their counts.
    pub request_folders: Memo<(), (Vec<ispmon_projections::requests::FolderView>, i64)>,
}

impl Default for Memos {
    fn default() -> Self {
        Self {
            sessions: Memo::new(4096, Duration::from_secs(10)),
            board: Memo::new(64, Duration::from_secs(2)),
            dashboard: Memo::new(16, Duration::from_secs(2)),
            tickets: Memo::new(256, Duration::from_secs(2)),
            tickets_api: Memo::new(256, Duration::from_secs(2)),
            devices: Memo::new(1, Duration::from_secs(2)),
            billing_folders: Memo::new(1, Duration::from_secs(5)),
            request_board: Memo::new(256, Duration::from_secs(2)),
            request_folders: Memo::new(1, Duration::from_secs(2)),
            installer_days: Memo::new(256, Duration::from_secs(2)),
        }
    }
}

impl AppState {
    /// Every live device, read once per data version (each search names
    /// the switches it shows; at 500 switches a read and decode per search
    /// was most of its time).
    pub async fn live_devices(
        &self,
    ) -> crate::error::AppResult<Arc<Vec<ispmon_projections::devices::DeviceRow>>> {
        let version = self.data_version();
        let core = self.core.clone();
        self.memos
            .devices
            .get_or_load((), version, || async move {
                core.views
                    .read(ispmon_projections::devices::all_live)
                    .await
                    .map_err(crate::error::AppError::from)
            })
            .await
    }

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
        let fdb = crate::fdb::collector(&core, config_cache.clone(), Arc::clone(&puller));
        let nas = crate::nas::poller(&core, Arc::clone(&puller));
        let (billing, billing_world) = crate::billing::syncer(&core);
        let helpdesk = crate::helpdesk::syncer(&core, Arc::clone(&billing_world));
        let gpon = crate::gpon::poller(&core, Arc::clone(&puller), settings.gpon_budget_window);
        Self {
            gpon,
            billing,
            billing_world,
            helpdesk,
            fdb,
            nas,
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
            memos: Arc::new(Memos::default()),
        }
    }

    /// The version of the data reads see now (read it before reading).
    pub fn data_version(&self) -> DataVersion {
        DataVersion {
            views: self.core.views.position(),
            events: self.core.store.head(),
            telemetry: self.core.telemetry.generation(),
            jobs: self.scheduler.generation(),
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
