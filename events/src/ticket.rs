//! The Ticket aggregate: a repair ticket — what is wrong and where
//! ([`TicketDetails`]), who works on it, its status, its comments and
//! attachments. Opened by staff or imported from the billing's helpdesk.
//!
//! cqrs-es events carry no clock, so every command that needs the time
//! says when (`at`) and its events keep it: the SLA ([`Ticket::sla`]) is
//! computed from the events alone. The first staff comment or the first
//! move out of `open` is the first response ([`TicketEvent::TicketFirstResponded`]);
//! the waiting statuses stop the SLA clock ([`Ticket::pauses`]). An
//! imported comment carries the billing's id and is taken once, so an
//! import can run again.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::sla::{due_with_pauses, Calendar, Pause, SlaPolicy};

mod values;
pub use values::*;

#[cfg(test)]
mod tests;

/// Longest comment or status note, in characters.
pub const MAX_COMMENT: usize = 8000;
/// Longest author (a user id or, imported, a name).
pub const MAX_AUTHOR: usize = 200;
/// Largest attachment.
pub const MAX_ATTACHMENT: u64 = 10 * 1024 * 1024;
/// Longest attachment file name.
pub const MAX_FILE_NAME: usize = 200;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum TicketCommand {
    Open {
        details: TicketDetails,
        source: TicketSource,
        at: DateTime<Utc>,
    },
    /// The details as they should be now; only what changed is written.
    Edit {
        details: TicketDetails,
        at: DateTime<Utc>,
    },
    /// A user id, or `None` to unassign.
    Assign {
        assignee: Option<String>,
        at: DateTime<Utc>,
    },
    ChangeStatus {
        to: TicketStatus,
        note: Option<String>,
        at: DateTime<Utc>,
    },
    Comment {
        body: String,
        author: String,
        /// Read from the billing's helpdesk, not written here.
        imported: bool,
        /// The billing's id of an imported comment: taken once.
        billing_comment_id: Option<String>,
        at: DateTime<Utc>,
    },
    Attach {
        /// The sha256 (hex) of a blob in the blob store.
        blob: String,
        name: String,
        size: u64,
        content_type: String,
        at: DateTime<Utc>,
    },
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    pub from: T,
    pub to: T,
}

/// The fields an edit changed (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_id: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Change<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Change<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Change<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Change<Priority>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ont_id: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<Change<Option<String>>>,
}

pub(crate) fn change<T: PartialEq + Clone>(from: &T, to: &T) -> Option<Change<T>> {
    (from != to).then(|| Change {
        from: from.clone(),
        to: to.clone(),
    })
}

impl TicketChanges {
    fn between(a: &TicketDetails, b: &TicketDetails) -> Self {
        TicketChanges {
            subscriber_id: change(&a.subscriber_id, &b.subscriber_id),
            login: change(&a.login, &b.login),
            address: change(&a.address, &b.address),
            phone: change(&a.phone, &b.phone),
            problem: change(&a.problem, &b.problem),
            category: change(&a.category, &b.category),
            priority: change(&a.priority, &b.priority),
            port: change(&a.links.port, &b.links.port),
            ont_id: change(&a.links.ont_id, &b.links.ont_id),
            host_id: change(&a.links.host_id, &b.links.host_id),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }

    fn apply_to(self, d: &mut TicketDetails) {
        fn set<T>(field: &mut T, c: Option<Change<T>>) {
            if let Some(c) = c {
                *field = c.to;
            }
        }
        set(&mut d.subscriber_id, self.subscriber_id);
        set(&mut d.login, self.login);
        set(&mut d.address, self.address);
        set(&mut d.phone, self.phone);
        set(&mut d.problem, self.problem);
        set(&mut d.category, self.category);
        set(&mut d.priority, self.priority);
        set(&mut d.links.port, self.port);
        set(&mut d.links.ont_id, self.ont_id);
        set(&mut d.links.host_id, self.host_id);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TicketEvent {
    TicketOpened {
        details: TicketDetails,
        source: TicketSource,
        at: DateTime<Utc>,
    },
    TicketEdited {
        changes: TicketChanges,
        at: DateTime<Utc>,
    },
    TicketAssigned {
        assignee: Option<String>,
        at: DateTime<Utc>,
    },
    TicketStatusChanged {
        from: TicketStatus,
        to: TicketStatus,
        note: Option<String>,
        at: DateTime<Utc>,
    },
    TicketCommented {
        /// The comment's index in the ticket (0 first).
        comment_id: usize,
        body: String,
        author: String,
        imported: bool,
        billing_comment_id: Option<String>,
        at: DateTime<Utc>,
    },
    TicketAttachmentAdded {
        blob: String,
        name: String,
        size: u64,
        content_type: String,
        at: DateTime<Utc>,
    },
    /// Staff first answered or acted on the ticket.
    TicketFirstResponded { at: DateTime<Utc> },
}

impl DomainEvent for TicketEvent {
    fn event_type(&self) -> String {
        match self {
            TicketEvent::TicketOpened { .. } => "TicketOpened",
            TicketEvent::TicketEdited { .. } => "TicketEdited",
            TicketEvent::TicketAssigned { .. } => "TicketAssigned",
            TicketEvent::TicketStatusChanged { .. } => "TicketStatusChanged",
            TicketEvent::TicketCommented { .. } => "TicketCommented",
            TicketEvent::TicketAttachmentAdded { .. } => "TicketAttachmentAdded",
            TicketEvent::TicketFirstResponded { .. } => "TicketFirstResponded",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
    #[error("there is no such ticket")]
    NotOpened,
    #[error("this ticket is already open")]
    AlreadyOpened,
    #[error("{}", forbidden_message(*.from, *.to))]
    Forbidden {
        from: TicketStatus,
        to: TicketStatus,
    },
}

impl crate::DomainError for TicketError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            TicketError::Invalid(e) => e.clone(),
            other => vec![(crate::FORM, other.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, TicketError::Unchanged)
    }
}

/// Where a ticket stands against its SLA policy at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaState {
    pub first_response_due: Option<DateTime<Utc>>,
    /// `None` while the ticket waits (the clock stands still).
    pub resolution_due: Option<DateTime<Utc>>,
    pub first_response_breached: bool,
    pub resolution_breached: bool,
    pub paused: bool,
}

/// The due times a ticket still awaits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Awaited {
    /// Until the first response came.
    pub first_response: Option<DateTime<Utc>>,
    /// While not done and not waiting (the clock stands still then).
    pub resolution: Option<DateTime<Utc>>,
    pub paused: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// `None` until opened.
    pub details: Option<TicketDetails>,
    pub source: Option<TicketSource>,
    pub status: TicketStatus,
    pub assignee: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// When it was last resolved (or closed without being resolved);
    /// cleared on a reopen.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The stretches spent in a waiting status, the last one open while
    /// the ticket waits.
    pub pauses: Vec<Pause>,
    pub comments: usize,
    /// The billing's ids of the comments imported so far.
    pub billing_comment_ids: BTreeSet<String>,
    /// The blobs attached so far.
    pub attachments: BTreeSet<String>,
}

fn invalid(errors: Vec<(&'static str, String)>) -> Result<(), TicketError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TicketError::Invalid(errors))
    }
}

pub(crate) fn text_errors(
    field: &'static str,
    text: &str,
    what: &str,
    max: usize,
) -> Vec<(&'static str, String)> {
    let n = text.chars().count();
    if n == 0 {
        vec![(field, format!("write {what}"))]
    } else if n > max {
        vec![(field, format!("at most {max} characters"))]
    } else {
        Vec::new()
    }
}

pub(crate) fn attachment_errors(
    blob: &str,
    name: &str,
    size: u64,
    content_type: &str,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if blob.len() != 64 || !blob.chars().all(|c| c.is_ascii_hexdigit()) {
        out.push(("blob", "not a stored file".to_string()));
    }
    let n = name.chars().count();
    if n == 0
        || n > MAX_FILE_NAME
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        out.push((
            "name",
            format!("a file name is 1 to {MAX_FILE_NAME} characters without / or \\"),
        ));
    }
    if size == 0 || size > MAX_ATTACHMENT {
        out.push(("size", "a file is at most 10 MiB and not empty".to_string()));
    }
    let image = content_type
        .strip_prefix("image/")
        .is_some_and(|sub| !sub.is_empty() && !sub.contains('/'));
    if !image && content_type != "application/pdf" {
        out.push(("content_type", "a photo or a PDF only".to_string()));
    }
    out
}

impl Ticket {
    pub fn decide(&self, command: TicketCommand) -> Result<Vec<TicketEvent>, TicketError> {
        use TicketEvent as E;
        if let TicketCommand::Open {
            details,
            source,
            at,
        } = command
        {
            if self.details.is_some() {
                return Err(TicketError::AlreadyOpened);
            }
            let details = details.tidy();
            let mut errors = details.errors();
            let source = match source {
                TicketSource::Billing { billing_ticket_id } => {
                    let id = billing_ticket_id.trim().to_string();
                    if id.is_empty() {
                        errors.push(("billing_ticket_id", "the billing's ticket id".into()));
                    }
                    TicketSource::Billing {
                        billing_ticket_id: id,
                    }
                }
                TicketSource::Staff => TicketSource::Staff,
            };
            invalid(errors)?;
            return Ok(vec![E::TicketOpened {
                details,
                source,
                at,
            }]);
        }
        let Some(current) = &self.details else {
            return Err(TicketError::NotOpened);
        };
        match command {
            TicketCommand::Open { .. } => unreachable!("decided above"),
            TicketCommand::Edit { details, at } => {
                let details = details.tidy();
                invalid(details.errors())?;
                let changes = TicketChanges::between(current, &details);
                if changes.is_empty() {
                    return Err(TicketError::Unchanged);
                }
                Ok(vec![E::TicketEdited { changes, at }])
            }
            TicketCommand::Assign { assignee, at } => {
                let assignee = assignee
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty());
                if assignee
                    .as_ref()
                    .is_some_and(|a| a.chars().count() > MAX_REF)
                {
                    return Err(TicketError::Invalid(vec![(
                        "assignee",
                        "not a user".to_string(),
                    )]));
                }
                if assignee == self.assignee {
                    return Err(TicketError::Unchanged);
                }
                Ok(vec![E::TicketAssigned { assignee, at }])
            }
            TicketCommand::ChangeStatus { to, note, at } => {
                let from = self.status;
                if from == to {
                    return Err(TicketError::Unchanged);
                }
                if !allowed(from, to) {
                    return Err(TicketError::Forbidden { from, to });
                }
                let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
                if let Some(n) = &note {
                    invalid(text_errors("note", n, "a note", MAX_COMMENT))?;
                }
                let mut out = vec![E::TicketStatusChanged { from, to, note, at }];
                if from == TicketStatus::Open && self.first_response_at.is_none() {
                    out.push(E::TicketFirstResponded { at });
                }
                Ok(out)
            }
            TicketCommand::Comment {
                body,
                author,
                imported,
                billing_comment_id,
                at,
            } => {
                let body = body.trim().to_string();
                let author = author.trim().to_string();
                let billing_comment_id = billing_comment_id
                    .map(|id| id.trim().to_string())
                    .filter(|id| !id.is_empty());
                let mut errors = text_errors("body", &body, "a comment", MAX_COMMENT);
                errors.extend(text_errors("author", &author, "who wrote it", MAX_AUTHOR));
                invalid(errors)?;
                if billing_comment_id
                    .as_ref()
                    .is_some_and(|id| self.billing_comment_ids.contains(id))
                {
                    return Err(TicketError::Unchanged);
                }
                let mut out = vec![E::TicketCommented {
                    comment_id: self.comments,
                    body,
                    author,
                    imported,
                    billing_comment_id,
                    at,
                }];
                if !imported && self.first_response_at.is_none() {
                    out.push(E::TicketFirstResponded { at });
                }
                Ok(out)
            }
            TicketCommand::Attach {
                blob,
                name,
                size,
                content_type,
                at,
            } => {
                let blob = blob.trim().to_ascii_lowercase();
                let name = name.trim().to_string();
                let content_type = content_type.trim().to_ascii_lowercase();
                invalid(attachment_errors(&blob, &name, size, &content_type))?;
                if self.attachments.contains(&blob) {
                    return Err(TicketError::Unchanged);
                }
                Ok(vec![E::TicketAttachmentAdded {
                    blob,
                    name,
                    size,
                    content_type,
                    at,
                }])
            }
        }
    }

    /// The SLA of this ticket under `policy` as of `now`. A time is
    /// breached when it ran out before the response (or resolution) came,
    /// or, still awaited, before `now`; the waiting stretches do not count.
    pub fn sla(&self, cal: &Calendar, policy: &SlaPolicy, now: DateTime<Utc>) -> SlaState {
        let Some(opened) = self.opened_at else {
            return SlaState {
                first_response_due: None,
                resolution_due: None,
                first_response_breached: false,
                resolution_breached: false,
                paused: false,
            };
        };
        let first_response_due = due_with_pauses(cal, opened, policy.first_response, &self.pauses);
        let resolution_due = due_with_pauses(cal, opened, policy.resolution, &self.pauses);
        let breached = |due: Option<DateTime<Utc>>, done: Option<DateTime<Utc>>| {
            due.is_some_and(|due| done.unwrap_or(now) > due)
        };
        SlaState {
            first_response_due,
            resolution_due,
            first_response_breached: breached(first_response_due, self.first_response_at),
            resolution_breached: breached(resolution_due, self.resolved_at),
            paused: self.status.is_waiting(),
        }
    }
}

impl Ticket {
    /// The due times still awaited under `cal` and the policy of the
    /// ticket's priority in `policies`; none for a ticket not opened yet.
    pub fn awaited(
        &self,
        cal: &Calendar,
        policies: &std::collections::BTreeMap<Priority, SlaPolicy>,
    ) -> Awaited {
        let none = Awaited {
            first_response: None,
            resolution: None,
            paused: false,
        };
        let (Some(d), Some(opened)) = (&self.details, self.opened_at) else {
            return none;
        };
        let Some(policy) = policies.get(&d.priority) else {
            return none;
        };
        let s = self.sla(cal, policy, opened);
        Awaited {
            first_response: s
                .first_response_due
                .filter(|_| self.first_response_at.is_none()),
            resolution: s.resolution_due.filter(|_| !self.status.is_done()),
            paused: s.paused,
        }
    }
}

impl Aggregate for Ticket {
    const TYPE: &'static str = "Ticket";
    type Command = TicketCommand;
    type Event = TicketEvent;
    type Error = TicketError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TicketCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TicketError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: TicketEvent) {
        use TicketEvent as E;
        match event {
            E::TicketOpened {
                details,
                source,
                at,
            } => {
                self.details = Some(details);
                self.source = Some(source);
                self.opened_at = Some(at);
            }
            E::TicketEdited { changes, .. } => {
                if let Some(d) = &mut self.details {
                    changes.apply_to(d);
                }
            }
            E::TicketAssigned { assignee, .. } => self.assignee = assignee,
            E::TicketStatusChanged { from, to, at, .. } => {
                let open_pause = self.pauses.last().is_some_and(|p| p.1.is_none());
                if to.is_waiting() && !open_pause {
                    self.pauses.push((at, None));
                } else if !to.is_waiting() && open_pause {
                    if let Some(p) = self.pauses.last_mut() {
                        p.1 = Some(at);
                    }
                }
                if to.is_done() {
                    self.resolved_at.get_or_insert(at);
                } else if from.is_done() {
                    self.resolved_at = None;
                }
                self.status = to;
            }
            E::TicketCommented {
                billing_comment_id, ..
            } => {
                self.comments += 1;
                self.billing_comment_ids.extend(billing_comment_id);
            }
            E::TicketAttachmentAdded { blob, .. } => {
                self.attachments.insert(blob);
            }
            E::TicketFirstResponded { at } => {
                self.first_response_at.get_or_insert(at);
            }
        }
    }
}
