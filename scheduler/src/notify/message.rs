//! What a host event is worth telling, and the words: pure functions of a
//! stored event and the host it carries (or, for an event stored before
//! version 2, the host folded from its history).

use ispmon_events::host::{HostEvent, HostState, RoundSample, Subject};
use ispmon_events::StoredEvent;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
}

/// A host state change worth telling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub seq: u64,
    pub event_type: String,
    /// `Down`, `Up` or `Degraded`.
    pub state: HostState,
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

/// The host a state event carries (`None` when stored at version 1).
pub fn subject_of(event: &HostEvent) -> Option<&Subject> {
    match event {
        HostEvent::HostWentDown { host, .. }
        | HostEvent::HostDegraded { host, .. }
        | HostEvent::HostCameUp { host, .. } => host.as_ref(),
        _ => None,
    }
}

/// Judges a Host event given the host as it was when it changed:
/// unreachable children are never told (their parent is); coming up is told
/// only after being down or degraded (not on the first answer, nor when a
/// child's parent recovers); any change inside a maintenance window at the
/// event's `recorded_at` is skipped.
pub fn judge(e: &StoredEvent, event: &HostEvent, host: &Subject) -> Verdict {
    let (state, sample) = match event {
        HostEvent::HostWentDown { sample, .. } => (HostState::Down, *sample),
        HostEvent::HostDegraded { sample, .. } => (HostState::Degraded, *sample),
        HostEvent::HostCameUp { sample, .. } => {
            if !matches!(host.from, HostState::Down | HostState::Degraded) {
                return Verdict::Ignore;
            }
            (HostState::Up, *sample)
        }
        _ => return Verdict::Ignore,
    };
    let t = Transition {
        seq: e.seq,
        event_type: e.event_type.clone(),
        state,
        host_id: e.aggregate_id.clone(),
        name: host.name.clone(),
        ip: host.ip.clone(),
        at: e.recorded_at.clone(),
        sample,
    };
    let at = t.at.as_str();
    if let Some(w) = host
        .maintenance
        .iter()
        .find(|w| w.start.as_str() <= at && at < w.end.as_str())
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
        "state": t.state.as_str(),
        "at": t.at,
        "loss_pct": t.sample.loss_pct,
        "avg_ms": t.sample.avg_ms,
    })
}

/// `2026-03-01T10:00:00.000000Z` → `2026-03-01 10:00:00`.
fn when(ts: &str) -> String {
    let s = ts.replace('T', " ");
    s.get(..19).unwrap_or(&s).to_string()
}

/// The Telegram message text (plain text, no markup).
pub fn telegram_text(t: &Transition) -> String {
    let since = when(&t.at);
    let loss = format!("loss {}%", round1(t.sample.loss_pct));
    let avg = t.sample.avg_ms.map(|ms| format!("avg {} ms", round1(ms)));
    let (icon, word, detail) = match t.state {
        HostState::Down => ("🔴", "DOWN", loss),
        HostState::Up => ("🟢", "UP", avg.unwrap_or(loss)),
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
    use ispmon_events::host::Window;

    fn stored(seq: u64, event: &HostEvent) -> StoredEvent {
        use cqrs_es::DomainEvent;
        StoredEvent {
            seq,
            aggregate_type: "Host".into(),
            aggregate_id: "h1".into(),
            aggregate_seq: seq,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: serde_json::to_string(event).unwrap(),
            metadata: "{}".into(),
            recorded_at: "2026-03-01T10:00:00.000000Z".into(),
            hash: String::new(),
        }
    }

    fn host(from: HostState) -> Subject {
        Subject {
            name: "core-1".into(),
            ip: "127.0.0.1".into(),
            from,
            maintenance: Vec::new(),
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

    fn down(h: Subject) -> HostEvent {
        HostEvent::HostWentDown {
            sample: lost(),
            failed_rounds: 2,
            host: Some(h),
        }
    }

    #[test]
    fn going_down_is_told_with_host_and_sample() {
        let ev = down(host(HostState::Up));
        let e = stored(7, &ev);
        let Verdict::Notify(t) = judge(&e, &ev, subject_of(&ev).unwrap()) else {
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
        let up = |from| HostEvent::HostCameUp {
            sample: ok(),
            host: Some(host(from)),
        };
        let judged = |from| {
            let ev = up(from);
            judge(&stored(8, &ev), &ev, subject_of(&ev).unwrap())
        };
        assert!(matches!(judged(HostState::Down), Verdict::Notify(_)));
        assert!(matches!(judged(HostState::Degraded), Verdict::Notify(_)));
        assert_eq!(judged(HostState::Pending), Verdict::Ignore);
        assert_eq!(judged(HostState::Unreachable), Verdict::Ignore);
    }

    #[test]
    fn unreachable_children_are_not_told() {
        let ev = HostEvent::HostBecameUnreachable { sample: lost() };
        let e = stored(9, &ev);
        assert!(!is_candidate(&e));
        assert_eq!(judge(&e, &ev, &host(HostState::Up)), Verdict::Ignore);
    }

    #[test]
    fn a_maintenance_window_at_the_event_time_silences_it() {
        let mut h = host(HostState::Up);
        h.maintenance.push(Window {
            start: "2026-03-01T09:00:00.000000Z".into(),
            end: "2026-03-01T11:00:00.000000Z".into(),
            reason: "fiber works".into(),
        });
        h.maintenance.push(Window {
            start: "2026-02-01T09:00:00.000000Z".into(),
            end: "2026-02-01T11:00:00.000000Z".into(),
            reason: "long over".into(),
        });
        let ev = down(h);
        let Verdict::Skip(_, reason) = judge(&stored(10, &ev), &ev, subject_of(&ev).unwrap())
        else {
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
