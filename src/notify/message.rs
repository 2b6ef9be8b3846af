//! What a host event is worth telling, and the words: pure functions from
//! a stored event and the host as it was just before it.

use ispmon_events::host::{Host, HostEvent, HostState, RoundSample};
use ispmon_events::StoredEvent;
use serde_json::{json, Value};

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Webhook,
    Telegram,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Channel::Webhook),
            "telegram" => Some(Channel::Telegram),
            _ => None,
        }
    }
}

/// A host state change worth telling.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub seq: u64,
    pub event_type: String,
    /// `down`, `up` or `degraded`.
    pub state: &'static str,
    pub host_id: String,
    pub name: String,
    pub ip: String,
    /// When the log recorded the change (RFC 3339).
    pub at: String,
    pub sample: RoundSample,
}

/// What to do with one event of the log.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not a transition anyone is told about.
    Ignore,
    /// A transition, silenced; the reason is kept on the admin page.
    Skip(Transition, String),
    Notify(Transition),
}

/// The event types [`judge`] may notify; others are ignored unread.
pub fn is_candidate(e: &StoredEvent) -> bool {
    e.aggregate_type == "Host"
        && matches!(
            e.event_type.as_str(),
            "HostWentDown" | "HostCameUp" | "HostDegraded"
        )
}

/// Judges a Host event given the host as it was before it: unreachable
/// children are never told (their parent is); coming up is told only after
/// being down or degraded (not on the first answer, nor when a child's parent
/// recovers); any change inside a maintenance window is skipped.
pub fn judge(e: &StoredEvent, before: &Host) -> Verdict {
    if !is_candidate(e) {
        return Verdict::Ignore;
    }
    let Ok(event) = serde_json::from_str::<HostEvent>(&e.payload) else {
        return Verdict::Ignore;
    };
    let (state, sample) = match event {
        HostEvent::HostWentDown { sample, .. } => ("down", sample),
        HostEvent::HostDegraded { sample } => ("degraded", sample),
        HostEvent::HostCameUp { sample } => {
            if !matches!(before.state, HostState::Down | HostState::Degraded) {
                return Verdict::Ignore;
            }
            ("up", sample)
        }
        _ => return Verdict::Ignore,
    };
    let t = Transition {
        seq: e.seq,
        event_type: e.event_type.clone(),
        state,
        host_id: e.aggregate_id.clone(),
        name: before.details.name.clone(),
        ip: before.ip.clone().unwrap_or_default(),
        at: e.recorded_at.clone(),
        sample,
    };
    if let Some(w) = before
        .maintenance
        .values()
        .find(|w| w.start.as_str() <= t.at.as_str() && t.at.as_str() < w.end.as_str())
    {
        let reason = format!("maintenance: {}", w.reason);
        return Verdict::Skip(t, reason);
    }
    Verdict::Notify(t)
}

/// The webhook's JSON body.
pub fn webhook_body(t: &Transition) -> Value {
    json!({
        "event": t.event_type,
        "seq": t.seq,
        "host": { "id": t.host_id, "name": t.name, "ip": t.ip },
        "state": t.state,
        "at": t.at,
        "loss_pct": t.sample.loss_pct,
        "avg_ms": t.sample.avg_ms,
    })
}

/// The Telegram message text (plain text, no markup).
pub fn telegram_text(t: &Transition) -> String {
    let since = crate::pages::components::when(&t.at);
    let loss = format!("loss {}%", round1(t.sample.loss_pct));
    let avg = t.sample.avg_ms.map(|ms| format!("avg {} ms", round1(ms)));
    let (icon, word, detail) = match t.state {
        "down" => ("🔴", "DOWN", loss),
        "up" => ("🟢", "UP", avg.unwrap_or(loss)),
        _ => (
            "🟡",
            "DEGRADED",
            match avg {
                Some(a) => format!("{loss}, {a}"),
                None => loss,
            },
        ),
    };
    format!(
        "{icon} {} ({}) is {word} since {since} UTC — {detail}",
        t.name, t.ip
    )
}

/// The Bot API body: a numeric chat id goes as a number.
pub fn telegram_body(chat_id: &str, text: &str) -> Value {
    let chat = match chat_id.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(chat_id),
    };
    json!({ "chat_id": chat, "text": text })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispmon_events::host::{HostDetails, Window};

    fn stored(seq: u64, event: &HostEvent) -> StoredEvent {
        use cqrs_es::DomainEvent;
        StoredEvent {
            seq,
            aggregate_type: "Host".into(),
            aggregate_id: "h1".into(),
            aggregate_seq: seq,
            event_type: event.event_type(),
            event_version: "1".into(),
            payload: serde_json::to_string(event).unwrap(),
            metadata: "{}".into(),
            recorded_at: "2026-03-01T10:00:00.000000Z".into(),
            hash: String::new(),
        }
    }

    fn host(state: HostState) -> Host {
        Host {
            ip: Some("127.0.0.1".into()),
            details: HostDetails {
                name: "core-1".into(),
                ..Default::default()
            },
            state,
            ..Default::default()
        }
    }

    fn lost() -> RoundSample {
        RoundSample {
            sent: 3,
            loss_pct: 100.0,
            ..Default::default()
        }
    }

    fn ok() -> RoundSample {
        RoundSample {
            sent: 3,
            received: 3,
            avg_ms: Some(1.25),
            ..Default::default()
        }
    }

    #[test]
    fn going_down_is_told_with_host_and_sample() {
        let e = stored(
            7,
            &HostEvent::HostWentDown {
                sample: lost(),
                failed_rounds: 2,
            },
        );
        let Verdict::Notify(t) = judge(&e, &host(HostState::Up)) else {
            panic!("expected a notification");
        };
        let body = webhook_body(&t);
        assert_eq!(body["event"], "HostWentDown");
        assert_eq!(body["state"], "down");
        assert_eq!(body["host"]["name"], "core-1");
        assert_eq!(body["host"]["ip"], "127.0.0.1");
        assert_eq!(body["loss_pct"], 100.0);
        assert!(body["avg_ms"].is_null());
        assert_eq!(
            telegram_text(&t),
            "🔴 core-1 (127.0.0.1) is DOWN since 2026-03-01 10:00:00 UTC — loss 100%"
        );
    }

    #[test]
    fn coming_up_is_told_only_after_a_problem() {
        let e = stored(8, &HostEvent::HostCameUp { sample: ok() });
        let Verdict::Notify(t) = judge(&e, &host(HostState::Down)) else {
            panic!("a host back up after being down is told");
        };
        assert_eq!(webhook_body(&t)["event"], "HostCameUp");
        assert_eq!(webhook_body(&t)["state"], "up");
        assert_eq!(
            telegram_text(&t),
            "🟢 core-1 (127.0.0.1) is UP since 2026-03-01 10:00:00 UTC — avg 1.3 ms"
        );
        assert_eq!(judge(&e, &host(HostState::Pending)), Verdict::Ignore);
        assert_eq!(judge(&e, &host(HostState::Unreachable)), Verdict::Ignore);
    }

    #[test]
    fn unreachable_children_are_not_told() {
        let e = stored(9, &HostEvent::HostBecameUnreachable { sample: lost() });
        assert_eq!(judge(&e, &host(HostState::Up)), Verdict::Ignore);
    }

    #[test]
    fn a_maintenance_window_at_the_event_time_silences_it() {
        let mut h = host(HostState::Up);
        h.maintenance.insert(
            "w".into(),
            Window {
                start: "2026-03-01T09:00:00.000000Z".into(),
                end: "2026-03-01T11:00:00.000000Z".into(),
                reason: "fiber works".into(),
            },
        );
        let e = stored(
            10,
            &HostEvent::HostWentDown {
                sample: lost(),
                failed_rounds: 2,
            },
        );
        let Verdict::Skip(_, reason) = judge(&e, &h) else {
            panic!("expected a skip");
        };
        assert_eq!(reason, "maintenance: fiber works");
    }

    #[test]
    fn telegram_chat_ids_keep_their_type() {
        assert_eq!(telegram_body("-100123", "x")["chat_id"], -100123);
        assert_eq!(telegram_body("@noc_chan", "x")["chat_id"], "@noc_chan");
    }
}
