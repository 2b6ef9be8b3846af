//! The scheduled billing sync: every [`SyncWorld::interval`] (30 minutes
//! unless the settings say otherwise), and on command ("sync now"). A sync
//! always covers all of billing, so [`Scope::Due`] and [`Scope::All`] are
//! the same run and other scopes are refused.
//!
//! [`SyncWorld::interval`]: super::SyncWorld::interval

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::{Metadata, Source};

use super::Syncer;
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "billing-sync";

pub struct BillingSyncJob {
    syncer: Arc<Syncer>,
}

impl BillingSyncJob {
    pub fn new(syncer: Arc<Syncer>) -> Self {
        Self { syncer }
    }
}

impl Job for BillingSyncJob {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        self.syncer.world().interval()
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            match scope {
                Scope::Due | Scope::All => {}
                other => {
                    return Err(format!(
                        "the billing sync covers all of billing; {} is not a scope of it",
                        other.describe()
                    ))
                }
            }
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            self.syncer.run(&meta).await.map(|report| report.summary())
        })
    }
}
