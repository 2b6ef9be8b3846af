//! The billing helpdesk import, wired into the app: the engine and its job
//! live in `ispmon_scheduler::billing::helpdesk_sync`; this is its world —
//! the billing source in force (the same cabinet and session as the
//! subscriber sync), our imported tickets from the tickets read model, what
//! the outbox sent from the TicketBilling log, and Ticket commands.

use std::sync::{Arc, Mutex};

use cqrs_es::Aggregate;
use ispmon_events::ticket::{Ticket, TicketCommand};
use ispmon_events::ticket_billing::TicketBilling;
use ispmon_events::Metadata;
use ispmon_scheduler::billing::helpdesk_sync::{HelpdeskReport, KnownTicket};
use ispmon_scheduler::billing::{BillingSource, HelpdeskSyncer, HelpdeskWorld};

use crate::billing::AppBillingWorld;
use crate::core::Core;

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
