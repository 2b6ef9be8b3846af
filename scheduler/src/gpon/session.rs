//! One CLI session on an OLT as the GPON work uses it: lines in the mode
//! they need (the session enters and leaves `config` and interfaces), under
//! the OLT's poll budget (sessions at once, commands per minute), with a
//! short transcript of what was sent and answered for the step records.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::model::{Fsp, Line, Mode};
use crate::cli::session::CliError;
use crate::cli::Dialect;
use crate::config_pull::{scrub, OpenSession};

/// How an OLT dialect moves between CLI modes.
#[derive(Debug, Clone, Copy)]
pub struct ModeWords {
    /// From the privileged prompt into `config`.
    pub config: &'static str,
    /// One level up (an interface back to `config`).
    pub leave: &'static str,
    pub port_interface: fn(Fsp) -> String,
    pub ont_interface: fn(Fsp, u32) -> String,
}

/// The mode words of a GPON dialect.
pub fn mode_words(dialect: Dialect) -> ModeWords {
    match dialect {
        Dialect::ZteC300 => ModeWords {
            config: "configure terminal",
            leave: "exit",
            port_interface: |f| format!("interface gpon-olt_{}/{}/{}", f.frame, f.slot, f.port),
            ont_interface: |f, n| {
                format!("interface gpon-onu_{}/{}/{}:{n}", f.frame, f.slot, f.port)
            },
        },
        _ => ModeWords {
            config: "config",
            leave: "quit",
            port_interface: |f| format!("interface gpon {}/{}", f.frame, f.slot),
            ont_interface: |f, _| format!("interface gpon {}/{}", f.frame, f.slot),
        },
    }
}

/// The poll budget of one OLT: at most `sessions` at once and
/// `per_minute` commands in any 60 s, shared by every job in this process.
pub struct Budget {
    sessions: Arc<Semaphore>,
    per_minute: usize,
    /// The minute (shorter in tests).
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Budget {
    pub fn new(sessions: usize, per_minute: usize) -> Self {
        Self::with_window(sessions, per_minute, Duration::from_secs(60))
    }

    /// At most `per` commands in any `window`.
    pub fn with_window(sessions: usize, per: usize, window: Duration) -> Self {
        Budget {
            sessions: Arc::new(Semaphore::new(sessions.max(1))),
            per_minute: per.max(1),
            window,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    async fn session(&self) -> OwnedSemaphorePermit {
        Arc::clone(&self.sessions)
            .acquire_owned()
            .await
            .expect("never closed")
    }

    /// Waits until one more command fits in the last minute, and counts it.
    async fn command(&self) {
        loop {
            let wait = {
                let mut q = self.sent.lock().expect("budget lock");
                let now = Instant::now();
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() < self.per_minute {
                    q.push_back(now);
                    return;
                }
                self.window - now.duration_since(*q.front().expect("full"))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// An OLT's budget with the limits it was made with.
type Limited = (usize, usize, Arc<Budget>);

/// The budgets of every OLT, built from the settings in force.
pub struct Budgets {
    inner: Mutex<HashMap<String, Limited>>,
    /// What "per minute" means: a minute, but tests shorten it.
    window: Duration,
}

impl Default for Budgets {
    fn default() -> Self {
        Self::with_window(Duration::from_secs(60))
    }
}

impl Budgets {
    pub fn with_window(window: Duration) -> Self {
        Budgets {
            inner: Mutex::new(HashMap::new()),
            window,
        }
    }

    /// The OLT's budget with these limits (a changed limit starts a new one).
    pub fn of(&self, olt_id: &str, sessions: usize, per_minute: usize) -> Arc<Budget> {
        let mut m = self.inner.lock().expect("budgets lock");
        match m.get(olt_id) {
            Some((s, p, b)) if *s == sessions && *p == per_minute => Arc::clone(b),
            _ => {
                let b = Arc::new(Budget::with_window(sessions, per_minute, self.window));
                m.insert(olt_id.to_string(), (sessions, per_minute, Arc::clone(&b)));
                b
            }
        }
    }
}

/// A logged-in OLT session.
pub struct OltSession {
    open: OpenSession,
    words: ModeWords,
    mode: Option<Mode>,
    budget: Arc<Budget>,
    _slot: OwnedSemaphorePermit,
    /// Lines sent (mode changes included).
    pub commands: usize,
    log: String,
}

impl OltSession {
    /// Waits for a session slot in the budget, then takes `open` (opened
    /// by the caller after the slot was granted, see [`Budget`]).
    pub async fn slot(budget: &Arc<Budget>) -> OwnedSemaphorePermit {
        budget.session().await
    }

    pub fn new(
        open: OpenSession,
        dialect: Dialect,
        budget: Arc<Budget>,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        OltSession {
            open,
            words: mode_words(dialect),
            mode: None,
            budget,
            _slot: slot,
            commands: 0,
            log: String::new(),
        }
    }

    async fn send(&mut self, text: &str) -> Result<String, CliError> {
        self.budget.command().await;
        self.commands += 1;
        let out = self.open.session.run(text).await;
        let secrets: Vec<&str> = self.open.secrets.iter().map(String::as_str).collect();
        self.log.push_str("> ");
        self.log.push_str(text);
        self.log.push('\n');
        match &out {
            Ok(o) => {
                let o = scrub(o, &secrets);
                let o = o.trim_matches('\n');
                if !o.is_empty() {
                    self.log.push_str(o);
                    self.log.push('\n');
                }
            }
            Err(e) => {
                self.log.push_str(&scrub(&e.to_string(), &secrets));
                self.log.push('\n');
            }
        }
        out
    }

    async fn enter(&mut self, mode: &Mode) -> Result<(), CliError> {
        if self.mode.as_ref() == Some(mode) {
            return Ok(());
        }
        match self.mode.take() {
            None => {
                self.send(self.words.config).await?;
            }
            Some(Mode::Config) => {}
            Some(_) => {
                self.send(self.words.leave).await?;
            }
        }
        self.mode = Some(Mode::Config);
        let iface = match mode {
            Mode::Config => None,
            Mode::PortInterface(f) => Some((self.words.port_interface)(*f)),
            Mode::OntInterface(f, n) => Some((self.words.ont_interface)(*f, *n)),
        };
        if let Some(i) = iface {
            self.send(&i).await?;
            self.mode = Some(mode.clone());
        }
        Ok(())
    }

    /// Runs one line in its mode: its output, or the device's refusal
    /// (`Err(Rejected)`) or a transport error.
    pub async fn run(&mut self, line: &Line) -> Result<String, CliError> {
        if let Err(e) = self.enter(&line.mode).await {
            // Where we are is unknown now: start from the top next time.
            self.mode = None;
            return Err(e);
        }
        self.send(&line.text).await
    }

    /// What was sent and answered since the last call, secrets masked.
    pub fn take_log(&mut self) -> String {
        std::mem::take(&mut self.log)
    }

    pub async fn close(self) {
        self.open.session.close().await;
    }
}

/// Whether an error means the session is unusable (as opposed to a refusal).
pub fn is_transport(e: &CliError) -> bool {
    !matches!(e, CliError::Rejected { .. })
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[tokio::test]
    async fn commands_past_the_limit_wait_for_the_window_and_sessions_queue() {
        let window = Duration::from_millis(150);
        let b = Arc::new(Budget::with_window(1, 2, window));
        let t = Instant::now();
        for _ in 0..5 {
            b.command().await;
        }
        // The third waited for the first to leave the window, the fifth
        // for the third: two windows at least, however fast the machine.
        assert!(t.elapsed() >= window * 2, "{:?}", t.elapsed());

        let first = OltSession::slot(&b).await;
        assert!(
            tokio::time::timeout(window / 3, OltSession::slot(&b))
                .await
                .is_err(),
            "one session at a time"
        );
        drop(first);
        let second = tokio::spawn({
            let b = Arc::clone(&b);
            async move { OltSession::slot(&b).await }
        });
        let _slot = second
            .await
            .expect("the second gets the slot once the first is gone");
    }
}
