//! The notifier, the first [`Reactor`]: host state transitions told to a
//! webhook (JSON POST) and to the Telegram Bot API.
//!
//! **Deciding** is a pure function of the event and the reactor's folded
//! state. `HostWentDown`, `HostDegraded` and `HostCameUp` carry, from
//! version 2 on, the host's [`Subject`] (name, address, the state it left,
//! its maintenance windows): unreachable children are not told (theirs is
//! `HostBecameUnreachable`), coming up is told only after down or degraded,
//! and a change inside a maintenance window at the event's `recorded_at` is
//! kept as skipped. Which channels get it follows the notification settings
//! *as of the event's place in the log*: the reactor folds
//! `NotifySettingsChanged` into its [`NotifyState`] (which channels are on;
//! no destination, no secret), stored with its checkpoint.
//!
//! **Old events.** A version 1 state event carries no subject (its
//! upcaster says so, see `ispmon_events::store::upcast`): for those alone,
//! [`Reactor::context`] folds the host's history up to the event, as the
//! notifier did for every event before. Such events exist only between an
//! upgrade and the first sweep after it, so the read is rare.
//!
//! **Performing** is one HTTP request. Destinations (the webhook URL, the
//! chat and the bot token) are asked of the [`NotifyWorld`] at send time, so
//! a corrected setting applies to deliveries still retrying, and the secrets
//! never enter `reactors.db`, events, logs or pages. A destination removed
//! meanwhile drops the delivery. The runner gives at-least-once delivery:
//! webhook bodies carry the event's `seq` so a receiver can drop repeats.
//!
//! - [`message`]: the verdict and the words (pure).
//! - [`send`]: one HTTP delivery and how its answer is classified.

pub mod message;
pub mod send;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;

use cqrs_es::Aggregate;
use ispmon_events::host::{Host, HostEvent, Subject};
use ispmon_events::notify_settings::{NotifySettingsEvent, NotifySettingsValues, SETTINGS_ID};
use ispmon_events::{EventStore, StoredEvent};
use serde::{Deserialize, Serialize};

use crate::reactor::{Decision, Done, Failure, Policy, Reactor};
use message::{Channel, Transition, Verdict};

/// The reactor's name in `reactors.db`.
pub const NAME: &str = "notify";
/// Attempts per delivery before it is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// The dedupe key of a transition kept as skipped.
pub const SKIPPED: &str = "skipped";

/// Where Telegram messages go, as configured now. Holds the bot token: no
/// `Debug`, never logged.
pub struct TelegramTarget {
    pub api_base: String,
    pub chat_id: String,
    pub token: String,
}

/// What the notifier needs from the app: the destinations as configured
/// now, secrets opened. `Err(Failure::drop(..))` when the channel is no
/// longer configured or its secret is gone; `Err(Failure::retry(..))` when
/// it cannot be read just now.
pub trait NotifyWorld: Send + Sync + 'static {
    fn webhook_url(&self) -> impl Future<Output = Result<String, Failure>> + Send;
    fn telegram(&self) -> impl Future<Output = Result<TelegramTarget, Failure>> + Send;
}

/// One message to send (or one transition kept as skipped: no channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: Option<Channel>,
    pub transition: Transition,
}

/// Which channels are on, as of the reactor's checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyState {
    pub webhook: bool,
    pub telegram: bool,
}

impl From<&NotifySettingsValues> for NotifyState {
    fn from(v: &NotifySettingsValues) -> Self {
        Self {
            webhook: v.webhook_enabled(),
            telegram: v.telegram_enabled(),
        }
    }
}

/// For version 1 state events of a batch: the host as it was just before
/// each (by the event's `seq`).
#[derive(Debug, Default)]
pub struct Folded(HashMap<u64, Subject>);

pub struct NotifyReactor<W> {
    world: W,
    /// A `notify.db` of the notifier before it became a reactor: a first
    /// start goes on from its checkpoint instead of the log's end.
    legacy: Option<PathBuf>,
    http: OnceLock<reqwest::Client>,
}

impl<W: NotifyWorld> NotifyReactor<W> {
    pub fn new(world: W, legacy: Option<PathBuf>) -> Self {
        Self {
            world,
            legacy,
            http: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, Failure> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let c = send::client().map_err(Failure::retry)?;
        Ok(self.http.get_or_init(|| c))
    }

    /// The old notifier's checkpoint, when its file is there.
    fn legacy_checkpoint(&self) -> Option<u64> {
        let path = self.legacy.as_ref().filter(|p| p.is_file())?;
        let c = ispmon_events::sqlite::open_ro(path).ok()?;
        c.query_row("SELECT seq FROM notify_checkpoint WHERE id = 1", [], |r| {
            r.get(0)
        })
        .ok()
    }

    fn queue(state: &NotifyState, t: Transition) -> Vec<Decision<Notification>> {
        let mut out = Vec::new();
        for (on, channel) in [
            (state.webhook, Channel::Webhook),
            (state.telegram, Channel::Telegram),
        ] {
            if on {
                let n = Notification {
                    channel: Some(channel),
                    transition: t.clone(),
                };
                out.push(Decision::perform(channel.as_str(), n));
            }
        }
        out
    }
}

fn unreadable(e: &StoredEvent, err: serde_json::Error) -> String {
    format!("event {} cannot be read: {err}", e.seq)
}

impl<W: NotifyWorld> Reactor for NotifyReactor<W> {
    type Effect = Notification;
    type State = NotifyState;
    type Context = Folded;

    fn name(&self) -> &'static str {
        NAME
    }

    fn policy(&self) -> Policy {
        Policy {
            max_attempts: MAX_ATTEMPTS,
            ..Policy::default()
        }
    }

    /// From the old notifier's checkpoint if there is one, else from
    /// `head`, with the settings as of there.
    async fn start(&self, store: &EventStore, head: u64) -> Result<(u64, NotifyState), String> {
        let at = self.legacy_checkpoint().unwrap_or(head).min(head);
        let log = store
            .aggregate_events("NotifySettings", SETTINGS_ID, None)
            .await
            .map_err(|e| e.to_string())?;
        let mut state = NotifyState::default();
        for e in log.iter().take_while(|e| e.seq <= at) {
            let NotifySettingsEvent::NotifySettingsChanged(v) =
                e.decode().map_err(|err| unreadable(e, err))?;
            state = NotifyState::from(&v);
        }
        Ok((at, state))
    }

    async fn context(&self, store: &EventStore, batch: &[StoredEvent]) -> Result<Folded, String> {
        let mut logs: HashMap<&str, Vec<StoredEvent>> = HashMap::new();
        let mut out = HashMap::new();
        for e in batch.iter().filter(|e| message::is_candidate(e)) {
            let event: HostEvent = e.decode().map_err(|err| unreadable(e, err))?;
            if message::subject_of(&event).is_some() {
                continue;
            }
            if !logs.contains_key(e.aggregate_id.as_str()) {
                let log = store
                    .aggregate_events("Host", &e.aggregate_id, None)
                    .await
                    .map_err(|e| e.to_string())?;
                logs.insert(&e.aggregate_id, log);
            }
            let mut host = Host::default();
            for h in logs[e.aggregate_id.as_str()]
                .iter()
                .take_while(|h| h.seq < e.seq)
            {
                host.apply(h.decode().map_err(|err| unreadable(h, err))?);
            }
            out.insert(e.seq, host.subject());
        }
        Ok(Folded(out))
    }

    fn decide(
        &self,
        state: &mut NotifyState,
        ctx: &Folded,
        e: &StoredEvent,
    ) -> Result<Vec<Decision<Notification>>, String> {
        if e.aggregate_type == "NotifySettings" {
            let NotifySettingsEvent::NotifySettingsChanged(v) =
                e.decode().map_err(|err| unreadable(e, err))?;
            *state = NotifyState::from(&v);
            return Ok(Vec::new());
        }
        if !message::is_candidate(e) {
            return Ok(Vec::new());
        }
        let event: HostEvent = e.decode().map_err(|err| unreadable(e, err))?;
        let Some(host) = message::subject_of(&event).or_else(|| ctx.0.get(&e.seq)) else {
            return Err(format!("event {}: the host was not folded", e.seq));
        };
        Ok(match message::judge(e, &event, host) {
            Verdict::Ignore => Vec::new(),
            Verdict::Skip(transition, reason) => {
                let n = Notification {
                    channel: None,
                    transition,
                };
                vec![Decision::skip(SKIPPED, n, reason)]
            }
            Verdict::Notify(t) => Self::queue(state, t),
        })
    }

    async fn perform(&self, n: &Notification, _attempt: u32) -> Result<Done, Failure> {
        let client = self.client()?;
        match n.channel {
            Some(Channel::Webhook) => {
                let url = self.world.webhook_url().await?;
                let body = message::webhook_body(&n.transition);
                send::post_json(client, &url, &body, Some(&url)).await
            }
            Some(Channel::Telegram) => {
                let tg = self.world.telegram().await?;
                let url = format!(
                    "{}/bot{}/sendMessage",
                    tg.api_base.trim_end_matches('/'),
                    tg.token
                );
                let text = message::telegram_text(&n.transition);
                let body = message::telegram_body(&tg.chat_id, &text);
                send::post_json(client, &url, &body, Some(&tg.token)).await
            }
            None => Err(Failure::drop("nothing to send")),
        }
    }
}
