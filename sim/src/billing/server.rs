//! The HTTP side: routes, the login form's one-time hidden fields, sessions,
//! and the faults applied to every request before its page is made.
//!
//! A request without a valid session cookie gets the login form in place
//! (200, same URL), as the PHP cabinet does: it includes its login template
//! instead of the page; it does not redirect. So does the request after an
//! expired session. Only `POST /cabinet/login` redirects (302 to
//! `/cabinet/userinfo` on success).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand::Rng as _;

use super::faults::{AtomicCounters, FaultState, PathKind};
use super::form::{decode_form, encode, field};
use super::helpdesk::{self, Helpdesk};
use super::ledger::{Ledger, Node};
use super::pages;
use super::stat::{self, StatView, MAX_DAYS};
use super::values::Date;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "CARBON_SESSID";
/// The login form's submit button value (a post without it is refused).
pub const SUBMIT_VALUE: &str = "Войти в кабинет";

/// How many issued login forms (or open sessions) are remembered; older
/// ones are forgotten, as a PHP session store's garbage collector would.
const REMEMBERED: usize = 10_000;

#[derive(Default)]
pub(crate) struct Session {
    /// The subscriber whose card was opened last (`/cabinet/stat` shows it).
    selected: Option<u32>,
    /// The period of the last stat query.
    period: Option<(Date, Date)>,
    /// Requests since login (or since the expiry fault was set).
    requests: u64,
    /// The subscriber a new helpdesk ticket is for (`?filter_id=`).
    pub helpdesk_for: Option<u32>,
}

/// Keys in insertion order next to the map, so the oldest go first.
struct Bounded<V> {
    map: HashMap<String, V>,
    order: VecDeque<String>,
}

impl<V> Default for Bounded<V> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<V> Bounded<V> {
    fn insert(&mut self, key: String, value: V) {
        while self.order.len() >= REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, value);
    }

    fn remove(&mut self, key: &str) -> Option<V> {
        // The key stays in `order` until it ages out; removing a missing
        // key from the map then is harmless.
        self.map.remove(key)
    }
}

pub(crate) struct Inner {
    pub ledger: RwLock<Ledger>,
    pub faults: Mutex<FaultState>,
    pub counters: AtomicCounters,
    pub helpdesk: Mutex<Helpdesk>,
    sessions: Mutex<Bounded<Session>>,
    /// `cab_hash` → `cab_random_word` of each login form served.
    forms: Mutex<Bounded<String>>,
    login: String,
    password: String,
    page_size: usize,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    pub fn new(ledger: Ledger, login: String, password: String, page_size: usize) -> Inner {
        Inner {
            ledger: RwLock::new(ledger),
            faults: Mutex::new(FaultState::default()),
            counters: AtomicCounters::default(),
            helpdesk: Mutex::new(Helpdesk::default()),
            sessions: Mutex::new(Bounded::default()),
            forms: Mutex::new(Bounded::default()),
            login,
            password,
            page_size,
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Ledger> {
        self.ledger.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Ledger> {
        self.ledger.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every session's request count starts again (the expiry fault counts
    /// from when it was set).
    pub fn restart_session_counts(&self) {
        for s in lock(&self.sessions).map.values_mut() {
            s.requests = 0;
        }
    }

    pub fn drop_sessions(&self) {
        *lock(&self.sessions) = Bounded::default();
    }

    /// A login form with fresh hidden fields (remembered until posted).
    fn login_form(&self, error: Option<&str>) -> Response {
        let mut rng = rand::thread_rng();
        let hash = format!("{:032x}", rng.gen::<u128>());
        let word: String = (0..8)
            .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
            .collect();
        let page = pages::login_page(&hash, &word, error);
        lock(&self.forms).insert(hash, word);
        html(StatusCode::OK, page)
    }

    /// Counts the request, applies delay and 500s, and (when `session`)
    /// finds its session: `Err` is the answer to send instead of the page.
    pub(crate) async fn gate(
        &self,
        kind: PathKind,
        headers: &HeaderMap,
        session: bool,
    ) -> Result<Option<String>, Response> {
        self.counters.request(kind);
        let delay = lock(&self.faults).delay(kind);
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        if lock(&self.faults).fail_now(kind) {
            AtomicCounters::bump(&self.counters.server_errors);
            return Err(html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<html><head><title>500 Internal Server Error</title></head><body>\
                 <h1>Internal Server Error</h1><p>The server encountered an internal error.</p>\
                 </body></html>"
                    .into(),
            ));
        }
        if !session {
            return Ok(None);
        }
        let expire = lock(&self.faults).faults.expire_sessions_after;
        let token = cookie(headers);
        // Some(true): alive; Some(false): expired just now; None: unknown.
        let verdict = {
            let mut sessions = lock(&self.sessions);
            match token.as_deref().and_then(|t| sessions.map.get_mut(t)) {
                None => None,
                Some(s) if expire.is_some_and(|n| s.requests >= n) => Some(false),
                Some(s) => {
                    s.requests += 1;
                    Some(true)
                }
            }
        };
        match (verdict, token.as_deref()) {
            (Some(true), _) => return Ok(token),
            (Some(false), Some(t)) => {
                lock(&self.sessions).remove(t);
                AtomicCounters::bump(&self.counters.sessions_expired);
            }
            _ => {}
        }
        AtomicCounters::bump(&self.counters.login_forms_instead);
        Err(self.login_form(None))
    }

    pub(crate) fn with_session<R>(
        &self,
        token: &str,
        f: impl FnOnce(&mut Session) -> R,
    ) -> Option<R> {
        lock(&self.sessions).map.get_mut(token).map(f)
    }
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn html(status: StatusCode, page: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=windows-1251")],
        encode(&page),
    )
        .into_response()
}

pub(crate) fn redirect(to: &str, set_cookie: Option<String>) -> Response {
    let mut r = (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response();
    if let Some(c) = set_cookie.and_then(|c| c.parse().ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

type Shared = State<Arc<Inner>>;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/cabinet/login", get(login_get).post(login_post))
        .route("/cabinet/logout", get(logout))
        .route("/cabinet/userinfo", get(root))
        .route("/cabinet/userinfo/{id}", get(node))
        .route("/cabinet/stat", get(stat_get).post(stat_post))
        .route("/cabinet/helpdesk", get(helpdesk::get).post(helpdesk::post))
        .fallback(not_found)
        .with_state(inner)
}

async fn login_get(State(inner): Shared, headers: HeaderMap) -> Response {
    match inner.gate(PathKind::Login, &headers, false).await {
        Err(r) => r,
        Ok(_) => inner.login_form(None),
    }
}

async fn login_post(State(inner): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = inner.gate(PathKind::Login, &headers, false).await {
        return r;
    }
    let form = decode_form(&body);
    let refused = |message: &str| {
        AtomicCounters::bump(&inner.counters.failed_logins);
        inner.login_form(Some(message))
    };
    if field(&form, "cab_user_login") != Some(SUBMIT_VALUE) {
        return refused("Неверный запрос");
    }
    // The hidden pair is good once, and only as issued.
    let issued = field(&form, "cab_hash").and_then(|h| lock(&inner.forms).remove(h));
    if issued.is_none() || issued.as_deref() != field(&form, "cab_random_word") {
        return refused("Истек срок действия формы. Повторите вход.");
    }
    if lock(&inner.faults).faults.refuse_login {
        return refused("Вход в кабинет временно запрещен");
    }
    let good = field(&form, "cab_login") == Some(inner.login.as_str())
        && field(&form, "cab_password") == Some(inner.password.as_str());
    if !good {
        return refused("Неверный логин или пароль");
    }
    let token = format!("{:032x}", rand::thread_rng().gen::<u128>());
    lock(&inner.sessions).insert(token.clone(), Session::default());
    AtomicCounters::bump(&inner.counters.logins);
    redirect(
        "/cabinet/userinfo",
        Some(format!("{SESSION_COOKIE}={token}; path=/; HttpOnly")),
    )
}

async fn logout(State(inner): Shared, headers: HeaderMap) -> Response {
    if let Err(r) = inner.gate(PathKind::Login, &headers, false).await {
        return r;
    }
    if let Some(t) = cookie(&headers) {
        lock(&inner.sessions).remove(&t);
    }
    redirect("/cabinet/login", None)
}

async fn root(State(inner): Shared, headers: HeaderMap) -> Response {
    if let Err(r) = inner.gate(PathKind::Root, &headers, true).await {
        return r;
    }
    let change = lock(&inner.faults).faults.structure;
    let page = pages::root_page(&inner.read(), change);
    html(StatusCode::OK, page)
}

async fn node(State(inner): Shared, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let id: Option<u32> = id.parse().ok();
    let kind = match id.and_then(|id| inner.read().node(id)) {
        Some(Node::Folder(_)) => PathKind::Folder,
        Some(Node::Subscriber(_)) => PathKind::Card,
        _ => PathKind::Other,
    };
    let token = match inner.gate(kind, &headers, true).await {
        Err(r) => return r,
        Ok(t) => t.unwrap_or_default(),
    };
    let change = lock(&inner.faults).faults.structure;
    let page = {
        let ledger = inner.read();
        match id.and_then(|id| ledger.node(id)) {
            Some(Node::Folder(f)) => Some(pages::folder_page(&ledger, f, change)),
            Some(Node::Staff(s)) => Some(pages::staff_page(&ledger.staff[s])),
            Some(Node::Subscriber(i)) => {
                ledger.record(i).zip(ledger.subscriber(i)).map(|(r, s)| {
                    let folder = &ledger.folders[r.folder].name;
                    pages::card_page(&s, folder, r.seed, change)
                })
            }
            None => None,
        }
    };
    match page {
        Some(page) => {
            if kind == PathKind::Card {
                inner.with_session(&token, |s| s.selected = id);
            }
            html(StatusCode::OK, page)
        }
        None => html(StatusCode::NOT_FOUND, pages::not_found_page()),
    }
}

/// The page of the session's period for its selected subscriber (who is
/// selected now, not when the period was posted: one session, one user at
/// a time, as the real cabinet keeps it in the PHP session).
fn stat_answer(inner: &Inner, token: &str, page: usize, error: Option<&str>) -> Response {
    let Some((selected, period)) = inner.with_session(token, |s| (s.selected, s.period)) else {
        return inner.login_form(None);
    };
    let change = lock(&inner.faults).faults.structure;
    let ledger = inner.read();
    let who = selected.and_then(|id| match ledger.node(id) {
        Some(Node::Subscriber(i)) => ledger.record(i).zip(ledger.subscriber(i)),
        _ => None,
    });
    let page = match (who, period, error) {
        (None, _, _) => stat::form_page(None, Some("Не выбран абонент")),
        (Some((_, s)), _, Some(e)) => stat::form_page(Some(&s), Some(e)),
        (Some((_, s)), None, None) => stat::form_page(Some(&s), None),
        (Some((r, s)), Some((start, end)), None) => stat::stat_page(&StatView {
            subscriber: &s,
            seed: r.seed,
            start,
            end,
            page: page.max(1),
            page_size: inner.page_size,
            change,
        }),
    };
    html(StatusCode::OK, page)
}

async fn stat_get(State(inner): Shared, RawQuery(q): RawQuery, headers: HeaderMap) -> Response {
    let token = match inner.gate(PathKind::Stat, &headers, true).await {
        Err(r) => return r,
        Ok(t) => t.unwrap_or_default(),
    };
    let query = decode_form(q.unwrap_or_default().as_bytes());
    let page = field(&query, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    stat_answer(&inner, &token, page, None)
}

async fn stat_post(State(inner): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let token = match inner.gate(PathKind::Stat, &headers, true).await {
        Err(r) => return r,
        Ok(t) => t.unwrap_or_default(),
    };
    let form = decode_form(&body);
    let start = field(&form, "date_start").and_then(Date::parse);
    let end = field(&form, "date_end").and_then(Date::parse);
    let error = match (start, end) {
        _ if field(&form, "module") != Some("stat") => Some("Неизвестный модуль"),
        _ if field(&form, "resolution") != Some("0") => Some("Неверная детализация"),
        (Some(a), Some(z)) if a <= z && z.days() - a.days() < MAX_DAYS => {
            inner.with_session(&token, |s| s.period = Some((a, z)));
            None
        }
        (Some(_), Some(_)) => Some("Неверный период"),
        _ => Some("Неверный формат даты (ДД.ММ.ГГГГ)"),
    };
    stat_answer(&inner, &token, 1, error)
}

async fn not_found(State(inner): Shared, headers: HeaderMap) -> Response {
    if let Err(r) = inner.gate(PathKind::Other, &headers, false).await {
        return r;
    }
    html(StatusCode::NOT_FOUND, pages::not_found_page())
}
