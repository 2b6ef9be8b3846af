//! The billing helpdesk import: the billing's helpdesk tickets become our
//! tickets, their threads our (imported) comments, and a ticket closed in
//! billing is closed here. One engine ([`HelpdeskSyncer`]) over a narrow
//! world ([`HelpdeskWorld`]) and any [`BillingSource`]; its job is
//! [`HelpdeskSyncJob`].
//!
//! Rules:
//! - A billing ticket is our ticket `billing-{id}` ([`stream_id`]), opened
//!   with the subject as its address and the first message as its problem.
//! - A message is taken once, by its stable id; a message that is one of
//!   our own replies (its id recorded by the outbox, or the text of one of
//!   our staff comments) is not imported back.
//! - Billing `Закрыто` closes an open ticket here; new messages on a ticket
//!   that billing shows `Открыто` reopen one that is done here (the
//!   subscriber wrote again). Nothing else about the status is mapped, so
//!   a close of ours still on its way to billing is not undone.
//! - A sync where nothing changed issues no command (no event).
//! - A ticket whose page fails is left untouched and reported; the others
//!   go on. A failed list fails the run.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use futures::StreamExt;
use ispmon_events::ticket::{
    Priority, Ticket, TicketCommand, TicketDetails, TicketLinks, TicketSource, TicketStatus,
    MAX_COMMENT,
};
use ispmon_events::ticket::{MAX_ADDRESS, MAX_PROBLEM};
use ispmon_events::{Metadata, Source};
use serde::Serialize;

use super::helpdesk::{same_text, HelpdeskEntry, HelpdeskStatus, HelpdeskThread};
use super::BillingSource;
use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "billing-helpdesk-sync";
/// The category imported tickets get.
pub const CATEGORY: &str = "billing";

/// Our ticket's id for billing ticket `billing_id`.
pub fn stream_id(billing_id: &str) -> String {
    format!("billing-{}", billing_id.trim())
}

/// Billing's local time (Moscow, UTC+3) as UTC; `None` if unreadable.
pub fn billing_time(text: &str) -> Option<DateTime<Utc>> {
    let t = NaiveDateTime::parse_from_str(text.trim(), "%d.%m.%Y %H:%M:%S").ok()?;
    Some(t.and_utc() - chrono::Duration::hours(3))
}

/// An imported ticket as ispmon has it.
#[derive(Debug, Clone, Default)]
pub struct KnownTicket {
    pub ticket: Ticket,
    /// The billing message ids our own replies became (the outbox's).
    pub sent_message_ids: BTreeSet<String>,
    /// The bodies of our staff (not imported) comments.
    pub staff_comments: Vec<String>,
}

/// What the import needs from the app.
#[async_trait::async_trait]
pub trait HelpdeskWorld: Send + Sync {
    /// The billing source to read (the cabinet of the settings in force).
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String>;
    /// Our ticket `id` ([`stream_id`]), if there is one.
    async fn ticket(&self, id: &str) -> Result<Option<KnownTicket>, String>;
    /// Decides one command on ticket `id`; `Ok(false)` when it changed
    /// nothing.
    async fn execute(
        &self,
        id: &str,
        command: TicketCommand,
        meta: &Metadata,
    ) -> Result<bool, String>;
    /// Keeps a finished run's report.
    async fn record(&self, _report: &HelpdeskReport) {}
    /// How often the scheduled import runs.
    fn interval(&self) -> Duration {
        Duration::from_secs(5 * 60)
    }
}

/// A ticket whose page could not be read (it was left as it was).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedTicket {
    pub billing_id: String,
    pub error: String,
}

/// What one import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HelpdeskReport {
    pub started_at: DateTime<Utc>,
    /// Tickets the list showed.
    pub listed: usize,
    pub opened: usize,
    pub comments: usize,
    pub status_changes: usize,
    pub failed: Vec<FailedTicket>,
    /// Why the run failed as a whole (the list).
    pub error: Option<String>,
}

impl HelpdeskReport {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} ticket(s) in billing: {} new, {} comment(s), {} status change(s)",
            self.listed, self.opened, self.comments, self.status_changes
        );
        if !self.failed.is_empty() {
            s.push_str(&format!(
                "; {} failed, the first: {} ({})",
                self.failed.len(),
                self.failed[0].billing_id,
                self.failed[0].error
            ));
        }
        s
    }
}

/// What one ticket's import did.
#[derive(Default)]
struct Done {
    opened: bool,
    comments: usize,
    status_changes: usize,
}

pub struct HelpdeskSyncer {
    world: Arc<dyn HelpdeskWorld>,
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl HelpdeskSyncer {
    pub fn new(world: Arc<dyn HelpdeskWorld>) -> Self {
        Self { world }
    }

    pub fn world(&self) -> &Arc<dyn HelpdeskWorld> {
        &self.world
    }

    /// One import of every ticket the list shows, its commands recorded as
    /// [`JOB_NAME`]'s.
    #[tracing::instrument(skip_all)]
    pub async fn run(&self, meta: &Metadata) -> Result<HelpdeskReport, String> {
        let mut report = HelpdeskReport {
            started_at: Utc::now(),
            ..HelpdeskReport::default()
        };
        // Its commands are the import's whoever started it (the outbox
        // does not send back what the import did); the correlation id ties
        // them to the user who asked for it.
        let meta = if meta.actor_login == JOB_NAME {
            meta.clone()
        } else {
            Metadata {
                correlation_id: meta.request_id.clone(),
                ..Metadata::system(meta.source, JOB_NAME)
            }
        };
        let result = self.run_into(&mut report, &meta).await;
        if let Err(e) = &result {
            report.error = Some(e.clone());
        }
        self.world.record(&report).await;
        result.map(|()| report)
    }

    async fn run_into(&self, report: &mut HelpdeskReport, meta: &Metadata) -> Result<(), String> {
        let source = self.world.source().await?;
        let list = source
            .helpdesk_list()
            .await
            .map_err(|e| format!("the helpdesk list: {e}"))?;
        report.listed = list.len();
        let wide = source.concurrency().max(1);
        let results: Vec<(String, Result<Done, String>)> = futures::stream::iter(list)
            .map(|entry| {
                let source = Arc::clone(&source);
                async move {
                    let r = self.one(source.as_ref(), &entry, meta).await;
                    (entry.id, r)
                }
            })
            .buffer_unordered(wide)
            .collect()
            .await;
        for (billing_id, r) in results {
            match r {
                Ok(d) => {
                    report.opened += usize::from(d.opened);
                    report.comments += d.comments;
                    report.status_changes += d.status_changes;
                }
                Err(error) => {
                    tracing::warn!(billing_id, %error, "billing helpdesk: a ticket was not imported");
                    report.failed.push(FailedTicket { billing_id, error });
                }
            }
        }
        report
            .failed
            .sort_by(|a, b| a.billing_id.cmp(&b.billing_id));
        Ok(())
    }

    /// One ticket: read its page first, so a failed page changes nothing.
    async fn one(
        &self,
        source: &dyn BillingSource,
        entry: &HelpdeskEntry,
        meta: &Metadata,
    ) -> Result<Done, String> {
        let thread = source
            .helpdesk_ticket(&entry.id)
            .await
            .map_err(|e| e.to_string())?;
        let id = stream_id(&entry.id);
        let known = self.world.ticket(&id).await?;
        let mut done = Done::default();
        let known = match known {
            Some(k) => k,
            None => {
                let open = open_command(entry, &thread);
                done.opened = self.world.execute(&id, open, meta).await?;
                KnownTicket::default()
            }
        };
        let mut taken = known.ticket.billing_comment_ids.clone();
        for m in &thread.messages {
            let ours = known.sent_message_ids.contains(&m.id)
                || known.staff_comments.iter().any(|b| same_text(b, &m.text));
            if taken.contains(&m.id) || ours || m.text.trim().is_empty() {
                continue;
            }
            let at = billing_time(&m.at).unwrap_or_else(Utc::now);
            let c = TicketCommand::Comment {
                body: cut(&m.text, MAX_COMMENT),
                author: cut(&m.sender, ispmon_events::ticket::MAX_AUTHOR),
                imported: true,
                billing_comment_id: Some(m.id.clone()),
                at,
            };
            if self.world.execute(&id, c, meta).await? {
                done.comments += 1;
            }
            taken.insert(m.id.clone());
        }
        let status = thread.status.clone().unwrap_or(entry.status.clone());
        // The ticket's status as it is now (a new one is open).
        let ours = if done.opened {
            TicketStatus::Open
        } else {
            known.ticket.status
        };
        let to = match status {
            HelpdeskStatus::Closed if !ours.is_done() => {
                Some((TicketStatus::Closed, "closed in billing"))
            }
            HelpdeskStatus::Open if ours.is_done() && done.comments > 0 => {
                Some((TicketStatus::Open, "the subscriber wrote again in billing"))
            }
            _ => None,
        };
        if let Some((to, note)) = to {
            let c = TicketCommand::ChangeStatus {
                to,
                note: Some(note.to_string()),
                at: Utc::now(),
            };
            if self.world.execute(&id, c, meta).await? {
                done.status_changes += 1;
            }
        }
        Ok(done)
    }
}

/// Opens our ticket for a billing one.
fn open_command(entry: &HelpdeskEntry, thread: &HelpdeskThread) -> TicketCommand {
    let subject = if thread.subject.trim().is_empty() {
        entry.subject.clone()
    } else {
        thread.subject.clone()
    };
    let problem = thread
        .messages
        .first()
        .map(|m| m.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| subject.clone());
    let problem = if problem.trim().is_empty() {
        format!("billing helpdesk ticket {}", entry.id)
    } else {
        problem
    };
    let at = thread
        .messages
        .first()
        .and_then(|m| billing_time(&m.at))
        .or_else(|| billing_time(&entry.date))
        .unwrap_or_else(Utc::now);
    TicketCommand::Open {
        details: TicketDetails {
            subscriber_id: None,
            login: None,
            address: cut(subject.trim(), MAX_ADDRESS),
            phone: None,
            problem: cut(&problem, MAX_PROBLEM),
            category: CATEGORY.to_string(),
            priority: Priority::Normal,
            links: TicketLinks::default(),
        },
        source: TicketSource::Billing {
            billing_ticket_id: entry.id.clone(),
        },
        at,
    }
}

/// The scheduled import, and "import now".
pub struct HelpdeskSyncJob {
    syncer: Arc<HelpdeskSyncer>,
}

impl HelpdeskSyncJob {
    pub fn new(syncer: Arc<HelpdeskSyncer>) -> Self {
        Self { syncer }
    }
}

impl Job for HelpdeskSyncJob {
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
                        "the helpdesk import covers the whole helpdesk; {} is not a scope of it",
                        other.describe()
                    ))
                }
            }
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            self.syncer.run(&meta).await.map(|r| r.summary())
        })
    }
}

#[cfg(test)]
#[path = "helpdesk_sync_tests.rs"]
mod tests;
