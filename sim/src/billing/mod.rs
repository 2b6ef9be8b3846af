//! The billing's staff web cabinet ("Carbon"), emulated over HTTP on
//! loopback, in the page shapes of `shared/facts/billing-cabinet.md` and in
//! windows-1251, as the old tool scraped it.
//!
//! Its subscribers are the [`Population`]'s (same login, MAC and IP, so a
//! subscriber found in billing has a switch port and a PPPoE session) plus
//! billing-only ones (GPON, not connected yet), so a benchmark can have
//! 100,000. Each is a compact record; the rest of its card is derived from
//! a seed when asked for, so pages are cheap and the same seed gives the same
//! bytes.
//!
//! - [`start`] binds `127.0.0.1:0` and returns a [`BillingServer`]; it
//!   derefs to the [`Cabinet`], the thread-safe controls: add, change,
//!   block, remove, move, read back, [`Counters`], [`Faults`].
//! - [`Cabinet::router`] serves the same pages without a socket.
//! - `values`: what a card shows ([`BillingSubscriber`], [`Date`],
//!   [`Status`]) and the [`Change`]s a control makes; `ledger`: the compact
//!   records; `pages` / `stat`: the HTML; `form`: cp1251 in and out;
//!   `server`: routes, sessions, faults; `faults`: [`Faults`], [`Counters`].
//!
//! What a scraper meets beyond the shapes of the facts file:
//! - A request without a valid session gets the login form in place (200 at
//!   the same URL, no redirect), as the PHP cabinet includes its login
//!   template; only a successful `POST /cabinet/login` redirects (302 to
//!   `/cabinet/userinfo`, cookie [`SESSION_COOKIE`]). A login form's
//!   `cab_hash` / `cab_random_word` pair is good for one post.
//! - Folder, subscriber and staff ids share one id space with gaps; an id
//!   that is none of them (or a removed subscriber's) answers 404 with an
//!   `ideco_error`. The root lists an empty `Архив` folder after the
//!   districts, then the staff accounts and servers.
//! - `/cabinet/stat` shows the period of the session's last stat post for
//!   the subscriber whose card the session opened *last* (both live in the
//!   session, as in PHP): parallel readers sharing one session must not
//!   interleave card reads with stat pages. Periods over three years, or
//!   `resolution` other than `0`, answer an `ideco_error`.
//! - The helpdesk (`helpdesk`): list, ticket, reply, close, create, with
//!   its controls (seed, add a ticket or a message, read the posts) and
//!   faults ([`HelpdeskFault`]: 200 with an error, 200 without effect).
//! - Stat tables end with a `<tfoot>` totals row of 5 cells on the last
//!   page; only the 7-cell rows are sessions or fees.

mod faults;
mod form;
mod helpdesk;
mod ledger;
mod names;
mod pages;
mod server;
mod stat;
mod values;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use faults::{Counters, Faults, PathKind, ServerErrors, Slow, StructureChange};
pub use form::encode_form_value;
pub use helpdesk::{
    HelpdeskFault, HelpdeskFaultKind, HelpdeskMessage, HelpdeskStatus, HelpdeskTicket, Posted,
    PostedWhat, STAFF_SENDER,
};
pub use server::{SESSION_COOKIE, SUBMIT_VALUE};
pub use values::{BillingFolder, BillingSubscriber, BlockReason, Change, Date, Status};

use crate::Population;
use ledger::{Ledger, Node};
use server::{lock, Inner};

/// How the billing is made from a population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingConfig {
    /// Draws everything the population does not fix.
    pub seed: u64,
    /// Subscribers beyond the population's (billing-only).
    pub billing_only: usize,
    /// How many district folders; `None`: one per 2,500 subscribers, 4 to 60.
    /// (An empty `Архив` folder comes on top.)
    pub folders: Option<usize>,
    /// The staff account that may log in.
    pub staff_login: String,
    pub staff_password: String,
    /// Rows per stat page.
    pub stat_page_size: usize,
}

impl BillingConfig {
    /// The population's seed, 20 billing-only subscribers, staff login
    /// `admin` / `carbon-secret`, 50 stat rows a page.
    pub fn for_population(population: &Population) -> BillingConfig {
        BillingConfig {
            seed: population.seed,
            billing_only: 20,
            folders: None,
            staff_login: "admin".into(),
            staff_password: "carbon-secret".into(),
            stat_page_size: 50,
        }
    }

    /// As [`BillingConfig::for_population`], with enough billing-only
    /// subscribers for `total` in all (the benchmark's 100,000).
    pub fn with_total(population: &Population, total: usize) -> BillingConfig {
        BillingConfig {
            billing_only: total.saturating_sub(population.subscribers.len()),
            ..BillingConfig::for_population(population)
        }
    }
}

/// What a control refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error("no billing subscriber with login {0:?}")]
    UnknownLogin(String),
    #[error("no folder with id {0}")]
    UnknownFolder(u32),
    #[error("login {0:?} is taken (or empty)")]
    LoginTaken(String),
    #[error("not a MAC address: {0:?}")]
    BadMac(String),
}

/// The cabinet's state and its controls; clones share it. Every method
/// takes effect on the next request.
#[derive(Clone)]
pub struct Cabinet {
    inner: Arc<Inner>,
}

impl Cabinet {
    /// The billing of `population` (100,000 subscribers take a fraction of a
    /// second).
    pub fn new(population: &Population, config: BillingConfig) -> Cabinet {
        let ledger = Ledger::generate(population, &config);
        Cabinet {
            inner: Arc::new(Inner::new(
                ledger,
                config.staff_login,
                config.staff_password,
                config.stat_page_size,
            )),
        }
    }

    /// The cabinet's routes, for a test without a socket or a server of
    /// one's own.
    pub fn router(&self) -> Router {
        server::router(Arc::clone(&self.inner))
    }

    /// A new subscriber at the end of folder `folder_id`; the rest of its
    /// card is derived (status active). Returns its id.
    pub fn add_subscriber(
        &self,
        folder_id: u32,
        login: &str,
        mac: &str,
        ip: Ipv4Addr,
    ) -> Result<u32, BillingError> {
        self.inner.write().add(folder_id, login, mac, ip)
    }

    /// Changes one field of `login`'s card.
    pub fn change(&self, login: &str, change: Change) -> Result<(), BillingError> {
        self.inner.write().change(login, change)
    }

    pub fn block(&self, login: &str, reason: BlockReason) -> Result<(), BillingError> {
        self.inner
            .write()
            .set_status(login, Status::Blocked(reason))
    }

    pub fn unblock(&self, login: &str) -> Result<(), BillingError> {
        self.inner.write().set_status(login, Status::Active)
    }

    /// The subscriber leaves billing: gone from its folder, its card 404.
    pub fn remove(&self, login: &str) -> Result<(), BillingError> {
        self.inner.write().remove(login)
    }

    /// A subscriber removed earlier is back: the same id, card and folder.
    pub fn restore(&self, login: &str) -> Result<(), BillingError> {
        self.inner.write().restore(login)
    }

    /// Into folder `folder_id`, in id order there; the id stays.
    pub fn move_to_folder(&self, login: &str, folder_id: u32) -> Result<(), BillingError> {
        self.inner.write().move_to(login, folder_id)
    }

    /// The card of `login` as it is now.
    pub fn subscriber(&self, login: &str) -> Option<BillingSubscriber> {
        self.inner.read().by_login(login)
    }

    /// The card of id `id` as it is now.
    pub fn subscriber_by_id(&self, id: u32) -> Option<BillingSubscriber> {
        let ledger = self.inner.read();
        match ledger.node(id)? {
            Node::Subscriber(i) => ledger.subscriber(i),
            _ => None,
        }
    }

    /// Every subscriber, folder by folder in page order.
    pub fn subscribers(&self) -> Vec<BillingSubscriber> {
        self.inner.read().all()
    }

    /// The root page's folders, in its order.
    pub fn folders(&self) -> Vec<BillingFolder> {
        self.inner.read().folder_list()
    }

    /// The session statistics of `login` for the period (all pages, in
    /// order), each row's seven cells as text: date, interval (empty for the
    /// daily fee), description, MB in, MB out, sum, user. `None` for an
    /// unknown login or a period longer than the cabinet answers.
    pub fn stat_rows(&self, login: &str, start: Date, end: Date) -> Option<Vec<[String; 7]>> {
        if end.days() - start.days() >= stat::MAX_DAYS {
            return None;
        }
        let ledger = self.inner.read();
        let s = ledger.by_login(login)?;
        let seed = match ledger.node(s.id)? {
            Node::Subscriber(i) => ledger.record(i)?.seed,
            _ => return None,
        };
        Some(stat::plain_rows(&s, seed, start, end))
    }

    /// The ids of the staff accounts and servers on the root page (not
    /// subscribers: a scraper skips them).
    pub fn staff_ids(&self) -> Vec<u32> {
        self.inner.read().staff.iter().map(|s| s.id).collect()
    }

    pub fn counters(&self) -> Counters {
        self.inner.counters.snapshot()
    }

    pub fn faults(&self) -> Faults {
        lock(&self.inner.faults).faults.clone()
    }

    /// Replaces the faults in force; their counts (500s served, requests per
    /// session for the expiry) start again.
    pub fn set_faults(&self, faults: Faults) {
        {
            let mut f = lock(&self.inner.faults);
            f.faults = faults;
            f.matched = 0;
            f.failed = 0;
            f.helpdesk_spoiled = 0;
        }
        self.inner.restart_session_counts();
    }

    /// `n` helpdesk tickets from subscribers drawn from the ledger (the
    /// address their subject, a problem their first message); their ids.
    pub fn seed_helpdesk(&self, n: usize) -> Vec<u32> {
        let ledger = self.inner.read();
        let seed = ledger.seed();
        lock(&self.inner.helpdesk).seed(&ledger, seed, n)
    }

    /// A helpdesk ticket from subscriber `subscriber_id` (its address the
    /// sender); `None` when there is no such subscriber.
    pub fn add_helpdesk_ticket(
        &self,
        subscriber_id: u32,
        subject: Option<&str>,
        text: &str,
    ) -> Option<u32> {
        let ledger = self.inner.read();
        lock(&self.inner.helpdesk).open(&ledger, subscriber_id, subject, text)
    }

    /// A message on a helpdesk ticket written on the billing's side: by a
    /// helpdesk operator there (`staff`) or by the subscriber. `false` when
    /// there is no such ticket.
    pub fn add_helpdesk_message(&self, id: u32, sender: &str, text: &str, staff: bool) -> bool {
        lock(&self.inner.helpdesk).add_message(id, sender, text, staff)
    }

    /// Sets a helpdesk ticket's status from the billing's side.
    pub fn set_helpdesk_status(&self, id: u32, status: HelpdeskStatus) -> bool {
        lock(&self.inner.helpdesk).set_status(id, status)
    }

    pub fn helpdesk_ticket(&self, id: u32) -> Option<HelpdeskTicket> {
        lock(&self.inner.helpdesk).ticket(id).cloned()
    }

    /// Every helpdesk ticket, oldest first.
    pub fn helpdesk_tickets(&self) -> Vec<HelpdeskTicket> {
        lock(&self.inner.helpdesk).all()
    }

    /// Every reply, close and create posted, in order, taken or not.
    pub fn helpdesk_posts(&self) -> Vec<Posted> {
        lock(&self.inner.helpdesk).posted()
    }

    /// Every session ends now (the next request gets the login form).
    pub fn drop_sessions(&self) {
        self.inner.drop_sessions();
    }
}

/// A running cabinet on loopback; dropping it stops the server. Derefs to
/// its [`Cabinet`].
pub struct BillingServer {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    cabinet: Cabinet,
    cancel: CancellationToken,
}

impl BillingServer {
    /// `http://127.0.0.1:port` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn cabinet(&self) -> &Cabinet {
        &self.cabinet
    }

    /// Stops accepting and ends open connections.
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

impl Deref for BillingServer {
    type Target = Cabinet;

    fn deref(&self) -> &Cabinet {
        &self.cabinet
    }
}

impl Drop for BillingServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Makes the billing of `population` and serves it on `127.0.0.1:0`; the
/// listener is bound when this returns.
pub async fn start(population: &Population, config: BillingConfig) -> io::Result<BillingServer> {
    let cabinet = Cabinet::new(population, config);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let cancel = CancellationToken::new();
    let app = cabinet.router();
    let token = cancel.clone();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(token.cancelled_owned());
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, "billing cabinet stopped");
        }
    });
    Ok(BillingServer {
        addr,
        cabinet,
        cancel,
    })
}

#[cfg(test)]
mod tests;
