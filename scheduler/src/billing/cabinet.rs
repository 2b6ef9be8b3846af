//! [`CabinetSource`]: the billing web cabinet, scraped. The session code
//! is here (login with the form's hidden fields, a cookie session, one
//! re-login when it expires, retries, the in-flight bound); what the pages
//! say is [`super::pages`].
//!
//! - Every request holds one permit of a semaphore of
//!   [`CabinetConfig::concurrency`], login requests included; a request
//!   gives its permit back before it waits for a login, so waiting never
//!   starves the login of permits.
//! - The session is a cookie. A page that comes back as the login form
//!   (or a redirect to it) means it expired: the request that saw it logs
//!   in again and asks once more. Logins are serialised and numbered, so
//!   requests that saw the same expired session reuse the one new login
//!   instead of each logging in; a failed login is remembered for a short
//!   while so a burst of requests does not hammer the cabinet (or lock the
//!   staff account) with attempts.
//! - 5xx answers, timeouts and connection errors are retried with a
//!   doubling backoff; an answer that will not change (4xx, a page of
//!   another shape) is not.
//! - The cabinet keeps "the selected subscriber" in the session, and the
//!   statistics page shows the selected one's: a statistics query holds the
//!   selection exclusively (cards, which only read, share it).
//!
//! The password is never logged, printed in `Debug`, or put in an error.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use tokio::sync::{Mutex, RwLock, Semaphore};

use super::helpdesk::{self as hd, HelpdeskEntry, HelpdeskMessage, HelpdeskStatus, HelpdeskThread};
use super::pages::{self, decode};
use super::{BillingError, BillingSource, Card, CardPage, Folder, PageDigest, StatRow, TreeEntry};

const LOGIN_PAGE: &str = "/cabinet/login";
const ROOT_PAGE: &str = "/cabinet/userinfo";
const STAT_PAGE: &str = "/cabinet/stat";
const HELPDESK_PAGE: &str = "/cabinet/helpdesk";
/// What the login form's submit button posts.
const SUBMIT: &str = "Войти в кабинет";
/// How long a failed login is answered from memory instead of trying again.
const LOGIN_FAILURE_HOLD: Duration = Duration::from_secs(30);
/// A statistics query follows at most this many pages.
const MAX_STAT_PAGES: usize = 1000;

/// How to reach the cabinet.
#[derive(Clone)]
pub struct CabinetConfig {
    /// The cabinet's base, e.g. `http://billing.local:8080`.
    pub url: String,
    /// The staff account.
    pub login: String,
    pub password: String,
    /// Requests in flight at once (4 by default: the cabinet is one PHP
    /// box the billing staff use too).
    pub concurrency: usize,
    /// For one request, answer included.
    pub timeout: Duration,
    /// Tries after the first on a 5xx, a timeout or a connection error.
    pub retries: u32,
    /// The wait before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl CabinetConfig {
    pub fn new(
        url: impl Into<String>,
        login: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            login: login.into(),
            password: password.into(),
            concurrency: 4,
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(500),
        }
    }
}

impl fmt::Debug for CabinetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CabinetConfig")
            .field("url", &self.url)
            .field("login", &self.login)
            .field("password", &"***")
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The last login that failed, to answer from for a while.
struct LoginFailure {
    generation: u64,
    at: Instant,
    error: BillingError,
}

/// The billing cabinet as a [`BillingSource`]. One per configuration; it
/// logs in on first use and keeps the session.
pub struct CabinetSource {
    config: CabinetConfig,
    base: Url,
    client: reqwest::Client,
    in_flight: Arc<Semaphore>,
    /// Logins done so far; 0 until the first. A request notes it before
    /// asking, so an expired session is renewed once per generation.
    generation: AtomicU64,
    /// Held while logging in.
    login_lock: Mutex<Option<LoginFailure>>,
    /// The cabinet's selected subscriber (see the module's doc).
    selection: RwLock<()>,
}

impl fmt::Debug for CabinetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CabinetSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A form body encoded as the cabinet's own pages post it: windows-1251
/// bytes, percent-encoded (a character cp1251 lacks goes as its `&#N;`
/// reference, as browsers send it).
pub fn encode_form(pairs: &[(String, String)]) -> String {
    fn push(out: &mut String, text: &str) {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        for &b in bytes.iter() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push(&mut out, k);
        out.push('=');
        push(&mut out, v);
    }
    out
}

impl CabinetSource {
    pub fn new(config: CabinetConfig) -> Result<Self, BillingError> {
        let base = Url::parse(config.url.trim_end_matches('/'))
            .map_err(|e| BillingError::Io(format!("the cabinet address {}: {e}", config.url)))?;
        let (host, port) = (
            base.host_str().map(str::to_string),
            base.port_or_known_default(),
        );
        // Redirects within the cabinet (to the login form, after a login)
        // are followed; one to another host is not: it is an answer of its
        // own, and an error.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if attempt.url().host_str() == host.as_deref()
                && attempt.url().port_or_known_default() == port
            {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(config.timeout)
            .redirect(redirects)
            .build()
            .map_err(|e| BillingError::Io(format!("an HTTP client for the cabinet: {e}")))?;
        Ok(Self {
            in_flight: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
            base,
            client,
            generation: AtomicU64::new(0),
            login_lock: Mutex::new(None),
            selection: RwLock::new(()),
        })
    }

    pub fn config(&self) -> &CabinetConfig {
        &self.config
    }

    fn url(&self, page: &str) -> Result<Url, BillingError> {
        self.base
            .join(page)
            .map_err(|_| BillingError::structure(page, "a link that makes an address"))
    }

    /// Text from the cabinet, with the password masked should it appear.
    fn scrub(&self, text: &str) -> String {
        if self.config.password.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.config.password, "***")
        }
    }

    /// One request, retried on a 5xx, a timeout or a connection error;
    /// the page decoded.
    async fn request(
        &self,
        page: &str,
        form: Option<&[(String, String)]>,
    ) -> Result<String, BillingError> {
        self.request_tries(page, form, self.config.retries).await
    }

    async fn request_tries(
        &self,
        page: &str,
        form: Option<&[(String, String)]>,
        retries: u32,
    ) -> Result<String, BillingError> {
        let url = self.url(page)?;
        let mut attempt = 0;
        loop {
            let result = self.request_once(page, &url, form).await;
            match result {
                Err(e) if e.transient() && attempt < retries => {
                    let wait = self.config.backoff * 2u32.saturating_pow(attempt);
                    tracing::debug!(page, error = %e, ?wait, "cabinet request failed; trying again");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn request_once(
        &self,
        page: &str,
        url: &Url,
        form: Option<&[(String, String)]>,
    ) -> Result<String, BillingError> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| BillingError::Io("the cabinet source is closed".into()))?;
        let request = match form {
            None => self.client.get(url.clone()),
            Some(pairs) => self
                .client
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded; charset=windows-1251",
                )
                .body(encode_form(pairs)),
        };
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                BillingError::Timeout { page: page.into() }
            } else {
                BillingError::Connect {
                    page: page.into(),
                    reason: self.scrub(&e.without_url().to_string()),
                }
            }
        };
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        if !status.is_success() {
            return Err(BillingError::Http {
                page: page.into(),
                status: status.as_u16(),
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(failed)?;
        Ok(decode(&body, content_type.as_deref()))
    }

    /// A page of the logged-in cabinet: logs in first if never done, and
    /// once more if the answer is the login form.
    async fn fetch(
        &self,
        page: &str,
        form: Option<&[(String, String)]>,
    ) -> Result<String, BillingError> {
        self.fetch_tries(page, form, self.config.retries).await
    }

    /// [`Self::fetch`] with `retries` on a 5xx, a timeout or a connection
    /// error (0 for a post that must not be made twice: whether it was
    /// taken is found out by reading the page again).
    async fn fetch_tries(
        &self,
        page: &str,
        form: Option<&[(String, String)]>,
        retries: u32,
    ) -> Result<String, BillingError> {
        let seen = self.logged_in(0).await?;
        let html = self.request_tries(page, form, retries).await?;
        if !looks_like_login(&html) {
            return Ok(html);
        }
        tracing::info!(page, "the cabinet session expired; logging in again");
        self.logged_in(seen).await?;
        let html = self.request_tries(page, form, retries).await?;
        if looks_like_login(&html) {
            return Err(BillingError::SessionExpired { page: page.into() });
        }
        Ok(html)
    }

    /// A session newer than generation `stale` (0: any session), logging
    /// in if there is none yet; the generation in force.
    async fn logged_in(&self, stale: u64) -> Result<u64, BillingError> {
        let current = self.generation.load(Ordering::Acquire);
        if current > stale {
            return Ok(current);
        }
        let mut failure = self.login_lock.lock().await;
        let current = self.generation.load(Ordering::Acquire);
        if current > stale {
            // Someone logged in while we waited: reuse that session.
            return Ok(current);
        }
        if let Some(f) = failure.as_ref() {
            if f.generation == current && f.at.elapsed() < LOGIN_FAILURE_HOLD {
                return Err(f.error.clone());
            }
        }
        match self.log_in().await {
            Ok(()) => {
                *failure = None;
                let next = current + 1;
                self.generation.store(next, Ordering::Release);
                tracing::info!(url = %self.base, login = %self.config.login, session = next, "logged in to the billing cabinet");
                Ok(next)
            }
            Err(error) => {
                tracing::warn!(url = %self.base, login = %self.config.login, %error, "cannot log in to the billing cabinet");
                *failure = Some(LoginFailure {
                    generation: current,
                    at: Instant::now(),
                    error: error.clone(),
                });
                Err(error)
            }
        }
    }

    /// The login itself: the form's hidden fields, then the post.
    async fn log_in(&self) -> Result<(), BillingError> {
        let form = match self.request(LOGIN_PAGE, None).await {
            Ok(html) if pages::is_login_form(&html) => html,
            // A cabinet whose login page is not at its own address shows
            // the form to any page asked without a session.
            Ok(_) | Err(BillingError::Http { .. }) => {
                let html = self.request(ROOT_PAGE, None).await?;
                if !pages::is_login_form(&html) {
                    return Err(BillingError::structure(LOGIN_PAGE, "login form"));
                }
                html
            }
            Err(e) => return Err(e),
        };
        let mut fields = vec![
            ("cab_login".to_string(), self.config.login.clone()),
            ("cab_password".to_string(), self.config.password.clone()),
        ];
        fields.extend(pages::login_hidden_fields(&form, LOGIN_PAGE)?);
        fields.push(("cab_user_login".to_string(), SUBMIT.to_string()));
        let answer = self.request(LOGIN_PAGE, Some(&fields)).await?;
        if let Some(message) = pages::login_error(&answer) {
            return Err(BillingError::LoginRefused(self.scrub(&message)));
        }
        if pages::is_login_form(&answer) {
            return Err(BillingError::LoginRefused(
                "the cabinet showed the login form again".into(),
            ));
        }
        Ok(())
    }

    /// One selection and statistics query, pages followed; `None` when the
    /// session was renewed on the way (the selection is lost with it).
    async fn stat_once(
        &self,
        billing_id: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Option<Vec<StatRow>>, BillingError> {
        let started = self.logged_in(0).await?;
        self.fetch(&card_page(billing_id), None).await?;
        let form = [
            ("module", "stat".to_string()),
            ("date_start", from.format("%d.%m.%Y").to_string()),
            ("date_end", to.format("%d.%m.%Y").to_string()),
            ("resolution", "0".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v));
        let first = pages::parse_stat(&self.fetch(STAT_PAGE, Some(&form[..])).await?, STAT_PAGE)?;
        let mut rows = first.rows;
        // Pages are known by their number (the link text): the first one
        // came from the form, so its own link elsewhere is not followed
        // (without a marker of the page shown, the first is taken as 1).
        let mut visited: HashSet<String> = HashSet::from([first.current.unwrap_or("1".into())]);
        let mut queue = first.pages;
        while let Some((label, link)) = queue.pop() {
            if !visited.insert(label) || !visited.insert(link.clone()) {
                continue;
            }
            if visited.len() > 2 * MAX_STAT_PAGES {
                return Err(BillingError::structure(
                    STAT_PAGE,
                    &format!("end of the pages within {MAX_STAT_PAGES}"),
                ));
            }
            let page = pages::parse_stat(&self.fetch(&link, None).await?, &link)?;
            rows.extend(page.rows);
            visited.extend(page.current);
            queue.extend(page.pages);
        }
        if self.generation.load(Ordering::Acquire) != started {
            return Ok(None);
        }
        Ok(Some(rows))
    }
}

impl CabinetSource {
    async fn thread(&self, id: &str) -> Result<HelpdeskThread, BillingError> {
        let page = ticket_page(id)?;
        let html = self.fetch(&page, None).await?;
        hd::parse_helpdesk_ticket(&html, &page, id)
    }

    /// One post to the helpdesk, not repeated; an error box is a refusal.
    async fn post_helpdesk(
        &self,
        page: &str,
        form: &[(String, String)],
    ) -> Result<String, BillingError> {
        let html = self.fetch_tries(page, Some(form), 0).await?;
        match hd::page_error(&html) {
            Some(message) => Err(BillingError::Refused {
                page: page.to_string(),
                message: self.scrub(&message),
            }),
            None => Ok(html),
        }
    }
}

/// `/cabinet/helpdesk?id=N`; an id that is not a number is refused before
/// anything is asked.
fn ticket_page(id: &str) -> Result<String, BillingError> {
    let id = id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(BillingError::Unsupported(format!(
            "{id:?} is not a billing helpdesk ticket id"
        )));
    }
    Ok(format!("{HELPDESK_PAGE}?id={id}"))
}

/// The digest of a card's page (as decoded) and the tree entry it was
/// listed with: SHA-256, each part with its length, cut to 128 bits.
fn page_digest(entry: &TreeEntry, html: &str) -> PageDigest {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [&entry.id, &entry.display, &entry.login, html] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut out = PageDigest::default();
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

fn card_page(id: &str) -> String {
    format!("{ROOT_PAGE}/{id}")
}

/// Whether a page is the login form; the cheap look first, as nearly every
/// page is not.
fn looks_like_login(html: &str) -> bool {
    (html.contains("cab_login") || html.contains("cab_password")) && pages::is_login_form(html)
}

#[async_trait::async_trait]
impl BillingSource for CabinetSource {
    #[tracing::instrument(skip(self), fields(url = %self.base))]
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        let html = self.fetch(ROOT_PAGE, None).await?;
        pages::parse_root(&html, ROOT_PAGE)
    }

    async fn subscribers(&self, folder: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        let page = card_page(&folder.id);
        let html = self.fetch(&page, None).await?;
        pages::parse_folder(&html, &page)
    }

    async fn card(&self, entry: &TreeEntry) -> Result<Card, BillingError> {
        match self.card_unless_same(entry, None).await? {
            CardPage::Parsed { card, .. } => Ok(*card),
            CardPage::Same => Err(BillingError::structure(
                &card_page(&entry.id),
                "the card (it was taken as the same page, unasked)",
            )),
        }
    }

    async fn card_unless_same(
        &self,
        entry: &TreeEntry,
        known: Option<PageDigest>,
    ) -> Result<CardPage, BillingError> {
        let page = card_page(&entry.id);
        let html = {
            let _shared = self.selection.read().await;
            self.fetch(&page, None).await?
        };
        let digest = page_digest(entry, &html);
        if known == Some(digest) {
            return Ok(CardPage::Same);
        }
        // Parsing a card is most of a sync's CPU: off the async threads, so
        // the cards fetched at once are parsed at once, on every core.
        let (p, id) = (page.clone(), entry.id.clone());
        let card = tokio::task::spawn_blocking(move || pages::parse_card(&html, &p, &id))
            .await
            .map_err(|e| BillingError::structure(&page, &format!("the card's parse: {e}")))??;
        if !entry.login.is_empty() && card.login != entry.login {
            return Err(BillingError::LoginMismatch {
                page,
                tree: entry.login.clone(),
                card: card.login,
            });
        }
        Ok(CardPage::Parsed {
            card: Box::new(card),
            digest: Some(digest),
        })
    }

    #[tracing::instrument(skip(self), fields(url = %self.base))]
    async fn sessions(
        &self,
        billing_id: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        let _exclusive = self.selection.write().await;
        for _ in 0..2 {
            if let Some(rows) = self.stat_once(billing_id, from, to).await? {
                return Ok(rows);
            }
            tracing::info!(
                billing_id,
                "the session was renewed during a statistics query; asking again"
            );
        }
        Err(BillingError::SessionExpired {
            page: STAT_PAGE.into(),
        })
    }

    fn concurrency(&self) -> usize {
        self.config.concurrency.max(1)
    }

    #[tracing::instrument(skip(self), fields(url = %self.base))]
    async fn helpdesk_list(&self) -> Result<Vec<HelpdeskEntry>, BillingError> {
        let html = self.fetch(HELPDESK_PAGE, None).await?;
        hd::parse_helpdesk_list(&html, HELPDESK_PAGE)
    }

    async fn helpdesk_ticket(&self, id: &str) -> Result<HelpdeskThread, BillingError> {
        self.thread(id).await
    }

    #[tracing::instrument(skip(self, text), fields(url = %self.base))]
    async fn helpdesk_reply(
        &self,
        id: &str,
        text: &str,
        ours: &BTreeSet<String>,
    ) -> Result<HelpdeskMessage, BillingError> {
        let page = ticket_page(id)?;
        let before = self.thread(id).await?;
        let this_one = |m: &HelpdeskMessage| {
            hd::same_text(&m.text, text)
                && !hd::same_text(&m.sender, &before.subject)
                && !ours.contains(&m.id)
        };
        if let Some(m) = before.messages.iter().find(|m| this_one(m)) {
            tracing::info!(
                id,
                "the reply is already in the billing's thread; not sent again"
            );
            return Ok(m.clone());
        }
        let form = [("text".to_string(), text.to_string())];
        self.post_helpdesk(&page, &form).await?;
        let after = self.thread(id).await?;
        after
            .messages
            .into_iter()
            .find(|m| hd::same_text(&m.text, text) && !before.messages.contains(m))
            .ok_or(BillingError::NotTaken {
                page,
                what: "the reply".into(),
            })
    }

    #[tracing::instrument(skip(self), fields(url = %self.base))]
    async fn helpdesk_close(&self, id: &str) -> Result<(), BillingError> {
        let page = ticket_page(id)?;
        let closed = |t: &HelpdeskThread| t.status == Some(HelpdeskStatus::Closed);
        if closed(&self.thread(id).await?) {
            return Ok(());
        }
        let form = [("status".to_string(), "10".to_string())];
        self.post_helpdesk(&page, &form).await?;
        if closed(&self.thread(id).await?) {
            Ok(())
        } else {
            Err(BillingError::NotTaken {
                page,
                what: "the close".into(),
            })
        }
    }

    #[tracing::instrument(skip(self, subject, text), fields(url = %self.base))]
    async fn helpdesk_create(
        &self,
        subscriber_id: &str,
        subject: &str,
        text: &str,
    ) -> Result<HelpdeskThread, BillingError> {
        let sid = subscriber_id.trim();
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_digit()) {
            return Err(BillingError::Unsupported(format!(
                "{sid:?} is not a billing subscriber id"
            )));
        }
        // The subscriber is chosen in the session, then the post creates.
        let _exclusive = self.selection.write().await;
        let page = format!("{HELPDESK_PAGE}?filter_id={sid}");
        let form_page = self.fetch(&page, None).await?;
        if let Some(message) = hd::page_error(&form_page) {
            return Err(BillingError::Refused { page, message });
        }
        if !hd::is_create_form(&form_page) {
            return Err(BillingError::structure(
                &page,
                "the new ticket form (input subj)",
            ));
        }
        let form = [
            ("subj".to_string(), subject.to_string()),
            ("text".to_string(), text.to_string()),
        ];
        let html = self.post_helpdesk(HELPDESK_PAGE, &form).await?;
        let thread = hd::parse_helpdesk_ticket(&html, HELPDESK_PAGE, "")?;
        if !thread.messages.iter().any(|m| hd::same_text(&m.text, text)) {
            return Err(BillingError::NotTaken {
                page: HELPDESK_PAGE.into(),
                what: "the new ticket's message".into(),
            });
        }
        Ok(thread)
    }
}

#[cfg(test)]
#[path = "cabinet_tests.rs"]
mod tests;
