//! Billing: who our subscribers are, as the ISP's billing ("Carbon") knows
//! them. Billing has no API, only a staff web cabinet (see
//! `shared/facts/billing-cabinet.md`), so the cabinet is scraped; an
//! export file can stand in for it. Both are a [`BillingSource`], and one
//! sync engine runs over either.
//!
//! - [`card`]: a card's labels mapped to [`Card`] fields by meaning, and
//!   the Russian money notation (pure).
//! - [`pages`]: the cabinet's HTML pages parsed (pure, on `scraper`).
//! - [`cabinet`]: [`CabinetSource`], the scraper: login, session expiry,
//!   retries, the in-flight bound.
//! - [`file`]: [`FileSource`], a CSV or JSON-lines import with its bad rows.
//! - [`sync`]: the sync engine ([`SyncWorld`], [`Syncer`]): who is new,
//!   changed, or left billing — and the rule that an incomplete folder
//!   marks nobody left.
//! - [`job`]: [`BillingSyncJob`], the scheduled sync.
//! - [`helpdesk`]: the cabinet's helpdesk pages parsed (pure), its values;
//!   [`helpdesk_sync`]: the helpdesk import ([`HelpdeskSyncer`]) and its job;
//!   [`helpdesk_outbox`]: our replies and closes sent back (a reactor).

pub mod cabinet;
pub mod card;
pub mod file;
pub mod helpdesk;
pub mod helpdesk_outbox;
pub mod helpdesk_sync;
pub mod job;
pub mod pages;
pub mod sync;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use cabinet::{CabinetConfig, CabinetSource};
pub use file::{BadRow, FileSource};
pub use helpdesk::{HelpdeskEntry, HelpdeskMessage, HelpdeskStatus, HelpdeskThread};
pub use helpdesk_sync::{HelpdeskSyncJob, HelpdeskSyncer, HelpdeskWorld};
pub use job::BillingSyncJob;
pub use sync::{FailedPage, Listing, Seen, SyncReport, SyncWorld, Syncer};

/// A folder of the subscriber tree (an area, a district).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Folder {
    /// The cabinet's id (the last path segment of its link); for a file,
    /// the folder's name.
    pub id: String,
    pub name: String,
}

/// One subscriber link in a folder: enough to fetch the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    /// The subscriber's billing id (the last path segment of its link).
    pub id: String,
    /// The name the tree shows, usually the street address.
    pub display: String,
    /// The login in the link's trailing `<…>`; the card must agree.
    pub login: String,
}

/// Why billing blocks a subscriber (what the old tool showed red).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    /// `Пользователь отключен`.
    Disabled,
    /// `превышен лимит`.
    LimitExceeded,
    /// `Недостаточно средств`.
    OutOfFunds,
}

/// A subscriber's card, as billing shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub billing_id: String,
    pub login: String,
    pub full_name: Option<String>,
    pub contract: Option<String>,
    pub contract_date: Option<String>,
    pub address: Option<String>,
    /// Every phone of every phone row, one number each.
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub tariff: Option<String>,
    /// The status text as printed (empty when the card has none).
    pub status: String,
    pub blocked: Option<Blocked>,
    pub ip: Option<String>,
    /// Lower-case, colon-separated (a MAC that does not read as one is left
    /// out here and kept in `fields`).
    pub mac: Option<String>,
    pub connected: Option<String>,
    pub balance: Option<f64>,
    pub credit: Option<f64>,
    pub dedicated_ip: bool,
    /// Every label → value as printed (label without its colon, whitespace
    /// collapsed, entities decoded), so nothing the card shows is lost to
    /// a label we do not map. A label printed twice has its values joined
    /// with `, `.
    pub fields: BTreeMap<String, String>,
}

/// One subscriber as a sync sees it: where it sits, and its card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingRecord {
    pub folder: Folder,
    pub display: String,
    pub card: Card,
    /// The digest of the page the card was read from, when the source can
    /// tell that page again ([`BillingSource::card_unless_same`]).
    pub page: Option<PageDigest>,
}

/// A digest of a card's page: its bytes and the tree entry it was listed
/// with (id, name, login), so the same digest means the same card.
pub type PageDigest = [u8; 16];

/// What [`BillingSource::card_unless_same`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum CardPage {
    /// The card, read; `digest` when the source can tell its page again.
    Parsed {
        card: Box<Card>,
        digest: Option<PageDigest>,
    },
    /// The page is the one of the digest asked about: not parsed again.
    Same,
}

/// One row of a subscriber's session statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatRow {
    pub date: String,
    pub interval: String,
    pub description: String,
    pub mb_in: f64,
    pub mb_out: f64,
    pub sum: f64,
    pub user: String,
}

/// What went wrong reading billing. Each names the page (or file line), so
/// a failed sync says where to look.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BillingError {
    /// The cabinet refused the staff login (its `ideco_error` text).
    #[error("the cabinet refused the login: {0}")]
    LoginRefused(String),
    #[error("{page}: HTTP {status}")]
    Http { page: String, status: u16 },
    #[error("{page}: no answer in time")]
    Timeout { page: String },
    #[error("{page}: cannot connect: {reason}")]
    Connect { page: String, reason: String },
    /// The page is not shaped as expected (the cabinet changed, or sent an
    /// error page): `missing` says what was looked for.
    #[error("{page}: unexpected page: no {missing}")]
    Structure { page: String, missing: String },
    /// The session expired again right after logging in anew.
    #[error("{page}: the session expired and logging in again did not help")]
    SessionExpired { page: String },
    /// The card's login is not the one the tree listed.
    #[error("{page}: the card's login {card} is not the tree's {tree}")]
    LoginMismatch {
        page: String,
        tree: String,
        card: String,
    },
    /// A row of an import file that could not be taken.
    #[error("line {line}: {error}")]
    BadRow { line: usize, error: String },
    #[error("{0}")]
    Io(String),
    /// What this source cannot do (a file has no session statistics).
    #[error("{0}")]
    Unsupported(String),
    /// A post answered with the cabinet's error box.
    #[error("{page}: the cabinet refused: {message}")]
    Refused { page: String, message: String },
    /// A post answered as if it went well, but reading the ticket again
    /// does not show it.
    #[error("{page}: the cabinet answered but did not take {what}")]
    NotTaken { page: String, what: String },
}

impl BillingError {
    /// The page (or `line N`) the error is about, when it names one.
    pub fn page(&self) -> Option<String> {
        match self {
            BillingError::Http { page, .. }
            | BillingError::Timeout { page }
            | BillingError::Connect { page, .. }
            | BillingError::Structure { page, .. }
            | BillingError::SessionExpired { page }
            | BillingError::LoginMismatch { page, .. }
            | BillingError::Refused { page, .. }
            | BillingError::NotTaken { page, .. } => Some(page.clone()),
            BillingError::BadRow { line, .. } => Some(format!("line {line}")),
            BillingError::LoginRefused(_) => Some("/cabinet/login".into()),
            BillingError::Io(_) | BillingError::Unsupported(_) => None,
        }
    }

    /// Whether trying the same request again may help (a busy or
    /// restarting cabinet), as opposed to an answer that will not change.
    pub fn transient(&self) -> bool {
        match self {
            BillingError::Http { status, .. } => *status >= 500,
            BillingError::Timeout { .. } | BillingError::Connect { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn structure(page: &str, missing: &str) -> Self {
        BillingError::Structure {
            page: page.to_string(),
            missing: missing.to_string(),
        }
    }
}

/// Where subscribers come from: the cabinet, or a file. Object-safe, so
/// the application holds an `Arc<dyn BillingSource>` and tests swap in
/// fakes.
#[async_trait::async_trait]
pub trait BillingSource: Send + Sync {
    /// The folders of the subscriber tree (the root listing).
    async fn folders(&self) -> Result<Vec<Folder>, BillingError>;
    /// The subscribers listed in one folder.
    async fn subscribers(&self, folder: &Folder) -> Result<Vec<TreeEntry>, BillingError>;
    /// One subscriber's card; its login agrees with the entry's.
    async fn card(&self, entry: &TreeEntry) -> Result<Card, BillingError>;
    /// The card, unless its page is byte for byte the one `known` is the
    /// digest of (a re-sync then skips parsing the cards nobody changed).
    /// A source that cannot tell answers the card.
    async fn card_unless_same(
        &self,
        entry: &TreeEntry,
        _known: Option<PageDigest>,
    ) -> Result<CardPage, BillingError> {
        Ok(CardPage::Parsed {
            card: Box::new(self.card(entry).await?),
            digest: None,
        })
    }
    /// One subscriber's sessions between two days, inclusive.
    async fn sessions(
        &self,
        billing_id: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError>;
    /// Requests at once this source allows (the sync fetches cards this wide).
    fn concurrency(&self) -> usize;

    /// The helpdesk's tickets (the list page).
    async fn helpdesk_list(&self) -> Result<Vec<HelpdeskEntry>, BillingError> {
        Err(no_helpdesk())
    }
    /// One helpdesk ticket with its thread.
    async fn helpdesk_ticket(&self, _id: &str) -> Result<HelpdeskThread, BillingError> {
        Err(no_helpdesk())
    }
    /// Sends a staff reply and reads the ticket again to see it there; the
    /// message as the thread shows it. A reply already in the thread (the
    /// same text, from staff, and not one of `ours`: the billing's ids of
    /// the replies already recorded as sent) is not sent again: its message
    /// is the answer. So an attempt whose answer was lost is not repeated,
    /// and a later reply that says the same as an earlier one is sent.
    async fn helpdesk_reply(
        &self,
        _id: &str,
        _text: &str,
        _ours: &BTreeSet<String>,
    ) -> Result<HelpdeskMessage, BillingError> {
        Err(no_helpdesk())
    }
    /// Closes a ticket and reads it again to see it closed (one already
    /// closed is not closed again).
    async fn helpdesk_close(&self, _id: &str) -> Result<(), BillingError> {
        Err(no_helpdesk())
    }
    /// Opens a ticket for a subscriber (billing id); the new ticket.
    async fn helpdesk_create(
        &self,
        _subscriber_id: &str,
        _subject: &str,
        _text: &str,
    ) -> Result<HelpdeskThread, BillingError> {
        Err(no_helpdesk())
    }
}

fn no_helpdesk() -> BillingError {
    BillingError::Unsupported("this billing source has no helpdesk (only the cabinet has)".into())
}
