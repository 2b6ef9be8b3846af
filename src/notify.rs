//! Notifications of host transitions and ticket alerts, wired into the app. The notifier is a
//! reactor in the scheduler crate (`ispmon_scheduler::notify`: what is told,
//! the words, the HTTP send; `ispmon_scheduler::reactor`: checkpoint,
//! outbox, leases, retries, attempts, all in `DATA/reactors.db`). This
//! module implements its [`NotifyWorld`] over the app — the destinations
//! from the notification settings read model, the webhook URL and the bot
//! token opened from the secrets table at send time — and gives the
//! server, the admin page and tests a [`Notifier`] handle.

use chrono::{DateTime, Utc};
use ispmon_events::notify_settings::NotifySettingsValues;
use ispmon_events::secrets::{SecretRef, Secrets};
use ispmon_projections::Views;
use ispmon_scheduler::notify::{NotifyReactor, NotifyWorld, TelegramTarget};
use ispmon_scheduler::reactor::{Attempt, Failure, Row, Runner};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

pub use ispmon_scheduler::notify::message::Channel;
pub use ispmon_scheduler::notify::{Notification, MAX_ATTEMPTS};
pub use ispmon_scheduler::reactor::{ReactorError as NotifyError, Status, StepReport};

/// A queued, sent, failed or skipped notification.
pub type Delivery = Row<Notification>;
/// One attempt to deliver a notification.
pub type DeliveryAttempt = Attempt<Notification>;

/// The app as the notifier sees it.
pub struct AppWorld {
    views: Views,
    secrets: Secrets,
}

impl AppWorld {
    async fn settings(&self) -> Result<NotifySettingsValues, Failure> {
        self.views
            .read(ispmon_projections::notify::settings)
            .await
            .map(|row| row.values)
            .map_err(|_| Failure::retry("the notification settings cannot be read"))
    }

    /// A sealed secret a delivery needs: dropped when it is gone, retried
    /// when it cannot be opened now.
    async fn unseal(&self, r: &SecretRef, what: &str) -> Result<String, Failure> {
        match self.secrets.get(r).await {
            Ok(Some(bytes)) => Ok(String::from_utf8(bytes).unwrap_or_default()),
            Ok(None) => Err(Failure::drop(format!("the {what} is missing"))),
            Err(_) => Err(Failure::retry(format!("the {what} cannot be opened"))),
        }
    }
}

impl NotifyWorld for AppWorld {
    async fn webhook_url(&self) -> Result<String, Failure> {
        let s = self.settings().await?;
        match (&s.webhook_url_ref, &s.webhook_url) {
            (Some(r), _) => self.unseal(r, "webhook URL").await,
            (None, Some(url)) => Ok(url.clone()),
            (None, None) => Err(Failure::drop("the webhook is no longer configured")),
        }
    }

    async fn telegram(&self) -> Result<TelegramTarget, Failure> {
        let s = self.settings().await?;
        let (Some(chat_id), Some(token_ref)) = (s.telegram_chat_id, &s.telegram_token_ref) else {
            return Err(Failure::drop("Telegram is no longer configured"));
        };
        Ok(TelegramTarget {
            token: self.unseal(token_ref, "bot token").await?,
            api_base: s.telegram_api_base,
            chat_id,
        })
    }

    async fn ticket(&self, id: &str) -> Result<Option<ispmon_events::ticket::Ticket>, Failure> {
        let id = id.to_string();
        self.views
            .read(move |c| ispmon_projections::tickets::state(c, &id))
            .await
            .map_err(|_| Failure::retry("the ticket cannot be read"))
    }

    async fn sla(&self) -> Result<ispmon_events::sla::Sla, Failure> {
        self.views
            .read(ispmon_projections::sla_settings::sla)
            .await
            .map_err(|_| Failure::retry("the SLA settings cannot be read"))
    }

    async fn open_tickets(&self) -> Result<Vec<(String, ispmon_events::ticket::Ticket)>, Failure> {
        self.views
            .read(ispmon_projections::tickets::open_states)
            .await
            .map_err(|_| Failure::retry("the open tickets cannot be read"))
    }
}

/// Handle to the notifier; cheap to clone. Several handles may work on the
/// same data dir at once (the server's loop, a test's, the admin page's).
#[derive(Clone)]
pub struct Notifier {
    runner: Runner<NotifyReactor<AppWorld>>,
}

/// Starts the notifier's supervised loop (task `reactor`, name `notify`);
/// it stops when `cancel` fires. The checkpoint is set (on a first start,
/// at the current end of the log) before this returns.
pub async fn spawn(state: &AppState, cancel: CancellationToken) -> anyhow::Result<Notifier> {
    let n = Notifier::new(state);
    n.checkpoint().await?;
    // This process holds the data dir: a claim left in it is a killed one's.
    n.runner.take_over_orphans().await?;
    n.runner.spawn(cancel);
    Ok(n)
}

impl Notifier {
    /// A handle on the app's `reactors.db` (opened on first use).
    pub fn new(state: &AppState) -> Self {
        let core = &state.core;
        let world = AppWorld {
            views: core.views.clone(),
            secrets: core.secrets.clone(),
        };
        let data = &state.settings.data_dir;
        let reactor = NotifyReactor::new(world, Some(data.join("notify.db")));
        let full_sync = state.settings.durability == ispmon_events::Durability::Full;
        Self {
            runner: Runner::new(
                reactor,
                core.store.clone(),
                data.join("reactors.db"),
                full_sync,
            ),
        }
    }

    /// Queues what new events call for, then attempts every due delivery.
    pub async fn run_once(&self) -> Result<StepReport, NotifyError> {
        self.runner.run_once().await
    }

    /// [`Notifier::run_once`] as if it were `now` when sending.
    pub async fn run_once_at(&self, now: DateTime<Utc>) -> Result<StepReport, NotifyError> {
        self.runner.run_once_at(now).await
    }

    /// The latest deliveries (and skips), newest first.
    pub async fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, NotifyError> {
        self.runner.rows(limit).await
    }

    /// The latest attempts, newest first; only failed ones when asked.
    pub async fn attempts(
        &self,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, NotifyError> {
        self.runner.attempts(failed_only, limit).await
    }

    /// Where the notifier has read the log up to.
    pub async fn checkpoint(&self) -> Result<u64, NotifyError> {
        self.runner.checkpoint().await
    }
}
