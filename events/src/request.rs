//! The Request aggregate: a connection (or other) request, the old tool's
//! ConnectStatements — what and where ([`RequestDetails`]), its "for whom"
//! label, status, message thread, place on the board (a folder of the
//! [`crate::request_board`] and a [`crate::rank`]), the installer and the
//! visit, a checklist, and the GPON registration it hands over to.
//!
//! Every command says when (`at`); its events keep it. Rules the old tool
//! had or lacked:
//! - a message posted on an `open` request moves it to `awaiting_reply`
//!   (the old tool's "sending a message set status 2"); the first message
//!   given at opening is the request itself and moves nothing;
//! - a move writes the request's own folder and rank only, so two users
//!   reordering at once never undo each other;
//! - a request in the trash (`closed`) takes no messages, visits,
//!   installers or checklist work until restored; it may still be edited,
//!   labelled and moved;
//! - once `done`, [`Request::registration_offer`] pre-fills the GPON
//!   registration and [`RequestCommand::LinkRegistration`] keeps its id.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::ticket::{
    attachment_errors, change, chars, text_errors, tidy_opt, Change, MAX_AUTHOR, MAX_REF,
};

mod values;
pub use values::*;

#[cfg(test)]
mod tests;

/// Longest message or status note, in characters.
pub const MAX_MESSAGE: usize = 8000;
/// Most checklist items, and the longest one.
pub const MAX_CHECKLIST: usize = 50;
pub const MAX_ITEM: usize = 200;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum RequestCommand {
    Open {
        details: RequestDetails,
        /// A folder of the board, or `None`: in no folder.
        folder: Option<String>,
        /// Its place ([`crate::rank::between`] its neighbours).
        rank: String,
        /// (author, body): what was asked, kept as the first message.
        first_message: Option<(String, String)>,
        at: DateTime<Utc>,
    },
    /// The details as they should be now; only what changed is written.
    Edit {
        details: RequestDetails,
        at: DateTime<Utc>,
    },
    ChangeStatus {
        to: RequestStatus,
        note: Option<String>,
        at: DateTime<Utc>,
    },
    Message {
        author: String,
        body: String,
        at: DateTime<Utc>,
    },
    Label {
        text: String,
        colour: Colour,
        at: DateTime<Utc>,
    },
    /// Into a folder (or none) at a rank: this request's own place only.
    Move {
        folder: Option<String>,
        rank: String,
        at: DateTime<Utc>,
    },
    /// A user id, or `None` to unassign.
    AssignInstaller {
        installer: Option<String>,
        at: DateTime<Utc>,
    },
    /// A visit, or `None` to cancel it.
    Schedule {
        visit: Option<Visit>,
        at: DateTime<Utc>,
    },
    /// The checklist (a template's items, as copied): every item undone.
    SetChecklist {
        items: Vec<String>,
        at: DateTime<Utc>,
    },
    CheckItem {
        index: usize,
        done: bool,
        at: DateTime<Utc>,
    },
    /// The GPON registration started from this request.
    LinkRegistration {
        job_id: String,
        ont_id: Option<String>,
        at: DateTime<Utc>,
    },
    /// The subscriber (and login) once the billing knows them.
    LinkSubscriber {
        subscriber_id: Option<String>,
        login: Option<String>,
        at: DateTime<Utc>,
    },
    /// A photo from the visit (or a PDF), stored in the blob store.
    Attach {
        /// The sha256 (hex) of a blob in the blob store.
        blob: String,
        name: String,
        size: u64,
        content_type: String,
        at: DateTime<Utc>,
    },
}

/// The fields an edit changed (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Change<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Change<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriber_id: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Change<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpon: Option<Change<GponHints>>,
}

impl RequestChanges {
    fn between(a: &RequestDetails, b: &RequestDetails) -> Self {
        RequestChanges {
            name: change(&a.name, &b.name),
            address: change(&a.address, &b.address),
            subscriber_id: change(&a.subscriber_id, &b.subscriber_id),
            login: change(&a.login, &b.login),
            phone: change(&a.phone, &b.phone),
            area: change(&a.area, &b.area),
            gpon: change(&a.gpon, &b.gpon),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == RequestChanges::default()
    }

    fn apply_to(self, d: &mut RequestDetails) {
        fn set<T>(field: &mut T, c: Option<Change<T>>) {
            if let Some(c) = c {
                *field = c.to;
            }
        }
        set(&mut d.name, self.name);
        set(&mut d.address, self.address);
        set(&mut d.subscriber_id, self.subscriber_id);
        set(&mut d.login, self.login);
        set(&mut d.phone, self.phone);
        set(&mut d.area, self.area);
        set(&mut d.gpon, self.gpon);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RequestEvent {
    RequestOpened {
        details: RequestDetails,
        folder: Option<String>,
        rank: String,
        label: Label,
        at: DateTime<Utc>,
    },
    RequestEdited {
        changes: RequestChanges,
        at: DateTime<Utc>,
    },
    RequestStatusChanged {
        from: RequestStatus,
        to: RequestStatus,
        note: Option<String>,
        at: DateTime<Utc>,
    },
    RequestMessagePosted {
        /// The message's index in the thread (0 first).
        n: usize,
        author: String,
        body: String,
        at: DateTime<Utc>,
    },
    RequestLabelled {
        label: Label,
        at: DateTime<Utc>,
    },
    RequestMoved {
        folder: Option<String>,
        rank: String,
        at: DateTime<Utc>,
    },
    RequestInstallerAssigned {
        installer: Option<String>,
        at: DateTime<Utc>,
    },
    RequestScheduled {
        visit: Option<Visit>,
        at: DateTime<Utc>,
    },
    RequestChecklistSet {
        items: Vec<String>,
        at: DateTime<Utc>,
    },
    RequestItemChecked {
        index: usize,
        done: bool,
        at: DateTime<Utc>,
    },
    RequestRegistrationLinked {
        registration: RegistrationLink,
        at: DateTime<Utc>,
    },
    RequestSubscriberLinked {
        subscriber_id: Option<String>,
        login: Option<String>,
        at: DateTime<Utc>,
    },
    RequestAttachmentAdded {
        blob: String,
        name: String,
        size: u64,
        content_type: String,
        at: DateTime<Utc>,
    },
}

impl RequestEvent {
    /// When it happened (every event says).
    pub fn at(&self) -> DateTime<Utc> {
        use RequestEvent as E;
        match self {
            E::RequestOpened { at, .. }
            | E::RequestEdited { at, .. }
            | E::RequestStatusChanged { at, .. }
            | E::RequestMessagePosted { at, .. }
            | E::RequestLabelled { at, .. }
            | E::RequestMoved { at, .. }
            | E::RequestInstallerAssigned { at, .. }
            | E::RequestScheduled { at, .. }
            | E::RequestChecklistSet { at, .. }
            | E::RequestItemChecked { at, .. }
            | E::RequestRegistrationLinked { at, .. }
            | E::RequestSubscriberLinked { at, .. }
            | E::RequestAttachmentAdded { at, .. } => *at,
        }
    }
}

impl DomainEvent for RequestEvent {
    fn event_type(&self) -> String {
        use RequestEvent as E;
        match self {
            E::RequestOpened { .. } => "RequestOpened",
            E::RequestEdited { .. } => "RequestEdited",
            E::RequestStatusChanged { .. } => "RequestStatusChanged",
            E::RequestMessagePosted { .. } => "RequestMessagePosted",
            E::RequestLabelled { .. } => "RequestLabelled",
            E::RequestMoved { .. } => "RequestMoved",
            E::RequestInstallerAssigned { .. } => "RequestInstallerAssigned",
            E::RequestScheduled { .. } => "RequestScheduled",
            E::RequestChecklistSet { .. } => "RequestChecklistSet",
            E::RequestItemChecked { .. } => "RequestItemChecked",
            E::RequestRegistrationLinked { .. } => "RequestRegistrationLinked",
            E::RequestSubscriberLinked { .. } => "RequestSubscriberLinked",
            E::RequestAttachmentAdded { .. } => "RequestAttachmentAdded",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
    #[error("there is no such request")]
    NotOpened,
    #[error("this request is already open")]
    AlreadyOpened,
    #[error("{}", forbidden_message(*.from, *.to))]
    Forbidden {
        from: RequestStatus,
        to: RequestStatus,
    },
    #[error("this request is in the trash; restore it first")]
    InTrash,
}

impl crate::DomainError for RequestError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            RequestError::Invalid(e) => e.clone(),
            other => vec![(crate::FORM, other.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, RequestError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// `None` until opened.
    pub details: Option<RequestDetails>,
    pub status: RequestStatus,
    pub label: Label,
    pub folder: Option<String>,
    pub rank: String,
    pub installer: Option<String>,
    pub visit: Option<Visit>,
    /// (item, done), in order.
    pub checklist: Vec<(String, bool)>,
    pub messages: usize,
    /// Blobs attached (photos from the visit).
    #[serde(default)]
    pub attachments: Vec<String>,
    pub registration: Option<RegistrationLink>,
    pub opened_at: Option<DateTime<Utc>>,
    pub changed_at: Option<DateTime<Utc>>,
}

fn invalid(errors: Vec<(&'static str, String)>) -> Result<(), RequestError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RequestError::Invalid(errors))
    }
}

/// A folder id as the board makes them (see [`crate::request_board`]).
fn folder_errors(folder: &Option<String>) -> Vec<(&'static str, String)> {
    match folder {
        Some(f) if !crate::request_board::is_folder_id(f) => {
            vec![("folder", "not a folder".to_string())]
        }
        _ => Vec::new(),
    }
}

fn rank_errors(rank: &str) -> Vec<(&'static str, String)> {
    if crate::rank::is_valid(rank) {
        Vec::new()
    } else {
        vec![("rank", "not a place on the board".to_string())]
    }
}

fn ref_errors(field: &'static str, v: &Option<String>, what: &str) -> Vec<(&'static str, String)> {
    if v.as_deref().is_some_and(|v| chars(v) > MAX_REF) {
        vec![(field, format!("not {what}"))]
    } else {
        Vec::new()
    }
}

fn message(author: String, body: String) -> Result<(String, String), RequestError> {
    let (author, body) = (author.trim().to_string(), body.trim().to_string());
    let mut errors = text_errors("body", &body, "a message", MAX_MESSAGE);
    errors.extend(text_errors("author", &author, "who wrote it", MAX_AUTHOR));
    invalid(errors)?;
    Ok((author, body))
}

fn tidy_folder(folder: Option<String>) -> Option<String> {
    tidy_opt(folder)
}

impl Request {
    pub fn decide(&self, command: RequestCommand) -> Result<Vec<RequestEvent>, RequestError> {
        use RequestEvent as E;
        if let RequestCommand::Open {
            details,
            folder,
            rank,
            first_message,
            at,
        } = command
        {
            if self.details.is_some() {
                return Err(RequestError::AlreadyOpened);
            }
            let details = details.tidy();
            let folder = tidy_folder(folder);
            let rank = rank.trim().to_string();
            let mut errors = details.errors();
            errors.extend(folder_errors(&folder));
            errors.extend(rank_errors(&rank));
            let first = first_message.map(|(a, b)| message(a, b));
            if let Some(Err(RequestError::Invalid(e))) = &first {
                errors.extend(e.iter().cloned());
            }
            invalid(errors)?;
            let mut out = vec![E::RequestOpened {
                details,
                folder,
                rank,
                label: Label::default(),
                at,
            }];
            if let Some(Ok((author, body))) = first {
                out.push(E::RequestMessagePosted {
                    n: 0,
                    author,
                    body,
                    at,
                });
            }
            return Ok(out);
        }
        let Some(current) = &self.details else {
            return Err(RequestError::NotOpened);
        };
        let in_trash = self.status == RequestStatus::Closed;
        match command {
            RequestCommand::Open { .. } => unreachable!("decided above"),
            RequestCommand::Edit { details, at } => {
                let details = details.tidy();
                invalid(details.errors())?;
                let changes = RequestChanges::between(current, &details);
                if changes.is_empty() {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestEdited { changes, at }])
            }
            RequestCommand::ChangeStatus { to, note, at } => {
                let from = self.status;
                if from == to {
                    return Err(RequestError::Unchanged);
                }
                if !allowed(from, to) {
                    return Err(RequestError::Forbidden { from, to });
                }
                let note = tidy_opt(note);
                if let Some(n) = &note {
                    invalid(text_errors("note", n, "a note", MAX_MESSAGE))?;
                }
                Ok(vec![E::RequestStatusChanged { from, to, note, at }])
            }
            RequestCommand::Message { author, body, at } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                let (author, body) = message(author, body)?;
                let mut out = vec![E::RequestMessagePosted {
                    n: self.messages,
                    author,
                    body,
                    at,
                }];
                if self.status == RequestStatus::Open {
                    out.push(E::RequestStatusChanged {
                        from: RequestStatus::Open,
                        to: RequestStatus::AwaitingReply,
                        note: None,
                        at,
                    });
                }
                Ok(out)
            }
            RequestCommand::Label { text, colour, at } => {
                let text = text.trim().to_string();
                invalid(text_errors("label", &text, "for whom", MAX_LABEL))?;
                let label = Label { text, colour };
                if label == self.label {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestLabelled { label, at }])
            }
            RequestCommand::Move { folder, rank, at } => {
                let folder = tidy_folder(folder);
                let rank = rank.trim().to_string();
                let mut errors = folder_errors(&folder);
                errors.extend(rank_errors(&rank));
                invalid(errors)?;
                if folder == self.folder && rank == self.rank {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestMoved { folder, rank, at }])
            }
            RequestCommand::AssignInstaller { installer, at } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                let installer = tidy_opt(installer);
                invalid(ref_errors("installer", &installer, "a user"))?;
                if installer == self.installer {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestInstallerAssigned { installer, at }])
            }
            RequestCommand::Schedule { visit, at } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                if visit.is_some_and(|v| v.from >= v.to) {
                    return Err(RequestError::Invalid(vec![(
                        "to",
                        "the window ends after it starts".to_string(),
                    )]));
                }
                if visit == self.visit {
                    return Err(RequestError::Unchanged);
                }
                let mut out = vec![E::RequestScheduled { visit, at }];
                // A visit set on a request still being talked over schedules it.
                let talking = matches!(
                    self.status,
                    RequestStatus::Open | RequestStatus::AwaitingReply
                );
                if visit.is_some() && talking {
                    out.push(E::RequestStatusChanged {
                        from: self.status,
                        to: RequestStatus::Scheduled,
                        note: None,
                        at,
                    });
                }
                Ok(out)
            }
            RequestCommand::SetChecklist { items, at } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                let items = checklist(items)?;
                let same = items.len() == self.checklist.len()
                    && items.iter().zip(&self.checklist).all(|(a, b)| *a == b.0);
                if same {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestChecklistSet { items, at }])
            }
            RequestCommand::CheckItem { index, done, at } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                let Some((_, was)) = self.checklist.get(index) else {
                    return Err(RequestError::Invalid(vec![(
                        "index",
                        "no such checklist item".to_string(),
                    )]));
                };
                if *was == done {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestItemChecked { index, done, at }])
            }
            RequestCommand::LinkRegistration { job_id, ont_id, at } => {
                let job_id = job_id.trim().to_string();
                let ont_id = tidy_opt(ont_id);
                let mut errors = if job_id.is_empty() || chars(&job_id) > MAX_REF {
                    vec![("job_id", "not a registration".to_string())]
                } else {
                    Vec::new()
                };
                errors.extend(ref_errors("ont_id", &ont_id, "an ONT"));
                invalid(errors)?;
                let registration = RegistrationLink { job_id, ont_id };
                if self.registration.as_ref() == Some(&registration) {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestRegistrationLinked { registration, at }])
            }
            RequestCommand::LinkSubscriber {
                subscriber_id,
                login,
                at,
            } => {
                let mut linked = current.clone();
                linked.subscriber_id = tidy_opt(subscriber_id);
                linked.login = tidy_opt(login);
                let errors: Vec<_> = linked
                    .errors()
                    .into_iter()
                    .filter(|(f, _)| matches!(*f, "subscriber_id" | "login"))
                    .collect();
                invalid(errors)?;
                if linked.subscriber_id == current.subscriber_id && linked.login == current.login {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestSubscriberLinked {
                    subscriber_id: linked.subscriber_id,
                    login: linked.login,
                    at,
                }])
            }
            RequestCommand::Attach {
                blob,
                name,
                size,
                content_type,
                at,
            } => {
                if in_trash {
                    return Err(RequestError::InTrash);
                }
                invalid(attachment_errors(&blob, &name, size, &content_type))?;
                if self.attachments.contains(&blob) {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestAttachmentAdded {
                    blob,
                    name,
                    size,
                    content_type,
                    at,
                }])
            }
        }
    }

    /// The registration a done request offers to start (none once one is
    /// linked): the serial, port and profile it knows, and the login (or
    /// the subject) as the ONT's description.
    pub fn registration_offer(&self) -> Option<RegistrationOffer> {
        let d = self.details.as_ref()?;
        if self.status != RequestStatus::Done || self.registration.is_some() {
            return None;
        }
        Some(RegistrationOffer {
            sn: d.gpon.sn.clone(),
            olt_id: d.gpon.olt_id.clone(),
            port: d.gpon.port.clone(),
            profile: d.gpon.profile.clone(),
            name: d.login.clone().unwrap_or_else(|| d.name.clone()),
        })
    }

    /// (items done, items).
    pub fn checklist_progress(&self) -> (usize, usize) {
        let done = self.checklist.iter().filter(|(_, d)| *d).count();
        (done, self.checklist.len())
    }
}

/// The items trimmed, empty ones dropped; at most [`MAX_CHECKLIST`] of at
/// most [`MAX_ITEM`] characters.
pub fn checklist(items: Vec<String>) -> Result<Vec<String>, RequestError> {
    let items: Vec<String> = items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect();
    if items.len() > MAX_CHECKLIST {
        return Err(RequestError::Invalid(vec![(
            "items",
            format!("at most {MAX_CHECKLIST} items"),
        )]));
    }
    if items.iter().any(|i| chars(i) > MAX_ITEM) {
        return Err(RequestError::Invalid(vec![(
            "items",
            format!("an item is at most {MAX_ITEM} characters"),
        )]));
    }
    Ok(items)
}

impl Aggregate for Request {
    const TYPE: &'static str = "Request";
    type Command = RequestCommand;
    type Event = RequestEvent;
    type Error = RequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: RequestCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RequestError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: RequestEvent) {
        use RequestEvent as E;
        self.changed_at = Some(event.at());
        match event {
            E::RequestOpened {
                details,
                folder,
                rank,
                label,
                at,
            } => {
                self.details = Some(details);
                self.folder = folder;
                self.rank = rank;
                self.label = label;
                self.opened_at = Some(at);
            }
            E::RequestEdited { changes, .. } => {
                if let Some(d) = &mut self.details {
                    changes.apply_to(d);
                }
            }
            E::RequestStatusChanged { to, .. } => self.status = to,
            E::RequestMessagePosted { .. } => self.messages += 1,
            E::RequestLabelled { label, .. } => self.label = label,
            E::RequestMoved { folder, rank, .. } => {
                self.folder = folder;
                self.rank = rank;
            }
            E::RequestInstallerAssigned { installer, .. } => self.installer = installer,
            E::RequestScheduled { visit, .. } => self.visit = visit,
            E::RequestChecklistSet { items, .. } => {
                self.checklist = items.into_iter().map(|i| (i, false)).collect();
            }
            E::RequestItemChecked { index, done, .. } => {
                if let Some(item) = self.checklist.get_mut(index) {
                    item.1 = done;
                }
            }
            E::RequestRegistrationLinked { registration, .. } => {
                self.registration = Some(registration);
            }
            E::RequestSubscriberLinked {
                subscriber_id,
                login,
                ..
            } => {
                if let Some(d) = &mut self.details {
                    d.subscriber_id = subscriber_id;
                    d.login = login;
                }
            }
            E::RequestAttachmentAdded { blob, .. } => self.attachments.push(blob),
        }
    }
}
