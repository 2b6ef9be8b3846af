//! The billing sync's world: how the engine in `ispmon_scheduler::billing`
//! sees the application — the settings in force (the cabinet, its service
//! account unsealed only here, the schedule), the subscribers read model to
//! compare with, Subscriber commands, and the figures and reports kept in
//! telemetry. The engine, its job and its rules live in the scheduler
//! crate; this is the thin adapter.
//!
//! A subscriber whose page shows what ispmon has (the same fingerprint) is
//! not sent to the aggregate at all, so a sync where nothing changed costs
//! no command and writes no event. Changed ones are decided by the
//! aggregate, [`SETTLE_AT_ONCE`] at a time, behind the fetching: the
//! engine's next cards are read while earlier ones are recorded.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use ispmon_events::billing_settings::BillingSettingsValues;
use ispmon_events::subscriber::{
    BillingFolder, BillingView, BlockReason, Subscriber, SubscriberCommand,
};
use ispmon_events::Metadata;
use ispmon_projections::subscribers::{self, Known};
use ispmon_scheduler::billing::{
    BillingRecord, BillingSource, Blocked, CabinetConfig, CabinetSource, Folder, Listing,
    PageDigest, Seen, SyncReport, SyncWorld, Syncer,
};
use ispmon_scheduler::subscriber_figures::{FigureRow, Figures};
use tokio::sync::mpsc;

use crate::core::Core;

/// Subscriber commands decided at once while a sync records changes.
pub const SETTLE_AT_ONCE: usize = 16;
/// Figures written per transaction.
const FIGURES_BATCH: usize = 2000;

/// What a run in progress keeps.
struct Run {
    known: HashMap<String, Known>,
    figures: Vec<FigureRow>,
    /// Commands waiting to be decided (closed by `finish`).
    queue: Option<mpsc::Sender<(String, SubscriberCommand, Metadata)>>,
    /// The task deciding them; answers the errors.
    settling: Option<tokio::task::JoinHandle<Vec<String>>>,
}

/// The page a subscriber's last record was read from, and what that record
/// was: while the world's subscriber is still as it left it (the same
/// fingerprint) in the same folder, the same page again means the same
/// card, and its figures are these. Kept with the figures in
/// `telemetry.db` (as [`PageMemo::bytes`]), so it outlives a restart.
struct PageMemo {
    digest: PageDigest,
    folder: u64,
    fingerprint: u64,
    balance: Option<f64>,
    credit: Option<f64>,
}

impl PageMemo {
    const LEN: usize = 32;

    /// Digest, folder hash, fingerprint hash (the figures are their own
    /// columns).
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(Self::LEN);
        b.extend_from_slice(&self.digest);
        b.extend_from_slice(&self.folder.to_le_bytes());
        b.extend_from_slice(&self.fingerprint.to_le_bytes());
        b
    }

    /// `None` for bytes of another length (another version's memo: read
    /// the card).
    fn from_bytes(b: &[u8], figures: &Figures) -> Option<Self> {
        if b.len() != Self::LEN {
            return None;
        }
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Some(Self {
            digest: b[..16].try_into().ok()?,
            folder: u64_at(16),
            fingerprint: u64_at(24),
            balance: figures.balance,
            credit: figures.credit,
        })
    }
}

/// A hash that is the same in every process and build (it is stored):
/// the first 8 bytes of SHA-256 over the parts, each ended by a NUL.
fn hash_of(parts: &[&str]) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    u64::from_le_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

fn folder_hash(f: &Folder) -> u64 {
    hash_of(&[&f.id, &f.name])
}

/// A cabinet source kept between runs while the settings stay the same
/// (its session cookie with it).
struct Kept {
    key: (String, String, String, u32),
    source: Arc<dyn BillingSource>,
}

pub struct AppBillingWorld {
    core: Core,
    run: Mutex<Option<Run>>,
    kept: Mutex<Option<Kept>>,
    /// A source set for the next runs instead of the cabinet (file imports,
    /// tests).
    fixed: Mutex<Option<Arc<dyn BillingSource>>>,
    interval_s: AtomicU64,
    /// Session statistics fetched lately: (when, rows) by subscriber and period.
    stats: Mutex<HashMap<String, (std::time::Instant, StatRows)>>,
    /// By billing id, kept between runs (locked after `run` when both are).
    pages: Mutex<HashMap<String, PageMemo>>,
    /// Whether `pages` has been read back from `telemetry.db` since start.
    pages_loaded: std::sync::atomic::AtomicBool,
}

type StatRows = Arc<Vec<ispmon_scheduler::billing::StatRow>>;
/// How long fetched statistics are shown again without asking billing.
const STATS_TTL: Duration = Duration::from_secs(60);

/// The syncer over this application.
pub fn syncer(core: &Core) -> (Arc<Syncer>, Arc<AppBillingWorld>) {
    let world = Arc::new(AppBillingWorld {
        core: core.clone(),
        run: Mutex::new(None),
        kept: Mutex::new(None),
        fixed: Mutex::new(None),
        interval_s: AtomicU64::new(30 * 60),
        stats: Mutex::new(HashMap::new()),
        pages: Mutex::new(HashMap::new()),
        pages_loaded: std::sync::atomic::AtomicBool::new(false),
    });
    let syncer = Syncer::new(world.clone() as Arc<dyn SyncWorld>)
        .with_leases(ispmon_scheduler::lease::Leases::new(core.telemetry.clone()));
    (Arc::new(syncer), world)
}

fn blocked(b: Blocked) -> BlockReason {
    match b {
        Blocked::Disabled => BlockReason::Disabled,
        Blocked::LimitExceeded => BlockReason::LimitExceeded,
        Blocked::OutOfFunds => BlockReason::OutOfFunds,
    }
}

/// What the aggregate keeps of a record (volatile figures left out).
pub fn view_of(r: &BillingRecord) -> BillingView {
    let c = &r.card;
    let mut fields = BTreeMap::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v {
            fields.insert(k.to_string(), v.clone());
        }
    };
    put("login", Some(&c.login));
    put("display", Some(&r.display));
    put("full_name", c.full_name.as_ref());
    put("contract", c.contract.as_ref());
    put("contract_date", c.contract_date.as_ref());
    put("address", c.address.as_ref());
    put("email", c.email.as_ref());
    put("tariff", c.tariff.as_ref());
    put("ip", c.ip.as_ref());
    put("mac", c.mac.as_ref());
    put("connected", c.connected.as_ref());
    if !c.phones.is_empty() {
        fields.insert("phones".into(), c.phones.join(", "));
    }
    if c.dedicated_ip {
        fields.insert("dedicated_ip".into(), "yes".into());
    }
    Subscriber::tidy(BillingView {
        folder: BillingFolder {
            id: r.folder.id.clone(),
            name: r.folder.name.clone(),
        },
        fields,
        status: c.status.clone(),
        blocked: c.blocked.map(blocked),
    })
}

impl AppBillingWorld {
    /// Syncs from `source` instead of the cabinet until [`Self::clear_source`].
    pub fn use_source(&self, source: Arc<dyn BillingSource>) {
        *self.fixed.lock().expect("billing lock") = Some(source);
    }

    pub fn clear_source(&self) {
        *self.fixed.lock().expect("billing lock") = None;
    }

    fn stats_cache(&self, key: &str) -> Option<StatRows> {
        let g = self.stats.lock().expect("billing lock");
        g.get(key)
            .filter(|(at, _)| at.elapsed() < STATS_TTL)
            .map(|(_, rows)| Arc::clone(rows))
    }

    fn keep_stats(&self, key: String, rows: StatRows) {
        let mut g = self.stats.lock().expect("billing lock");
        g.retain(|_, (at, _)| at.elapsed() < STATS_TTL);
        if g.len() < 256 {
            g.insert(key, (std::time::Instant::now(), rows));
        }
    }

    /// The source in force (a source set for tests, else the cabinet of
    /// the settings), for the helpdesk import and outbox.
    pub async fn current_source(&self) -> Result<Arc<dyn BillingSource>, String> {
        let fixed = self.fixed.lock().expect("billing lock").clone();
        match fixed {
            Some(s) => Ok(s),
            None => self.cabinet(&self.settings().await?).await,
        }
    }

    pub async fn settings(&self) -> Result<BillingSettingsValues, String> {
        self.core
            .views
            .read(ispmon_projections::billing_settings::values)
            .await
            .map_err(|e| e.to_string())
    }

    /// The cabinet source of `settings` (kept while they stay the same).
    pub async fn cabinet(
        &self,
        settings: &BillingSettingsValues,
    ) -> Result<Arc<dyn BillingSource>, String> {
        if !settings.has_cabinet() {
            return Err(
                "billing is not configured: set the cabinet on Admin → Billing (or import a file)"
                    .into(),
            );
        }
        let r = settings
            .password_ref
            .as_ref()
            .ok_or("the billing service account has no password")?;
        let key = (
            settings.url.clone(),
            settings.login.clone(),
            r.0.clone(),
            settings.concurrency,
        );
        if let Some(k) = self.kept.lock().expect("billing lock").as_ref() {
            if k.key == key {
                return Ok(Arc::clone(&k.source));
            }
        }
        let password = self
            .core
            .secrets
            .get(r)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the billing password is missing from the secrets table")?;
        let password =
            String::from_utf8(password).map_err(|_| "the billing password is not text")?;
        let mut config = CabinetConfig::new(settings.url.clone(), settings.login.clone(), password);
        config.concurrency = settings.concurrency as usize;
        let source: Arc<dyn BillingSource> =
            Arc::new(CabinetSource::new(config).map_err(|e| e.to_string())?);
        *self.kept.lock().expect("billing lock") = Some(Kept {
            key,
            source: Arc::clone(&source),
        });
        Ok(source)
    }

    /// The memo of `id`'s page when the record it was taken with stands.
    fn standing<'a>(
        run: &Run,
        pages: &'a HashMap<String, PageMemo>,
        id: &str,
        folder: &Folder,
    ) -> Option<&'a PageMemo> {
        let k = run.known.get(id)?;
        let m = pages.get(id)?;
        (!k.left_billing
            && m.fingerprint == hash_of(&[&k.fingerprint])
            && m.folder == folder_hash(folder))
        .then_some(m)
    }

    /// Reads the page memos back from `telemetry.db`, once per process.
    async fn load_pages(&self) -> Result<(), String> {
        if self.pages_loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let rows = self
            .core
            .telemetry
            .readers()
            .run(ispmon_scheduler::subscriber_figures::pages)
            .await
            .map_err(|e| format!("reading the billing pages last seen: {e}"))?;
        let mut pages = self.pages.lock().expect("billing lock");
        for (id, figures, bytes) in rows {
            if let Some(m) = PageMemo::from_bytes(&bytes, &figures) {
                pages.entry(id).or_insert(m);
            }
        }
        self.pages_loaded.store(true, Ordering::Release);
        Ok(())
    }

    fn start_run(&self, known: HashMap<String, Known>) {
        let (tx, rx) = mpsc::channel::<(String, SubscriberCommand, Metadata)>(SETTLE_AT_ONCE * 8);
        let commands = self.core.commands.clone();
        let settling = tokio::spawn(async move {
            tokio_stream_of(rx)
                .map(|(id, cmd, meta)| {
                    let commands = commands.clone();
                    async move {
                        commands
                            .execute_settled::<Subscriber>(&id, cmd, &meta)
                            .await
                            .err()
                            .map(|e| format!("subscriber {id}: {e}"))
                    }
                })
                .buffer_unordered(SETTLE_AT_ONCE)
                .filter_map(|e| async move { e })
                .collect::<Vec<String>>()
                .await
        });
        *self.run.lock().expect("billing lock") = Some(Run {
            known,
            figures: Vec::new(),
            queue: Some(tx),
            settling: Some(settling),
        });
    }

    async fn flush_figures(&self, all: bool) -> Result<(), String> {
        let batch = {
            let mut g = self.run.lock().expect("billing lock");
            let Some(run) = g.as_mut() else { return Ok(()) };
            if !all && run.figures.len() < FIGURES_BATCH {
                return Ok(());
            }
            std::mem::take(&mut run.figures)
        };
        if batch.is_empty() {
            return Ok(());
        }
        self.core
            .telemetry
            .record_figures(batch)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A receiver as a stream.
fn tokio_stream_of<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[async_trait::async_trait]
impl SyncWorld for AppBillingWorld {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        let settings = self.settings().await?;
        self.interval_s
            .store(settings.interval().as_secs(), Ordering::Relaxed);
        let fixed = self.fixed.lock().expect("billing lock").clone();
        let source = match fixed {
            Some(s) => s,
            None => self.cabinet(&settings).await?,
        };
        let known = self
            .core
            .views
            .read(subscribers::known)
            .await
            .map_err(|e| e.to_string())?;
        self.load_pages().await?;
        self.start_run(known);
        Ok(source)
    }

    async fn seen(&self, record: BillingRecord, meta: &Metadata) -> Result<Seen, String> {
        let view = view_of(&record);
        let id = record.card.billing_id.clone();
        let (seen, queue) = {
            let mut g = self.run.lock().expect("billing lock");
            let run = g.as_mut().ok_or("no sync in progress")?;
            let fingerprint = view.fingerprint();
            let memo = record.page.map(|digest| PageMemo {
                digest,
                folder: folder_hash(&record.folder),
                fingerprint: hash_of(&[&fingerprint]),
                balance: record.card.balance,
                credit: record.card.credit,
            });
            run.figures.push((
                id.clone(),
                Figures {
                    balance: record.card.balance,
                    credit: record.card.credit,
                    synced_at: chrono::Utc::now().timestamp(),
                },
                memo.as_ref().map(PageMemo::bytes),
            ));
            {
                let mut pages = self.pages.lock().expect("billing lock");
                match memo {
                    Some(m) => pages.insert(id.clone(), m),
                    None => pages.remove(&id),
                };
            }
            let seen = match run.known.get(&id) {
                Some(k) if k.fingerprint == fingerprint && !k.left_billing => Seen::Unchanged,
                Some(_) => Seen::Changed,
                None => Seen::New,
            };
            run.known.insert(
                id.clone(),
                Known {
                    fingerprint,
                    folder_id: view.folder.id.clone(),
                    left_billing: false,
                },
            );
            (seen, run.queue.clone())
        };
        if seen != Seen::Unchanged {
            let queue = queue.ok_or("the sync has finished")?;
            queue
                .send((id, SubscriberCommand::Sync { view }, meta.clone()))
                .await
                .map_err(|_| "the sync's recording stopped".to_string())?;
        }
        self.flush_figures(false).await?;
        Ok(seen)
    }

    fn known_page(&self, id: &str, folder: &Folder) -> Option<PageDigest> {
        let g = self.run.lock().expect("billing lock");
        let pages = self.pages.lock().expect("billing lock");
        Self::standing(g.as_ref()?, &pages, id, folder).map(|m| m.digest)
    }

    async fn seen_same(
        &self,
        id: &str,
        folder: &Folder,
        _meta: &Metadata,
    ) -> Result<Option<Seen>, String> {
        {
            let mut g = self.run.lock().expect("billing lock");
            let run = g.as_mut().ok_or("no sync in progress")?;
            let pages = self.pages.lock().expect("billing lock");
            let Some(m) = Self::standing(run, &pages, id, folder) else {
                return Ok(None);
            };
            let figures = Figures {
                balance: m.balance,
                credit: m.credit,
                synced_at: chrono::Utc::now().timestamp(),
            };
            run.figures.push((id.to_string(), figures, Some(m.bytes())));
        }
        self.flush_figures(false).await?;
        Ok(Some(Seen::Unchanged))
    }

    async fn finish(&self, listing: &Listing, meta: &Metadata) -> Result<usize, String> {
        // Pages of subscribers billing no longer lists are not asked again.
        self.pages
            .lock()
            .expect("billing lock")
            .retain(|id, _| listing.seen.contains(id));
        let listed: std::collections::HashSet<&str> =
            listing.folders.iter().map(|f| f.id.as_str()).collect();
        let (leaving, queue) = {
            let mut g = self.run.lock().expect("billing lock");
            let run = g.as_mut().ok_or("no sync in progress")?;
            let leaving: Vec<String> = run
                .known
                .iter()
                .filter(|(id, k)| {
                    !k.left_billing
                        && !listing.seen.contains(*id)
                        && (listing.complete.contains(&k.folder_id)
                            || (listing.root_ok && !listed.contains(k.folder_id.as_str())))
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in &leaving {
                if let Some(k) = run.known.get_mut(id) {
                    k.left_billing = true;
                }
            }
            (leaving, run.queue.take())
        };
        if let Some(queue) = queue {
            for id in &leaving {
                queue
                    .send((id.clone(), SubscriberCommand::MarkLeft, meta.clone()))
                    .await
                    .map_err(|_| "the sync's recording stopped".to_string())?;
            }
        }
        let settling = self
            .run
            .lock()
            .expect("billing lock")
            .as_mut()
            .and_then(|r| r.settling.take());
        let errors = match settling {
            Some(h) => h.await.map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        self.flush_figures(true).await?;
        if !errors.is_empty() {
            for e in errors.iter().take(20) {
                tracing::error!(error = %e, "billing sync: recording a subscriber failed");
            }
            return Err(format!(
                "{} subscriber change(s) could not be recorded; the first: {}",
                errors.len(),
                errors[0]
            ));
        }
        Ok(leaving.len())
    }

    async fn record(&self, report: &SyncReport) {
        // A run whose root listing failed does not call `finish`: record
        // what was decided anyway, then drop the run.
        let settling = {
            let mut g = self.run.lock().expect("billing lock");
            g.as_mut().and_then(|r| {
                r.queue.take();
                r.settling.take()
            })
        };
        if let Some(h) = settling {
            let _ = h.await;
        }
        if let Err(e) = self.flush_figures(true).await {
            tracing::warn!(error = %e, "billing sync: keeping the figures");
        }
        *self.run.lock().expect("billing lock") = None;
        let json = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
        if let Err(e) = self
            .core
            .telemetry
            .record_sync(report.started_at.timestamp(), report.error.is_none(), json)
            .await
        {
            tracing::warn!(error = %e, "billing sync: keeping the report");
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_s.load(Ordering::Relaxed).max(60))
    }
}

/// The last sync reports (newest first).
pub async fn last_syncs(
    core: &Core,
    n: usize,
) -> crate::error::AppResult<Vec<ispmon_scheduler::subscriber_figures::SyncRecord>> {
    Ok(core
        .telemetry
        .readers()
        .run(move |t| ispmon_scheduler::subscriber_figures::last_syncs(t, n))
        .await?)
}

/// Settings as an admin typed them (page or API); the password is
/// write-only: `None` or empty keeps the stored one. No `Debug`.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub url: String,
    pub login: String,
    pub password: Option<String>,
    pub schedule: Option<serde_json::Value>,
    pub concurrency: Option<serde_json::Value>,
}

fn number_field(v: &Option<serde_json::Value>, default: u32) -> Result<u32, ()> {
    match v {
        None => Ok(default),
        Some(serde_json::Value::Number(n)) => {
            n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or(())
        }
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(default),
        Some(serde_json::Value::String(s)) => s.trim().parse().map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// Validates and records new settings; the field errors otherwise.
pub async fn save_settings(
    st: &crate::state::AppState,
    input: SettingsInput,
    meta: &Metadata,
) -> Result<(), crate::error::AppError> {
    use ispmon_events::billing_settings::{BillingSettingsCommand, CONCURRENCY, SCHEDULE_MIN};
    use ispmon_events::fdb_settings::out_of_range;
    let current = st
        .core
        .views
        .read(ispmon_projections::billing_settings::values)
        .await?;
    let mut errors = crate::pages::components::FormErrors::default();
    let schedule_min = number_field(&input.schedule, current.schedule_min).unwrap_or_else(|_| {
        errors.add("schedule", out_of_range(&SCHEDULE_MIN, " min"));
        0
    });
    let concurrency = number_field(&input.concurrency, current.concurrency).unwrap_or_else(|_| {
        errors.add("concurrency", out_of_range(&CONCURRENCY, ""));
        0
    });
    let password = input
        .password
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if password.is_some_and(|p| p.chars().count() > 200) {
        errors.add("password", "at most 200 characters");
    }
    let url = input.url.trim().to_string();
    let mut values = BillingSettingsValues {
        url: url.clone(),
        login: input.login.trim().to_string(),
        // Stands in for a new password's reference until the input is valid.
        password_ref: match password {
            Some(_) => Some(ispmon_events::secrets::SecretRef(String::new())),
            None => current.password_ref.clone(),
        },
        schedule_min,
        concurrency,
    };
    if errors.is_empty() {
        for (field, m) in values.errors() {
            errors.add(field, m);
        }
    }
    if !url.is_empty() && errors.get("url").is_none() && reqwest::Url::parse(&url).is_err() {
        errors.add("url", "not a valid URL");
    }
    if !errors.is_empty() {
        return Err(crate::error::AppError::Invalid(errors));
    }
    if let Some(p) = password {
        let same = match &current.password_ref {
            Some(r) => st.core.secrets.get(r).await?.as_deref() == Some(p.as_bytes()),
            None => false,
        };
        values.password_ref = if same {
            current.password_ref.clone()
        } else {
            Some(
                st.core
                    .secrets
                    .put("billing-password", p.as_bytes())
                    .await?,
            )
        };
    }
    match st
        .core
        .commands
        .billing_settings(BillingSettingsCommand::Change(values), meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_unchanged() => Ok(()),
        Err(e) => Err(crate::error::AppError::Invalid(
            crate::pages::components::FormErrors::from_command(e, crate::i18n::Locale::En)?,
        )),
    }
}

/// Logs in to the cabinet and lists its folders: what "test connection"
/// says (never the password).
pub async fn test_connection(st: &crate::state::AppState) -> Result<String, String> {
    let settings = st.billing_world.settings().await?;
    let source = st.billing_world.cabinet(&settings).await?;
    let folders = source.folders().await.map_err(|e| e.to_string())?;
    Ok(format!(
        "logged in to {} as {}: {} folder(s)",
        settings.url,
        settings.login,
        folders.len()
    ))
}

/// A subscriber's session statistics for a period, fetched live from the
/// cabinet (kept a minute, so a second look does not ask again).
pub async fn session_stats(
    st: &crate::state::AppState,
    billing_id: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Arc<Vec<ispmon_scheduler::billing::StatRow>>, String> {
    let key = format!("{billing_id}|{from}|{to}");
    if let Some(hit) = st.billing_world.stats_cache(&key) {
        return Ok(hit);
    }
    let settings = st.billing_world.settings().await?;
    let source = st.billing_world.cabinet(&settings).await?;
    let rows = Arc::new(
        source
            .sessions(billing_id, from, to)
            .await
            .map_err(|e| e.to_string())?,
    );
    st.billing_world.keep_stats(key, Arc::clone(&rows));
    Ok(rows)
}
