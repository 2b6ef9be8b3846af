//! The notifier, the first [`Reactor`]: host state transitions and ticket
//! alerts (assignment, SLA due soon, SLA breached: [`ticket`]) told to a
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
//! - [`ticket`]: what a ticket event calls for, when, and the words; an
//!   SLA alert is queued to fall due at its time and, then, sent only if
//!   the ticket (asked of the world) is still due at that time.

pub mod message;
pub mod send;
#[cfg(test)]
mod tests;
pub mod ticket;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;

use cqrs_es::Aggregate;
use ispmon_events::host::{Host, HostEvent, Subject};
use ispmon_events::notify_settings::{NotifySettingsEvent, NotifySettingsValues, SETTINGS_ID};
use ispmon_events::sla::Sla;
use ispmon_events::sla_settings::{SlaSettings, SlaSettingsEvent, SETTINGS_ID as SLA_SETTINGS_ID};
use ispmon_events::ticket::{Ticket, TicketEvent};
use ispmon_events::{EventStore, StoredEvent};
use serde::{Deserialize, Serialize};

use crate::reactor::{Decision, Done, Failure, Policy, Reactor};
use message::{Channel, Transition, Verdict};
use ticket::TicketAlert;

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
    /// A ticket as it is now (`None`: no such ticket), to see whether an
    /// SLA alert falling due still stands.
    fn ticket(&self, id: &str) -> impl Future<Output = Result<Option<Ticket>, Failure>> + Send;
    /// The SLA settings in force now (the read model's), under which due
    /// times are planned and, at send time, judged still due.
    fn sla(&self) -> impl Future<Output = Result<Sla, Failure>> + Send;
    /// The tickets not resolved or closed, as they are now: a change of
    /// the SLA settings queues the alerts of the due times it moved.
    fn open_tickets(&self) -> impl Future<Output = Result<Vec<(String, Ticket)>, Failure>> + Send;
}

/// What a notification tells. Stored flattened, so a host transition
/// queued before tickets were told reads back as it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum About {
    Transition(Transition),
    Ticket(TicketAlert),
}

/// One message to send (or one transition kept as skipped: no channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub channel: Option<Channel>,
    #[serde(flatten)]
    pub about: About,
}

impl Notification {
    /// The event told (`HostWentDown`, `TicketBreached`, …).
    pub fn event_type(&self) -> &str {
        match &self.about {
            About::Transition(t) => &t.event_type,
            About::Ticket(a) => a.event_type(),
        }
    }

    /// When what is told happened (RFC 3339).
    pub fn at(&self) -> &str {
        match &self.about {
            About::Transition(t) => &t.at,
            About::Ticket(a) => a.at(),
        }
    }

    /// What it is about: the host's name and address, or the ticket's id
    /// and address.
    pub fn subject(&self) -> (&str, &str) {
        match &self.about {
            About::Transition(t) => (&t.name, &t.ip),
            About::Ticket(a) => (&a.ticket_id, &a.address),
        }
    }
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

/// What a batch's events need folded from the log: for version 1 host
/// state events, the host as it was just before each; for ticket events,
/// the ticket just before and just after each (by the event's `seq`), and
/// the SLA settings in force when the batch is decided (asked of the world
/// only for a batch with ticket events).
#[derive(Debug, Default)]
pub struct Folded {
    hosts: HashMap<u64, Subject>,
    tickets: HashMap<u64, (Ticket, Ticket)>,
    sla: Sla,
    /// For a ticket event followed by an SLA settings change (a batch
    /// decided after the change was made), the settings in force at that
    /// event: its alerts are planned at the due times it had then, and the
    /// change re-times them (planning them at the new times here as well
    /// would tell each twice).
    sla_then: HashMap<u64, Sla>,
    /// For each SLA settings change of the batch, the settings before and
    /// after it.
    retimed: HashMap<u64, (Sla, Sla)>,
    /// The open tickets (read only for a batch with a settings change).
    open: Vec<(String, Ticket)>,
}

/// What [`NotifyReactor::fold_sla`] folds from the SLA settings' log.
#[derive(Default)]
struct SlaFold {
    /// Each settings change of the batch: the settings before and after it.
    retimed: HashMap<u64, (Sla, Sla)>,
    /// Each ticket event a change follows: the settings just before it.
    then: HashMap<u64, Sla>,
}

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

    fn channels(state: &NotifyState) -> impl Iterator<Item = Channel> {
        [
            (state.webhook, Channel::Webhook),
            (state.telegram, Channel::Telegram),
        ]
        .into_iter()
        .filter_map(|(on, c)| on.then_some(c))
    }

    fn queue(state: &NotifyState, t: Transition) -> Vec<Decision<Notification>> {
        Self::channels(state)
            .map(|channel| {
                let n = Notification {
                    channel: Some(channel),
                    about: About::Transition(t.clone()),
                };
                Decision::perform(channel.as_str(), n)
            })
            .collect()
    }

    fn queue_ticket(
        state: &NotifyState,
        plans: Vec<ticket::Planned>,
        key: fn(&str, &ticket::TicketAlert) -> String,
    ) -> Vec<Decision<Notification>> {
        let mut out = Vec::new();
        for (alert, at) in plans {
            for channel in Self::channels(state) {
                let key = key(channel.as_str(), &alert);
                let n = Notification {
                    channel: Some(channel),
                    about: About::Ticket(alert.clone()),
                };
                out.push(match at {
                    Some(at) => Decision::perform_at(key, n, at),
                    None => Decision::perform(key, n),
                });
            }
        }
        out
    }

    /// From one fold of the SLA settings' own log: for each settings
    /// change of the batch, the settings just before and just after it;
    /// and for each ticket event (`tickets`) that a change follows, the
    /// settings just before that event. The log is read only when the
    /// batch has a change or a ticket event.
    async fn fold_sla(
        store: &EventStore,
        batch: &[StoredEvent],
        mut tickets: Vec<u64>,
    ) -> Result<SlaFold, String> {
        let mut out = SlaFold::default();
        if tickets.is_empty() && !batch.iter().any(|e| e.aggregate_type == SlaSettings::TYPE) {
            return Ok(out);
        }
        let log = store
            .aggregate_events(SlaSettings::TYPE, SLA_SETTINGS_ID, None)
            .await
            .map_err(|e| e.to_string())?;
        let mut sla = Sla::default();
        tickets.sort_unstable();
        let mut next = tickets.iter().peekable();
        for e in &log {
            // The ticket events before this change had the settings so far.
            while let Some(seq) = next.next_if(|s| **s < e.seq) {
                out.then.insert(*seq, sla.clone());
            }
            let SlaSettingsEvent::SlaSettingsChanged(change) =
                e.decode().map_err(|err| unreadable(e, err))?;
            let before = sla.clone();
            change.apply_to(&mut sla);
            if batch.iter().any(|b| b.seq == e.seq) {
                out.retimed.insert(e.seq, (before, sla.clone()));
            }
        }
        Ok(out)
    }

    /// Folds, for each ticket event of the batch, the ticket just before
    /// and just after it.
    async fn fold_tickets(
        store: &EventStore,
        batch: &[StoredEvent],
        out: &mut HashMap<u64, (Ticket, Ticket)>,
    ) -> Result<(), String> {
        let mut logs: HashMap<&str, Vec<StoredEvent>> = HashMap::new();
        for e in batch.iter().filter(|e| e.aggregate_type == "Ticket") {
            if !logs.contains_key(e.aggregate_id.as_str()) {
                let log = store
                    .aggregate_events("Ticket", &e.aggregate_id, None)
                    .await
                    .map_err(|e| e.to_string())?;
                logs.insert(&e.aggregate_id, log);
            }
            let mut before = Ticket::default();
            for t in logs[e.aggregate_id.as_str()]
                .iter()
                .take_while(|t| t.seq < e.seq)
            {
                before.apply(t.decode().map_err(|err| unreadable(t, err))?);
            }
            let mut after = before.clone();
            after.apply(e.decode().map_err(|err| unreadable(e, err))?);
            out.insert(e.seq, (before, after));
        }
        Ok(())
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
        let mut tickets = HashMap::new();
        Self::fold_tickets(store, batch, &mut tickets).await?;
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
        let sla = if tickets.is_empty() {
            Sla::default()
        } else {
            self.world.sla().await.map_err(|f| f.reason)?
        };
        let SlaFold {
            retimed,
            then: sla_then,
        } = Self::fold_sla(store, batch, tickets.keys().copied().collect()).await?;
        let open = if retimed.is_empty() {
            Vec::new()
        } else {
            self.world.open_tickets().await.map_err(|f| f.reason)?
        };
        Ok(Folded {
            hosts: out,
            tickets,
            sla,
            sla_then,
            retimed,
            open,
        })
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
        if e.aggregate_type == SlaSettings::TYPE {
            let Some((old, new)) = ctx.retimed.get(&e.seq) else {
                return Err(format!("event {}: the SLA settings were not folded", e.seq));
            };
            let at = chrono::DateTime::parse_from_rfc3339(&e.recorded_at)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|err| format!("event {}: its time: {err}", e.seq))?;
            let plans = ctx
                .open
                .iter()
                .flat_map(|(id, t)| {
                    ticket::plan_retimed(e.seq, id, &e.recorded_at, t, (old, new), at)
                })
                .collect();
            return Ok(Self::queue_ticket(state, plans, ticket::retimed_key));
        }
        if e.aggregate_type == "Ticket" {
            let Some((before, after)) = ctx.tickets.get(&e.seq) else {
                return Err(format!("event {}: the ticket was not folded", e.seq));
            };
            let event: TicketEvent = e.decode().map_err(|err| unreadable(e, err))?;
            let plans = ticket::plan(
                e.seq,
                &e.aggregate_id,
                &e.recorded_at,
                &event,
                (before, after),
                ctx.sla_then.get(&e.seq).unwrap_or(&ctx.sla),
            );
            return Ok(Self::queue_ticket(state, plans, ticket::key));
        }
        if !message::is_candidate(e) {
            return Ok(Vec::new());
        }
        let event: HostEvent = e.decode().map_err(|err| unreadable(e, err))?;
        let Some(host) = message::subject_of(&event).or_else(|| ctx.hosts.get(&e.seq)) else {
            return Err(format!("event {}: the host was not folded", e.seq));
        };
        Ok(match message::judge(e, &event, host) {
            Verdict::Ignore => Vec::new(),
            Verdict::Skip(transition, reason) => {
                let n = Notification {
                    channel: None,
                    about: About::Transition(transition),
                };
                vec![Decision::skip(SKIPPED, n, reason)]
            }
            Verdict::Notify(t) => Self::queue(state, t),
        })
    }

    async fn perform(&self, n: &Notification, _attempt: u32) -> Result<Done, Failure> {
        if let About::Ticket(a) = &n.about {
            let now = self.world.ticket(&a.ticket_id).await?;
            let sla = self.world.sla().await?;
            if !now.is_some_and(|t| ticket::still_due(a, &t, &sla)) {
                return Err(Failure::drop(
                    "no longer due: the ticket was answered, resolved, paused or re-timed",
                ));
            }
        }
        let client = self.client()?;
        match n.channel {
            Some(Channel::Webhook) => {
                let url = self.world.webhook_url().await?;
                let body = match &n.about {
                    About::Transition(t) => message::webhook_body(t),
                    About::Ticket(a) => ticket::webhook_body(a),
                };
                send::post_json(client, &url, &body, Some(&url)).await
            }
            Some(Channel::Telegram) => {
                let tg = self.world.telegram().await?;
                let url = format!(
                    "{}/bot{}/sendMessage",
                    tg.api_base.trim_end_matches('/'),
                    tg.token
                );
                let text = match &n.about {
                    About::Transition(t) => message::telegram_text(t),
                    About::Ticket(a) => ticket::telegram_text(a),
                };
                let body = message::telegram_body(&tg.chat_id, &text);
                send::post_json(client, &url, &body, Some(&tg.token)).await
            }
            None => Err(Failure::drop("nothing to send")),
        }
    }
}
