//! Notifications on host state transitions: a webhook (JSON POST) and the
//! Telegram Bot API.
//!
//! The notifier tails the event log from its own checkpoint in
//! `DATA/notify.db` (not a read model: sending is a side effect, so it is
//! never replayed). For each `HostWentDown`, `HostDegraded` and `HostCameUp`
//! it judges the host as it was just before the event (folded from the log,
//! so the verdict does not depend on when the notifier runs): unreachable
//! children are not told, a change inside a maintenance window at the event's
//! `recorded_at` is skipped (and listed as skipped). Which channels get it is
//! decided by the notification settings as of the event's place in the log.
//!
//! Queuing is exactly once: the deliveries and the checkpoint are written in
//! one transaction. Sending is **at least once**: a delivery is marked sent
//! after the receiver answered 2xx, so a crash between the answer and that
//! write sends it again after the restart (webhook bodies carry the event's
//! `seq` so a receiver can drop repeats). Failed attempts are retried with
//! backoff ([`send::backoff`]: 1 s, 2 s, 4 s … 10 min, at most
//! [`send::MAX_ATTEMPTS`]); 3xx/4xx answers other than 408/429 are not
//! retried. Every attempt is recorded in `notify_attempts` for the admin page.
//! Destinations (the webhook URL, the chat and the bot token) are read at
//! send time, so a corrected setting applies to deliveries still retrying.
//!
//! The bot token lives only in the secrets table: it is read when a message
//! is sent and never written to events, `notify.db`, logs or pages.
//!
//! - [`message`]: what a host event is worth telling, and the words.
//! - [`send`]: one HTTP delivery and the retry policy.
//! - [`db`]: `notify.db` — checkpoint, outbox, attempts.

pub mod db;
pub mod message;
pub mod send;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispmon_events::host::{Host, HostEvent};
use ispmon_events::notify_settings::{NotifySettingsEvent, NotifySettingsValues, SETTINGS_ID};
use ispmon_events::secrets::{SecretRef, Secrets};
use ispmon_events::{EventStore, StoredEvent};
use ispmon_projections::Views;
use rusqlite::Connection;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use message::{Channel, Verdict};
use send::Outcome;

/// Events read from the log per queuing transaction.
const BATCH: usize = 500;
/// Deliveries claimed per round.
const CLAIM: usize = 20;
/// A claimed delivery is someone else's for this long (covers one request).
const LEASE: Duration = Duration::from_secs(120);
/// The task looks at the outbox at least this often when idle.
const IDLE: Duration = Duration::from_secs(30);
/// Finished deliveries and attempts are kept this long.
const RETENTION_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notify.db: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("event store: {0}")]
    Store(#[from] ispmon_events::StoreError),
    #[error("event {seq} cannot be read: {err}")]
    Decode { seq: u64, err: serde_json::Error },
    #[error("{0}")]
    Task(String),
}

/// What one [`Notifier::run_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Deliveries queued from new events.
    pub queued: usize,
    /// Events silenced (maintenance).
    pub skipped: usize,
    pub sent: usize,
    /// Attempts that failed (to be retried or given up).
    pub failed: usize,
}

/// Handle to the notifier; cheap to clone. Several handles may work on the
/// same data dir at once (see [`db`]).
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    store: EventStore,
    views: Views,
    secrets: Secrets,
    path: PathBuf,
    full_sync: bool,
    /// Opened on first use; only touched on blocking threads.
    conn: Mutex<Option<Connection>>,
    /// One step at a time per handle.
    step: tokio::sync::Mutex<()>,
    http: OnceLock<reqwest::Client>,
    last_prune: Mutex<Option<DateTime<Utc>>>,
}

/// Starts the supervised notifier task; it stops when `cancel` fires.
/// `notify.db` is opened (and on first start, positioned at the current end
/// of the log) before this returns.
pub fn spawn(state: &AppState, cancel: CancellationToken) -> anyhow::Result<Notifier> {
    let n = Notifier::new(state);
    n.open_now()?;
    let task = n.clone();
    tokio::spawn(async move { task.supervise(cancel).await });
    Ok(n)
}

impl Notifier {
    /// A handle on the app's `notify.db` (opened on first use).
    pub fn new(state: &AppState) -> Self {
        let core = &state.core;
        Self {
            inner: Arc::new(Inner {
                store: core.store.clone(),
                views: core.views.clone(),
                secrets: core.secrets.clone(),
                path: state.settings.data_dir.join("notify.db"),
                full_sync: state.settings.durability == ispmon_events::Durability::Full,
                conn: Mutex::new(None),
                step: tokio::sync::Mutex::new(()),
                http: OnceLock::new(),
                last_prune: Mutex::new(None),
            }),
        }
    }

    fn open_now(&self) -> anyhow::Result<()> {
        let mut g = self.inner.conn.lock().expect("notify db lock");
        if g.is_none() {
            *g = Some(db::open(
                &self.inner.path,
                self.inner.full_sync,
                self.inner.store.head(),
            )?);
        }
        Ok(())
    }

    /// Runs `f` on `notify.db` on a blocking thread.
    async fn db<R, F>(&self, f: F) -> Result<R, NotifyError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut g = inner.conn.lock().expect("notify db lock");
            if g.is_none() {
                *g = Some(db::open(&inner.path, inner.full_sync, inner.store.head())?);
            }
            f(g.as_mut().expect("opened above"))
        })
        .await
        .map_err(|e| NotifyError::Task(e.to_string()))?
        .map_err(NotifyError::from)
    }

    /// Queues what new events call for, then attempts every due delivery.
    pub async fn run_once(&self) -> Result<StepReport, NotifyError> {
        self.run_once_at(Utc::now()).await
    }

    /// [`Notifier::run_once`] as if it were `now` (tests use a later `now`
    /// to reach retries without waiting for their backoff).
    #[tracing::instrument(name = "notifier.step", skip(self))]
    pub async fn run_once_at(&self, now: DateTime<Utc>) -> Result<StepReport, NotifyError> {
        let _one = self.inner.step.lock().await;
        let mut report = StepReport::default();
        self.queue_new(&mut report).await?;
        self.deliver_due(now, &mut report).await?;
        self.prune(now).await?;
        Ok(report)
    }

    /// Reads the log past the checkpoint and queues deliveries, batch by
    /// batch, each batch with its checkpoint in one transaction.
    async fn queue_new(&self, report: &mut StepReport) -> Result<(), NotifyError> {
        loop {
            let from = self.db(|c| db::checkpoint(c)).await?;
            let batch = self.inner.store.since(from, BATCH).await?;
            let Some(last) = batch.last().map(|e| e.seq) else {
                return Ok(());
            };
            let rows = self.rows_for(&batch).await?;
            let (queued, skipped) = rows.iter().fold((0, 0), |(q, s), r| {
                if r.status == "skipped" {
                    (q, s + 1)
                } else {
                    (q + 1, s)
                }
            });
            if self.db(move |c| db::queue(c, from, last, &rows)).await? {
                report.queued += queued;
                report.skipped += skipped;
            }
            // Else another handle queued this batch; read on from its checkpoint.
        }
    }

    /// The outbox rows a batch of events calls for.
    async fn rows_for(&self, batch: &[StoredEvent]) -> Result<Vec<db::NewRow>, NotifyError> {
        let candidates: Vec<&StoredEvent> =
            batch.iter().filter(|e| message::is_candidate(e)).collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Read after the batch: every event before a batch event is committed.
        let settings_log = self
            .inner
            .store
            .aggregate_events("NotifySettings", SETTINGS_ID, None)
            .await?;
        let mut hosts: HashMap<String, Vec<StoredEvent>> = HashMap::new();
        let mut rows = Vec::new();
        for e in candidates {
            if !hosts.contains_key(&e.aggregate_id) {
                let log = self
                    .inner
                    .store
                    .aggregate_events("Host", &e.aggregate_id, None)
                    .await?;
                hosts.insert(e.aggregate_id.clone(), log);
            }
            let before = host_before(&hosts[&e.aggregate_id], e.seq)?;
            let (t, status, note) = match message::judge(e, &before) {
                Verdict::Ignore => continue,
                Verdict::Skip(t, reason) => (t, "skipped", Some(reason)),
                Verdict::Notify(t) => (t, "pending", None),
            };
            let row = |channel: &'static str, body: String| db::NewRow {
                seq: t.seq,
                channel,
                host_id: t.host_id.clone(),
                host_name: t.name.clone(),
                host_ip: t.ip.clone(),
                event_type: t.event_type.clone(),
                event_at: t.at.clone(),
                body,
                status,
                note: note.clone(),
            };
            if status == "skipped" {
                rows.push(row("", String::new()));
                continue;
            }
            let settings = settings_before(&settings_log, e.seq)?;
            if settings.webhook_enabled() {
                let body = message::webhook_body(&t).to_string();
                rows.push(row(Channel::Webhook.as_str(), body));
            }
            if settings.telegram_enabled() {
                rows.push(row(Channel::Telegram.as_str(), message::telegram_text(&t)));
            }
        }
        Ok(rows)
    }

    /// Attempts every delivery due at `now`.
    async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        report: &mut StepReport,
    ) -> Result<(), NotifyError> {
        let at = rfc3339(now);
        let lease = rfc3339(now + chrono::Duration::from_std(LEASE).expect("small"));
        let mut settings: Option<NotifySettingsValues> = None;
        loop {
            let (a, l) = (at.clone(), lease.clone());
            let claimed = self.db(move |c| db::claim_due(c, &a, &l, CLAIM)).await?;
            if claimed.is_empty() {
                return Ok(());
            }
            // Destinations as configured now (read once per step).
            if settings.is_none() {
                let row = self
                    .inner
                    .views
                    .read(ispmon_projections::notify::settings)
                    .await?;
                settings = Some(row.values);
            }
            let current = settings.as_ref().expect("read above");
            for d in claimed {
                let finished = self.attempt(&d, current, now).await;
                if finished.attempted {
                    if finished.ok {
                        report.sent += 1;
                    } else {
                        report.failed += 1;
                        tracing::warn!(
                            channel = %d.channel,
                            seq = d.seq,
                            attempt = d.attempt,
                            error = finished.error.as_deref().unwrap_or(""),
                            "notification not delivered"
                        );
                    }
                }
                let at = at.clone();
                self.db(move |c| db::finish(c, &d, &at, &finished)).await?;
            }
        }
    }

    /// One attempt of one delivery.
    async fn attempt(
        &self,
        d: &db::Claimed,
        settings: &NotifySettingsValues,
        now: DateTime<Utc>,
    ) -> db::Finished {
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                return settle(
                    d,
                    Outcome::Retry {
                        status: None,
                        error: e,
                    },
                    now,
                )
            }
        };
        let outcome = match Channel::parse(&d.channel) {
            Some(Channel::Webhook) => {
                let url = match (&settings.webhook_url_ref, &settings.webhook_url) {
                    (Some(r), _) => match self.unseal(d, r, "webhook URL", now).await {
                        Ok(url) => url,
                        Err(finished) => return finished,
                    },
                    (None, Some(url)) => url.clone(),
                    (None, None) => return dropped("the webhook is no longer configured"),
                };
                let body: serde_json::Value =
                    serde_json::from_str(&d.body).unwrap_or(serde_json::Value::Null);
                send::post_json(client, &url, &body, Some(&url)).await
            }
            Some(Channel::Telegram) => {
                let (Some(chat), Some(token_ref)) =
                    (&settings.telegram_chat_id, &settings.telegram_token_ref)
                else {
                    return dropped("Telegram is no longer configured");
                };
                let token = match self.unseal(d, token_ref, "bot token", now).await {
                    Ok(token) => token,
                    Err(finished) => return finished,
                };
                let url = format!(
                    "{}/bot{}/sendMessage",
                    settings.telegram_api_base.trim_end_matches('/'),
                    token
                );
                let body = message::telegram_body(chat, &d.body);
                send::post_json(client, &url, &body, Some(&token)).await
            }
            None => return dropped("unknown channel"),
        };
        settle(d, outcome, now)
    }

    /// Opens a sealed secret a delivery needs; `Err` is how the attempt
    /// ends without it: dropped when it is gone, retried when it cannot be
    /// read now.
    async fn unseal(
        &self,
        d: &db::Claimed,
        r: &SecretRef,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<String, db::Finished> {
        match self.inner.secrets.get(r).await {
            Ok(Some(bytes)) => Ok(String::from_utf8(bytes).unwrap_or_default()),
            Ok(None) => Err(dropped(&format!("the {what} is missing"))),
            Err(_) => {
                let error = format!("the {what} cannot be opened");
                Err(settle(
                    d,
                    Outcome::Retry {
                        status: None,
                        error,
                    },
                    now,
                ))
            }
        }
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        if let Some(c) = self.inner.http.get() {
            return Ok(c);
        }
        let c = send::client()?;
        Ok(self.inner.http.get_or_init(|| c))
    }

    /// Drops old finished deliveries and attempts, at most hourly.
    async fn prune(&self, now: DateTime<Utc>) -> Result<(), NotifyError> {
        {
            let mut last = self.inner.last_prune.lock().expect("prune lock");
            if last.is_some_and(|t| now - t < chrono::Duration::hours(1)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let before = rfc3339(now - chrono::Duration::days(RETENTION_DAYS));
        self.db(move |c| db::prune(c, &before)).await?;
        Ok(())
    }

    /// The latest deliveries (and skips), newest first.
    pub async fn deliveries(&self, limit: usize) -> Result<Vec<db::Delivery>, NotifyError> {
        self.db(move |c| db::deliveries(c, limit)).await
    }

    /// The latest attempts, newest first; only failed ones when asked.
    pub async fn attempts(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<db::Attempt>, NotifyError> {
        self.db(move |c| db::attempts(c, failed_only, limit)).await
    }

    /// Where the notifier has read the log up to.
    pub async fn checkpoint(&self) -> Result<u64, NotifyError> {
        self.db(|c| db::checkpoint(c)).await
    }

    /// How long the task may sleep: until the next due retry, at most [`IDLE`].
    async fn idle_for(&self) -> Duration {
        let next = self.db(|c| db::next_due(c)).await.ok().flatten();
        let Some(next) = next.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()) else {
            return IDLE;
        };
        (next.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(IDLE)
    }

    /// Restarts the loop if it panics; returns when `cancel` fires.
    async fn supervise(self, cancel: CancellationToken) {
        loop {
            let task = self.clone();
            let c = cancel.clone();
            match tokio::spawn(async move { task.run(c).await }).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(error = %e, "notifier task died; restarting");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    /// Steps whenever the log grows or a retry falls due, until cancelled.
    async fn run(self, cancel: CancellationToken) {
        let mut head = self.inner.store.subscribe();
        let mut head_open = true;
        tracing::info!("notifier started");
        loop {
            let wait = match self.run_once().await {
                Ok(r) if r != StepReport::default() => {
                    tracing::debug!(?r, "notifier step");
                    self.idle_for().await
                }
                Ok(_) => self.idle_for().await,
                Err(e) => {
                    tracing::warn!(error = %e, "notifier step failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                changed = head.changed(), if head_open => {
                    if changed.is_err() {
                        head_open = false;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("notifier stopped");
    }
}

/// The state of a host just before the event at `seq`.
fn host_before(log: &[StoredEvent], seq: u64) -> Result<Host, NotifyError> {
    use cqrs_es::Aggregate;
    let mut host = Host::default();
    for e in log.iter().take_while(|e| e.seq < seq) {
        let ev: HostEvent = serde_json::from_str(&e.payload)
            .map_err(|err| NotifyError::Decode { seq: e.seq, err })?;
        host.apply(ev);
    }
    Ok(host)
}

/// The notification settings just before the event at `seq`.
fn settings_before(log: &[StoredEvent], seq: u64) -> Result<NotifySettingsValues, NotifyError> {
    let mut v = NotifySettingsValues::default();
    for e in log.iter().take_while(|e| e.seq < seq) {
        let ev: NotifySettingsEvent = serde_json::from_str(&e.payload)
            .map_err(|err| NotifyError::Decode { seq: e.seq, err })?;
        let NotifySettingsEvent::NotifySettingsChanged(next) = ev;
        v = next;
    }
    Ok(v)
}

/// The delivery's next state after an attempt's outcome.
/// An attempt given up without sending: trying again will not help.
fn dropped(why: &str) -> db::Finished {
    db::Finished {
        ok: false,
        http_status: None,
        error: Some(why.to_string()),
        status: "dropped",
        next_attempt_at: None,
        attempted: false,
    }
}

fn settle(d: &db::Claimed, outcome: Outcome, now: DateTime<Utc>) -> db::Finished {
    let http_status = outcome.status();
    let error = outcome.error().map(str::to_string);
    let (ok, status, next) = match outcome {
        Outcome::Delivered { .. } => (true, "sent", None),
        Outcome::Retry { .. } if d.attempt < send::MAX_ATTEMPTS => {
            let wait = chrono::Duration::from_std(send::backoff(d.attempt)).expect("small");
            (false, "pending", Some(rfc3339(now + wait)))
        }
        Outcome::Retry { .. } | Outcome::Permanent { .. } => (false, "failed", None),
    };
    db::Finished {
        ok,
        http_status,
        error,
        status,
        next_attempt_at: next,
        attempted: true,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
