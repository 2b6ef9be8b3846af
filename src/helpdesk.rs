//! The billing helpdesk import, wired into the app: the engine and its job
//! live in `ispmon_scheduler::billing::helpdesk_sync`; this is its world —
//! the billing source in force (the same cabinet and session as the
//! subscriber sync), our imported tickets from the tickets read model, what
//! the outbox sent from the TicketBilling log, and Ticket commands.
//!
//! And the other way, the outbox ([`Outbox`], a reactor of
//! `ispmon_scheduler::billing::helpdesk_outbox`): staff replies and closes
//! of imported tickets sent to billing, each outcome recorded on the
//! TicketBilling aggregate.

use std::sync::{Arc, Mutex};

use cqrs_es::Aggregate;
use ispmon_events::ticket::{Ticket, TicketCommand};
use ispmon_events::ticket_billing::{TicketBilling, TicketBillingCommand};
use ispmon_events::Metadata;
use ispmon_scheduler::billing::helpdesk_outbox::{self as outbox, HelpdeskOutbox, OutboxWorld};
use ispmon_scheduler::billing::helpdesk_sync::{HelpdeskReport, KnownTicket};
use ispmon_scheduler::billing::{BillingSource, HelpdeskSyncer, HelpdeskWorld};
use ispmon_scheduler::reactor::{Failure, Runner, StepReport};
use tokio_util::sync::CancellationToken;

use crate::billing::AppBillingWorld;
use crate::core::Core;
use crate::state::AppState;

pub use ispmon_scheduler::billing::helpdesk_sync::JOB_NAME;

pub struct AppHelpdeskWorld {
    core: Core,
    billing: Arc<AppBillingWorld>,
    last: Mutex<Option<HelpdeskReport>>,
}

/// The import over this application.
pub fn syncer(core: &Core, billing: Arc<AppBillingWorld>) -> Arc<HelpdeskSyncer> {
    let world = Arc::new(AppHelpdeskWorld {
        core: core.clone(),
        billing,
        last: Mutex::new(None),
    });
    Arc::new(HelpdeskSyncer::new(world))
}

impl AppHelpdeskWorld {
    pub fn last_report(&self) -> Option<HelpdeskReport> {
        self.last.lock().expect("helpdesk lock").clone()
    }
}

/// What the outbox recorded for ticket `id` so far.
pub async fn sent_state(core: &Core, id: &str) -> Result<TicketBilling, String> {
    let log = core
        .store
        .aggregate_events(TicketBilling::TYPE, id, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut state = TicketBilling::default();
    for e in &log {
        state.apply(
            e.decode()
                .map_err(|err| format!("event {}: {err}", e.seq))?,
        );
    }
    Ok(state)
}

#[async_trait::async_trait]
impl HelpdeskWorld for AppHelpdeskWorld {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        self.billing.current_source().await
    }

    async fn ticket(&self, id: &str) -> Result<Option<KnownTicket>, String> {
        let tid = id.to_string();
        let found = self
            .core
            .views
            .read(move |c| {
                let Some(t) = ispmon_projections::tickets::state(c, &tid)? else {
                    return Ok(None);
                };
                let staff = ispmon_projections::tickets::comments(c, &tid)?
                    .into_iter()
                    .filter(|c| !c.imported)
                    .map(|c| c.body)
                    .collect::<Vec<_>>();
                Ok(Some((t, staff)))
            })
            .await
            .map_err(|e| e.to_string())?;
        let Some((ticket, staff_comments)) = found else {
            return Ok(None);
        };
        Ok(Some(KnownTicket {
            ticket,
            sent_message_ids: sent_state(&self.core, id).await?.message_ids,
            staff_comments,
        }))
    }

    async fn execute(
        &self,
        id: &str,
        command: TicketCommand,
        meta: &Metadata,
    ) -> Result<bool, String> {
        self.core
            .commands
            .execute_settled::<Ticket>(id, command, meta)
            .await
            .map_err(|e| format!("ticket {id}: {e}"))
    }

    fn interval(&self) -> std::time::Duration {
        ispmon_scheduler::billing::SyncWorld::interval(self.billing.as_ref())
    }

    async fn record(&self, report: &HelpdeskReport) {
        match &report.error {
            Some(e) => tracing::warn!(error = %e, "billing helpdesk import failed"),
            None => tracing::info!(summary = %report.summary(), "billing helpdesk import"),
        }
        *self.last.lock().expect("helpdesk lock") = Some(report.clone());
    }
}

/// The outbox's world: the billing source in force, what was sent from the
/// TicketBilling log, and TicketBilling commands recorded as the outbox.
pub struct AppOutboxWorld {
    core: Core,
    billing: Arc<AppBillingWorld>,
}

impl OutboxWorld for AppOutboxWorld {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, Failure> {
        self.billing.current_source().await.map_err(Failure::retry)
    }

    async fn sent(&self, id: &str) -> Result<TicketBilling, Failure> {
        sent_state(&self.core, id).await.map_err(Failure::retry)
    }

    async fn record(&self, id: &str, command: TicketBillingCommand) -> Result<(), Failure> {
        let meta = Metadata::system(ispmon_events::Source::Scheduler, outbox::NAME);
        self.core
            .commands
            .execute_settled::<TicketBilling>(id, command, &meta)
            .await
            .map(|_| ())
            .map_err(|e| Failure::retry(format!("recording the outcome on {id}: {e}")))
    }
}

/// Handle to the billing helpdesk outbox's runner; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    runner: Runner<HelpdeskOutbox<AppOutboxWorld>>,
}

impl Outbox {
    /// A handle on the app's `reactors.db`.
    pub fn new(state: &AppState) -> Self {
        let world = AppOutboxWorld {
            core: state.core.clone(),
            billing: Arc::clone(&state.billing_world),
        };
        let full_sync = state.settings.durability == ispmon_events::Durability::Full;
        Self {
            runner: Runner::new(
                HelpdeskOutbox::new(world),
                state.core.store.clone(),
                state.settings.data_dir.join("reactors.db"),
                full_sync,
            ),
        }
    }

    /// Starts the supervised loop (woken on append); stops with `cancel`.
    /// On a first start the outbox begins at the current end of the log:
    /// what was said before it existed is not sent.
    pub async fn spawn(state: &AppState, cancel: CancellationToken) -> anyhow::Result<Outbox> {
        let o = Outbox::new(state);
        o.runner.checkpoint().await?;
        // This process holds the data dir: a send claimed in it was cut
        // short by a killed process; take it up again.
        o.runner.take_over_orphans().await?;
        o.runner.spawn(cancel);
        Ok(o)
    }

    /// Queues what new events call for, then attempts every due send.
    pub async fn run_once(&self) -> Result<StepReport, String> {
        self.runner.run_once().await.map_err(|e| e.to_string())
    }

    /// [`Outbox::run_once`] as if it were `now` (retries fall due).
    pub async fn run_once_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<StepReport, String> {
        self.runner
            .run_once_at(now)
            .await
            .map_err(|e| e.to_string())
    }
}
