//! Repair tickets (HelpDesk), shared by the pages and the API: opening one
//! pre-filled from what ispmon knows (a subscriber's card, a host), the
//! phones and subscribers recognised in the text typed, edits, assignment,
//! status changes and comments — each a command on the `Ticket` aggregate.

use chrono::Utc;
use ispmon_events::phone::find_phones;
use ispmon_events::ticket::{
    Priority, TicketCommand, TicketDetails, TicketLinks, TicketSource, TicketStatus,
};
use ispmon_events::Metadata;
use ispmon_projections::subscribers::ListQuery;
use ispmon_projections::tickets::{self, TicketQuery, TicketView};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::pages::components::FormErrors;
use crate::state::AppState;

type Ticket = ispmon_events::ticket::Ticket;

/// A ticket as a form or the API sends it (every field text).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketForm {
    pub subscriber_id: String,
    pub login: String,
    pub address: String,
    pub phone: String,
    pub problem: String,
    pub category: String,
    pub priority: String,
    pub port: String,
    pub ont_id: String,
    pub host_id: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl TicketForm {
    /// The details it asks for; a priority that is not one is named.
    pub fn details(&self) -> Result<TicketDetails, FormErrors> {
        let priority = if self.priority.trim().is_empty() {
            Priority::Normal
        } else {
            match Priority::parse(&self.priority) {
                Some(p) => p,
                None => {
                    let mut e = FormErrors::default();
                    e.add("priority", "choose low, normal, high or urgent");
                    return Err(e);
                }
            }
        };
        Ok(TicketDetails {
            subscriber_id: opt(&self.subscriber_id),
            login: opt(&self.login),
            address: self.address.trim().to_string(),
            phone: opt(&self.phone),
            problem: self.problem.trim().to_string(),
            category: if self.category.trim().is_empty() {
                "no-internet".to_string()
            } else {
                self.category.trim().to_string()
            },
            priority,
            links: TicketLinks {
                port: opt(&self.port),
                ont_id: opt(&self.ont_id),
                host_id: opt(&self.host_id),
            },
        }
        .tidy())
    }
}

async fn run(st: &AppState, id: &str, c: TicketCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::run::<Ticket>(&st.core.commands, id, c, meta).await
}

async fn settle(st: &AppState, id: &str, c: TicketCommand, meta: &Metadata) -> AppResult<()> {
    crate::commands::settle::<Ticket>(&st.core.commands, id, c, meta).await
}

/// Opens a ticket; its id.
pub async fn open(st: &AppState, form: &TicketForm, meta: &Metadata) -> AppResult<String> {
    let details = form.details().map_err(AppError::Invalid)?;
    let id = uuid::Uuid::new_v4().to_string();
    run(
        st,
        &id,
        TicketCommand::Open {
            details,
            source: TicketSource::Staff,
            at: Utc::now(),
        },
        meta,
    )
    .await?;
    Ok(id)
}

/// Saves the details as the form has them (only what changed is written).
pub async fn edit(st: &AppState, id: &str, form: &TicketForm, meta: &Metadata) -> AppResult<()> {
    let details = form.details().map_err(AppError::Invalid)?;
    settle(
        st,
        id,
        TicketCommand::Edit {
            details,
            at: Utc::now(),
        },
        meta,
    )
    .await
}

pub async fn change_status(
    st: &AppState,
    id: &str,
    to: &str,
    note: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let Some(to) = TicketStatus::parse(to) else {
        let mut e = FormErrors::default();
        e.add(
            "status",
            "choose open, in-progress, waiting-subscriber, waiting-parts, resolved or closed",
        );
        return Err(AppError::Invalid(e));
    };
    run(
        st,
        id,
        TicketCommand::ChangeStatus {
            to,
            note: opt(note),
            at: Utc::now(),
        },
        meta,
    )
    .await
}

/// The login of a user as a form names them (empty: nobody); a login
/// that is no user is an error on `field`.
pub async fn user_login(
    st: &AppState,
    login: &str,
    field: &'static str,
) -> AppResult<Option<String>> {
    let Some(l) = opt(login) else {
        return Ok(None);
    };
    let who = l.clone();
    let found = st
        .core
        .views
        .read(move |c| ispmon_projections::users::by_login(c, &who))
        .await?;
    if found.is_none() {
        let mut e = FormErrors::default();
        e.add(field, format!("there is no user {l}"));
        return Err(AppError::Invalid(e));
    }
    Ok(Some(l))
}

/// Assigns the ticket to the user with `login` (empty: nobody).
pub async fn assign(st: &AppState, id: &str, login: &str, meta: &Metadata) -> AppResult<()> {
    let assignee = user_login(st, login, "assignee").await?;
    settle(
        st,
        id,
        TicketCommand::Assign {
            assignee,
            at: Utc::now(),
        },
        meta,
    )
    .await
}

pub async fn comment(st: &AppState, id: &str, body: &str, meta: &Metadata) -> AppResult<()> {
    run(
        st,
        id,
        TicketCommand::Comment {
            body: body.trim().to_string(),
            author: meta.actor_login.clone(),
            imported: false,
            billing_comment_id: None,
            at: Utc::now(),
        },
        meta,
    )
    .await
}

pub async fn list(st: &AppState, q: TicketQuery) -> AppResult<Vec<TicketView>> {
    Ok(st.core.views.read(move |c| tickets::list(c, &q)).await?)
}

pub async fn get(st: &AppState, id: &str) -> AppResult<Option<TicketView>> {
    let id = id.to_string();
    Ok(st.core.views.read(move |c| tickets::get(c, &id)).await?)
}

/// What a file is by its first bytes (never by what the browser says):
/// the photo formats phones take and PDF.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1")
    {
        Some("image/heic")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file put in the blob store for an attachment.
pub struct StoredFile {
    pub blob: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

/// Stores a file sent to be attached (to a ticket or a request); a file
/// that is not a photo or a PDF, or too big, is refused before anything is
/// stored.
pub async fn store_file(st: &AppState, name: &str, bytes: Vec<u8>) -> AppResult<StoredFile> {
    let mut e = FormErrors::default();
    let Some(content_type) = sniff(&bytes) else {
        e.add("file", "a photo (JPEG, PNG, WebP, HEIC, GIF) or a PDF only");
        return Err(AppError::Invalid(e));
    };
    let size = bytes.len() as u64;
    if size == 0 || size > ispmon_events::ticket::MAX_ATTACHMENT {
        e.add("file", "a file is at most 10 MiB and not empty");
        return Err(AppError::Invalid(e));
    }
    let blobs = st.core.blobs.clone();
    let blob = tokio::task::spawn_blocking(move || blobs.put(&bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(StoredFile {
        blob,
        name: file_name(name),
        size,
        content_type: content_type.to_string(),
    })
}

/// Stores a file and attaches it to a ticket.
pub async fn attach(
    st: &AppState,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    meta: &Metadata,
) -> AppResult<()> {
    let f = store_file(st, name, bytes).await?;
    run(
        st,
        id,
        TicketCommand::Attach {
            blob: f.blob,
            name: f.name,
            size: f.size,
            content_type: f.content_type,
            at: Utc::now(),
        },
        meta,
    )
    .await
}

/// The name a file is kept under: what the browser sent without paths or
/// control characters, at most 200 characters, or `attachment`.
fn file_name(sent: &str) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(ispmon_events::ticket::MAX_FILE_NAME)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "attachment".to_string()
    } else {
        clean.to_string()
    }
}

/// A ticket's comments and history (at, by, what), oldest first.
pub async fn thread(st: &AppState, id: &str) -> AppResult<Thread> {
    let id = id.to_string();
    Ok(st
        .core
        .views
        .read(move |c| Ok((tickets::comments(c, &id)?, tickets::history_of(c, &id)?)))
        .await?)
}

pub type Thread = (
    Vec<ispmon_projections::tickets::CommentView>,
    Vec<(String, String, String)>,
);

/// A subscriber the text seems to be about, for the user to confirm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub billing_id: String,
    pub login: String,
    pub display: String,
    pub address: Option<String>,
    /// What matched: a phone, the login, the address.
    pub by: String,
}

/// The phones in `text` (normalised) and the subscribers it may be about:
/// by each phone, by a login-like word, then by the whole text (address).
pub async fn suggest(st: &AppState, text: &str) -> AppResult<(Vec<String>, Vec<Suggestion>)> {
    let phones = find_phones(text);
    let mut out: Vec<Suggestion> = Vec::new();
    // (what to search, what it is, whether only an exact login counts)
    let mut tries: Vec<(String, String, bool)> = phones
        .iter()
        .map(|p| (p.clone(), format!("phone {p}"), false))
        .collect();
    for w in text.split(|c: char| c.is_whitespace() || ",;".contains(c)) {
        let login_like = w.len() >= 3
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c))
            && w.chars().any(|c| c.is_ascii_alphabetic());
        if login_like {
            tries.push((w.to_string(), format!("login {w}"), true));
        }
    }
    let whole = text.trim();
    if !whole.is_empty() && whole.chars().count() <= crate::subscribers::MAX_QUERY {
        tries.push((whole.to_string(), "address".to_string(), false));
    }
    for (q, by, exact_login) in tries {
        if out.len() >= 5 {
            break;
        }
        let (page, _) = crate::subscribers::list(
            st,
            ListQuery {
                q: q.clone(),
                limit: 5,
                ..ListQuery::default()
            },
        )
        .await?;
        // A login-like word counts only when it is a login.
        for r in page.rows {
            if exact_login && !r.login.eq_ignore_ascii_case(&q) {
                continue;
            }
            if out.iter().any(|s| s.billing_id == r.billing_id) {
                continue;
            }
            out.push(Suggestion {
                billing_id: r.billing_id,
                login: r.login,
                display: r.display,
                address: r.address,
                by: by.clone(),
            });
        }
    }
    out.truncate(5);
    Ok((phones, out))
}

/// What a new ticket starts with: the subscriber's login, address, phone,
/// edge port and ONT, or a host's name and address.
pub async fn prefill(
    st: &AppState,
    subscriber_id: Option<&str>,
    host_id: Option<&str>,
) -> AppResult<TicketForm> {
    let mut f = TicketForm {
        priority: "normal".into(),
        ..TicketForm::default()
    };
    if let Some(id) = subscriber_id.filter(|s| !s.is_empty()) {
        if let Some(card) = crate::subscribers::card(st, id).await? {
            f.subscriber_id = card.row.billing_id.clone();
            f.login = card.row.login.clone();
            f.address = card.row.address.clone().unwrap_or_default();
            f.phone = card
                .row
                .phones
                .as_deref()
                .and_then(|p| find_phones(p).into_iter().next())
                .unwrap_or_default();
            if let Some(loc) = card.port.as_ref().and_then(|p| p.location.as_ref()) {
                f.port = format!("{} {}", loc.device, loc.port);
            }
            if let Some(o) = crate::gpon::onts_of_login(st, &card.row.login)
                .await?
                .first()
            {
                f.ont_id = o.ont.id.clone();
            }
        }
    }
    if let Some(h) = host_id.filter(|s| !s.is_empty()) {
        let hid = h.to_string();
        let host = st
            .core
            .views
            .read(move |c| ispmon_projections::hosts::get(c, &hid))
            .await?;
        if let Some(host) = host {
            f.host_id = h.to_string();
            if f.address.is_empty() {
                f.address = format!("{} ({})", host.name, host.ip);
            }
            f.category = "node-down".into();
        }
    }
    Ok(f)
}

/// Links ticket `id` to the subscriber with billing id `billing_id` (a
/// suggestion the user confirmed): its login, and its phone, edge port and
/// ONT where the ticket has none yet. Unknown subscribers are refused.
pub async fn link_subscriber(
    st: &AppState,
    id: &str,
    billing_id: &str,
    meta: &Metadata,
) -> AppResult<()> {
    let billing_id = billing_id.trim();
    let found = prefill(st, Some(billing_id), None).await?;
    if billing_id.is_empty() || found.subscriber_id.is_empty() {
        let mut e = FormErrors::default();
        e.add("subscriber", "choose a subscriber known from billing");
        return Err(AppError::Invalid(e));
    }
    let tid = id.to_string();
    let state = st
        .core
        .views
        .read(move |c| tickets::state(c, &tid))
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(mut details) = state.details else {
        return Err(AppError::NotFound);
    };
    details.subscriber_id = Some(found.subscriber_id);
    details.login = opt(&found.login);
    if details.phone.is_none() {
        details.phone = opt(&found.phone);
    }
    if details.links.port.is_none() {
        details.links.port = opt(&found.port);
    }
    if details.links.ont_id.is_none() {
        details.links.ont_id = opt(&found.ont_id);
    }
    settle(
        st,
        id,
        TicketCommand::Edit {
            details,
            at: Utc::now(),
        },
        meta,
    )
    .await
}
