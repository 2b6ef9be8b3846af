//! What can go wrong on the cabinet, switchable at runtime, and the counters
//! a test reads to see what a scraper did.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a request asked for, as the counters and faults group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathKind {
    /// `/cabinet/login` (GET and POST) and `/cabinet/logout`.
    Login,
    /// `/cabinet/userinfo`: the folders.
    Root,
    /// `/cabinet/userinfo/{folder_id}`.
    Folder,
    /// `/cabinet/userinfo/{subscriber_id}`.
    Card,
    /// `/cabinet/stat` (GET and POST).
    Stat,
    /// Anything else: staff pages, unknown ids, unknown paths.
    Other,
    /// `/cabinet/helpdesk` (GET and POST).
    Helpdesk,
}

impl PathKind {
    pub const ALL: [PathKind; 7] = [
        PathKind::Login,
        PathKind::Root,
        PathKind::Folder,
        PathKind::Card,
        PathKind::Stat,
        PathKind::Other,
        PathKind::Helpdesk,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Pages that answer late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slow {
    pub delay: Duration,
    /// Only pages of this kind (every page if `None`).
    pub kind: Option<PathKind>,
}

/// Pages that answer `500 Internal Server Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerErrors {
    /// Only requests of this kind (every request if `None`).
    pub kind: Option<PathKind>,
    /// Every `every`-th matching request fails (1: each one); 0 counts as 1.
    pub every: u64,
    /// Stop after this many 500s (`None`: until the faults change).
    pub count: Option<u64>,
}

/// A page whose shape changed (a billing update): a scraper must fail
/// loudly, not read nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureChange {
    /// The card's table is `<table id="user_info_table">`.
    CardTableRenamed,
    /// The card's second row is the full name; the login moves down.
    CardLoginNotSecond,
    /// Tree nodes have `tree-node-folder` / `tree-node-user` classes
    /// (dashes), on the root and folder pages.
    TreeClassesChanged,
    /// The stat table is `<table id="stats">`.
    StatTableRenamed,
}

/// The faults in force; [`Cabinet::set_faults`](super::Cabinet::set_faults)
/// replaces them all at once (and restarts their counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub slow: Option<Slow>,
    pub server_errors: Option<ServerErrors>,
    /// A session dies after this many requests (counted from its login or
    /// from when this was set, whichever is later): the next request with
    /// its cookie gets the login form.
    pub expire_sessions_after: Option<u64>,
    pub structure: Option<StructureChange>,
    /// Every login fails with an `ideco_error` ("temporarily refused"),
    /// right password or not.
    pub refuse_login: bool,
    /// Helpdesk replies and closes answer 200 but are not taken.
    pub helpdesk: Option<super::helpdesk::HelpdeskFault>,
}

/// The faults and the counts they need.
#[derive(Default)]
pub(crate) struct FaultState {
    pub faults: Faults,
    /// Requests that matched `server_errors` so far.
    pub matched: u64,
    /// 500s served under the current `server_errors`.
    pub failed: u64,
    /// Helpdesk posts spoiled under the current `helpdesk` fault.
    pub helpdesk_spoiled: u64,
}

impl FaultState {
    /// Whether this request (of `kind`) gets a 500.
    pub fn fail_now(&mut self, kind: PathKind) -> bool {
        let Some(e) = self.faults.server_errors else {
            return false;
        };
        if e.kind.is_some_and(|k| k != kind) || e.count.is_some_and(|c| self.failed >= c) {
            return false;
        }
        self.matched += 1;
        if self.matched.is_multiple_of(e.every.max(1)) {
            self.failed += 1;
            return true;
        }
        false
    }

    /// Whether this helpdesk reply or close is spoiled, and how.
    pub fn helpdesk_fault(&mut self) -> Option<super::helpdesk::HelpdeskFaultKind> {
        let f = self.faults.helpdesk?;
        if f.count.is_some_and(|c| self.helpdesk_spoiled >= c) {
            return None;
        }
        self.helpdesk_spoiled += 1;
        Some(f.kind)
    }

    pub fn delay(&self, kind: PathKind) -> Option<Duration> {
        let s = self.faults.slow?;
        (s.kind.is_none() || s.kind == Some(kind)).then_some(s.delay)
    }
}

/// What the cabinet served, as of one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Every request, whatever its answer.
    pub requests: u64,
    /// Successful logins (sessions opened).
    pub logins: u64,
    /// Login posts that answered an `ideco_error`.
    pub failed_logins: u64,
    /// Pages answered with the login form for want of a valid session.
    pub login_forms_instead: u64,
    /// Sessions killed by [`Faults::expire_sessions_after`].
    pub sessions_expired: u64,
    /// 500s served by [`Faults::server_errors`].
    pub server_errors: u64,
    /// Requests by kind, in [`PathKind::ALL`] order; see [`Counters::of`].
    pub by_kind: [u64; 7],
}

impl Counters {
    pub fn of(&self, kind: PathKind) -> u64 {
        self.by_kind[kind.index()]
    }
}

#[derive(Default)]
pub(crate) struct AtomicCounters {
    pub requests: AtomicU64,
    pub logins: AtomicU64,
    pub failed_logins: AtomicU64,
    pub login_forms_instead: AtomicU64,
    pub sessions_expired: AtomicU64,
    pub server_errors: AtomicU64,
    by_kind: [AtomicU64; 7],
}

impl AtomicCounters {
    pub fn request(&self, kind: PathKind) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.by_kind[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Counters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            requests: get(&self.requests),
            logins: get(&self.logins),
            failed_logins: get(&self.failed_logins),
            login_forms_instead: get(&self.login_forms_instead),
            sessions_expired: get(&self.sessions_expired),
            server_errors: get(&self.server_errors),
            by_kind: std::array::from_fn(|i| get(&self.by_kind[i])),
        }
    }
}
