//! What a ticket event is worth telling, and the words: assignment at once;
//! a warning [`WARN_BEFORE`] a due time and the breach at it. Pure
//! functions of the ticket as folded just before and just after the event.
//!
//! A due alert is queued only when the event moved the due time (opened,
//! priority edited, a pause ended, a reopen), so a comment on a ticket
//! queues nothing new; it is queued to fall due at its time
//! ([`Decision::perform_at`](crate::reactor::Decision::perform_at)) and, when
//! that time comes, sent only if the ticket is still due then and at that
//! same time ([`still_due`]): a ticket answered, resolved or paused
//! meanwhile drops it.

use chrono::{DateTime, Duration, Utc};
use ispmon_events::sla::{stamp, Sla};
use ispmon_events::ticket::{Ticket, TicketEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How long before a due time its warning goes.
pub const WARN_BEFORE: Duration = Duration::minutes(30);

/// Which due time an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    FirstResponse,
    Resolution,
}

impl Due {
    pub fn as_str(self) -> &'static str {
        match self {
            Due::FirstResponse => "first_response",
            Due::Resolution => "resolution",
        }
    }
    fn words(self) -> &'static str {
        match self {
            Due::FirstResponse => "first response",
            Due::Resolution => "resolution",
        }
    }
}

/// What happened to the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Alert {
    Assigned {
        assignee: Option<String>,
    },
    /// The due time is [`WARN_BEFORE`] away.
    DueSoon {
        due: Due,
        at: String,
    },
    /// The due time has come and the ticket is still waiting for it.
    Breached {
        due: Due,
        at: String,
    },
}

/// A ticket alert, as queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketAlert {
    pub seq: u64,
    pub ticket_id: String,
    pub alert: Alert,
    pub priority: String,
    pub address: String,
    /// The first line of the problem, cut to 120 characters.
    pub problem: String,
    /// When the event was recorded (RFC 3339).
    pub recorded_at: String,
}

impl TicketAlert {
    /// `TicketAssigned`, `TicketDueSoon` or `TicketBreached`.
    pub fn event_type(&self) -> &'static str {
        match self.alert {
            Alert::Assigned { .. } => "TicketAssigned",
            Alert::DueSoon { .. } => "TicketDueSoon",
            Alert::Breached { .. } => "TicketBreached",
        }
    }

    /// When it is told about: the event's time, or the due time's.
    pub fn at(&self) -> &str {
        match &self.alert {
            Alert::Assigned { .. } => &self.recorded_at,
            Alert::DueSoon { at, .. } | Alert::Breached { at, .. } => at,
        }
    }
}

/// The due times still awaited under `sla`: the settings in force, as the
/// read model keeps them, so the list and the alerts agree.
fn due_times(t: &Ticket, sla: &Sla) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let a = sla.awaited(t);
    (a.first_response, a.resolution)
}

fn short(problem: &str) -> String {
    let line = problem.lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        s.push('…');
    }
    s
}

/// One alert to queue: the alert, and when it falls due (`None`: now).
pub type Planned = (TicketAlert, Option<DateTime<Utc>>);

/// The alert builder for ticket `ticket_id` with details `d`, told about
/// from the event `seq` recorded at `recorded_at`.
fn alert_of<'a>(
    seq: u64,
    ticket_id: &'a str,
    recorded_at: &'a str,
    d: &'a ispmon_events::ticket::TicketDetails,
) -> impl Fn(Alert) -> TicketAlert + 'a {
    move |alert| TicketAlert {
        seq,
        ticket_id: ticket_id.to_string(),
        alert,
        priority: d.priority.as_str().to_string(),
        address: d.address.clone(),
        problem: short(&d.problem),
        recorded_at: recorded_at.to_string(),
    }
}

/// The warning and breach alerts of the due times that moved from `was` to
/// `now` (first response, resolution); warnings already past at `event_at`
/// are not queued (the breach is).
fn moved_due(
    alert: impl Fn(Alert) -> TicketAlert,
    was: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    now: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    event_at: Option<DateTime<Utc>>,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for (due, was, now) in [
        (Due::FirstResponse, was.0, now.0),
        (Due::Resolution, was.1, now.1),
    ] {
        let Some(at) = now.filter(|n| Some(*n) != was) else {
            continue;
        };
        let warn = at - WARN_BEFORE;
        if event_at.is_none_or(|e| warn > e) {
            out.push((alert(Alert::DueSoon { due, at: stamp(at) }), Some(warn)));
        }
        out.push((alert(Alert::Breached { due, at: stamp(at) }), Some(at)));
    }
    out
}

/// What one ticket event calls for, given the ticket just before and just
/// after it. `recorded` is the event's time in the log; warnings already
/// past at the event's own time are not queued (the breach is). Due times
/// are judged under `sla`, the settings in force.
pub fn plan(
    seq: u64,
    ticket_id: &str,
    recorded_at: &str,
    event: &TicketEvent,
    (before, after): (&Ticket, &Ticket),
    sla: &Sla,
) -> Vec<Planned> {
    let Some(d) = &after.details else {
        return Vec::new();
    };
    let alert = alert_of(seq, ticket_id, recorded_at, d);
    let mut out = Vec::new();
    if let TicketEvent::TicketAssigned { assignee, .. } = event {
        out.push((
            alert(Alert::Assigned {
                assignee: assignee.clone(),
            }),
            None,
        ));
    }
    out.extend(moved_due(
        alert,
        due_times(before, sla),
        due_times(after, sla),
        event_time(event),
    ));
    out
}

/// What a change of the SLA settings (event `seq`, at `at`) calls for on
/// open ticket `t`: the alerts of the due times it moved, as the ticket's
/// own event would have queued them.
pub fn plan_retimed(
    seq: u64,
    ticket_id: &str,
    recorded_at: &str,
    t: &Ticket,
    (old, new): (&Sla, &Sla),
    at: DateTime<Utc>,
) -> Vec<Planned> {
    let Some(d) = &t.details else {
        return Vec::new();
    };
    moved_due(
        alert_of(seq, ticket_id, recorded_at, d),
        due_times(t, old),
        due_times(t, new),
        Some(at),
    )
}

fn event_time(e: &TicketEvent) -> Option<DateTime<Utc>> {
    use TicketEvent as E;
    match e {
        E::TicketOpened { at, .. }
        | E::TicketEdited { at, .. }
        | E::TicketAssigned { at, .. }
        | E::TicketStatusChanged { at, .. }
        | E::TicketCommented { at, .. }
        | E::TicketAttachmentAdded { at, .. }
        | E::TicketFirstResponded { at } => Some(*at),
    }
}

/// Whether a due alert still stands for the ticket as it is now: not
/// done, still awaiting what is due, and due at the same time. An
/// assignment always stands. `sla`: the settings in force now (a change
/// that moved the due time drops the alert).
pub fn still_due(alert: &TicketAlert, now: &Ticket, sla: &Sla) -> bool {
    let (due, at) = match &alert.alert {
        Alert::Assigned { .. } => return true,
        Alert::DueSoon { due, at } | Alert::Breached { due, at } => (*due, at),
    };
    let (first, resolution) = due_times(now, sla);
    let current = match due {
        Due::FirstResponse => first,
        Due::Resolution => resolution,
    };
    current.map(stamp).as_deref() == Some(at.as_str())
}

/// The key of an alert among the effects of its event (with the channel).
pub fn key(channel: &str, a: &TicketAlert) -> String {
    match &a.alert {
        Alert::Assigned { .. } => format!("{channel}:assigned"),
        Alert::DueSoon { due, .. } => format!("{channel}:soon:{}", due.as_str()),
        Alert::Breached { due, .. } => format!("{channel}:breached:{}", due.as_str()),
    }
}

/// The key of an alert among the effects of an SLA settings change (which
/// queues them for many tickets): the ticket's id before [`key`].
pub fn retimed_key(channel: &str, a: &TicketAlert) -> String {
    format!("{}:{}", a.ticket_id, key(channel, a))
}

/// The webhook's JSON body.
pub fn webhook_body(a: &TicketAlert) -> Value {
    let (due, at) = match &a.alert {
        Alert::Assigned { .. } => (None, None),
        Alert::DueSoon { due, at } | Alert::Breached { due, at } => {
            (Some(due.as_str()), Some(at.as_str()))
        }
    };
    let assignee = match &a.alert {
        Alert::Assigned { assignee } => assignee.as_deref(),
        _ => None,
    };
    json!({
        "event": a.event_type(),
        "seq": a.seq,
        "ticket": {
            "id": a.ticket_id,
            "priority": a.priority,
            "address": a.address,
            "problem": a.problem,
        },
        "assignee": assignee,
        "due": due,
        "due_at": at,
        "at": a.at(),
    })
}

/// `2026-03-01T10:00:00Z` → `2026-03-01 10:00`.
fn when(ts: &str) -> String {
    let s = ts.replace('T', " ");
    s.get(..16).unwrap_or(&s).to_string()
}

/// The Telegram message text (plain text, no markup).
pub fn telegram_text(a: &TicketAlert) -> String {
    let what = format!("ticket {} ({}, {})", a.ticket_id, a.priority, a.address);
    match &a.alert {
        Alert::Assigned {
            assignee: Some(who),
        } => format!("📋 {what} assigned to {who} — {}", a.problem),
        Alert::Assigned { assignee: None } => format!("📋 {what} unassigned — {}", a.problem),
        Alert::DueSoon { due, at } => format!(
            "⏰ {what}: {} due at {} UTC — {}",
            due.words(),
            when(at),
            a.problem
        ),
        Alert::Breached { due, at } => format!(
            "🚨 {what}: {} SLA breached at {} UTC — {}",
            due.words(),
            when(at),
            a.problem
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ispmon_events::ticket::{
        Priority, TicketCommand, TicketDetails, TicketSource, TicketStatus,
    };

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // Tuesday 2026-03-03; the default calendar's day is 09–18 at +180.
        Utc.with_ymd_and_hms(2026, 3, 3, h, m, 0).unwrap()
    }

    fn details(priority: Priority) -> TicketDetails {
        TicketDetails {
            address: "Московская 5а, кв 12".into(),
            problem: "no link\nsince morning".into(),
            category: "internet".into(),
            priority,
            ..Default::default()
        }
    }

    fn step(t: &Ticket, c: TicketCommand) -> (Ticket, Vec<TicketEvent>) {
        let events = t.decide(c).expect("the command is accepted");
        let mut after = t.clone();
        for e in events.clone() {
            cqrs_es::Aggregate::apply(&mut after, e);
        }
        (after, events)
    }

    fn planned(before: &Ticket, after: &Ticket, e: &TicketEvent) -> Vec<Planned> {
        plan(
            9,
            "T-1",
            "2026-03-03T07:00:00Z",
            e,
            (before, after),
            &Sla::default(),
        )
    }

    fn opened(p: Priority) -> (Ticket, Vec<Planned>) {
        let (t, events) = step(
            &Ticket::default(),
            TicketCommand::Open {
                details: details(p),
                source: TicketSource::Staff,
                at: at(7, 0),
            },
        );
        let plans = planned(&Ticket::default(), &t, &events[0]);
        (t, plans)
    }

    #[test]
    fn opening_plans_a_warning_and_a_breach_for_each_due_time() {
        let (_, plans) = opened(Priority::Normal);
        let kinds: Vec<_> = plans.iter().map(|(a, at)| (key("w", a), *at)).collect();
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        for (a, when) in &plans {
            let when = when.expect("due alerts are queued for later");
            match &a.alert {
                Alert::DueSoon { at, .. } => assert_eq!(stamp(when + WARN_BEFORE), *at),
                Alert::Breached { at, .. } => assert_eq!(stamp(when), *at),
                other => panic!("unexpected {other:?}"),
            }
            assert!(when > at(7, 0));
        }
        assert_eq!(plans[0].0.problem, "no link");
    }

    #[test]
    fn a_comment_plans_nothing_and_an_assignment_is_told_at_once() {
        let (t, _) = opened(Priority::Normal);
        let (t2, ev) = step(
            &t,
            TicketCommand::Assign {
                assignee: Some("petrov".into()),
                at: at(7, 5),
            },
        );
        let plans = planned(&t, &t2, &ev[0]);
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].1, None);
        assert!(telegram_text(&plans[0].0).contains("assigned to petrov"));
        let (t3, ev) = step(
            &t2,
            TicketCommand::Comment {
                body: "imported".into(),
                author: "subscriber".into(),
                imported: true,
                billing_comment_id: Some("1".into()),
                at: at(7, 6),
            },
        );
        assert!(planned(&t2, &t3, &ev[0]).is_empty());
    }

    #[test]
    fn a_resolved_or_answered_ticket_drops_its_alerts() {
        let (t, plans) = opened(Priority::High);
        assert!(plans.iter().all(|(a, _)| still_due(a, &t, &Sla::default())));
        let (answered, _) = step(
            &t,
            TicketCommand::ChangeStatus {
                to: TicketStatus::InProgress,
                note: None,
                at: at(7, 10),
            },
        );
        for (a, _) in &plans {
            let first = matches!(
                a.alert,
                Alert::DueSoon {
                    due: Due::FirstResponse,
                    ..
                } | Alert::Breached {
                    due: Due::FirstResponse,
                    ..
                }
            );
            assert_eq!(still_due(a, &answered, &Sla::default()), !first, "{a:?}");
        }
        let (resolved, _) = step(
            &answered,
            TicketCommand::ChangeStatus {
                to: TicketStatus::Resolved,
                note: None,
                at: at(7, 20),
            },
        );
        assert!(plans
            .iter()
            .all(|(a, _)| !still_due(a, &resolved, &Sla::default())));
    }

    #[test]
    fn a_pause_moves_the_resolution_due_and_the_old_alert_no_longer_stands() {
        let (t, plans) = opened(Priority::Normal);
        let (waiting, _) = step(
            &t,
            TicketCommand::ChangeStatus {
                to: TicketStatus::WaitingSubscriber,
                note: None,
                at: at(7, 10),
            },
        );
        let (back, ev) = step(
            &waiting,
            TicketCommand::ChangeStatus {
                to: TicketStatus::InProgress,
                note: None,
                at: at(9, 10),
            },
        );
        let replanned = planned(&waiting, &back, &ev[0]);
        let resolution = |ps: &[Planned]| {
            ps.iter()
                .find_map(|(a, _)| match &a.alert {
                    Alert::Breached {
                        due: Due::Resolution,
                        at,
                    } => Some(at.clone()),
                    _ => None,
                })
                .expect("a resolution breach is planned")
        };
        assert!(
            resolution(&replanned) > resolution(&plans),
            "two hours later"
        );
        let old = plans
            .iter()
            .find(|(a, _)| {
                matches!(
                    a.alert,
                    Alert::Breached {
                        due: Due::Resolution,
                        ..
                    }
                )
            })
            .unwrap();
        assert!(!still_due(&old.0, &back, &Sla::default()));
        assert!(replanned
            .iter()
            .all(|(a, _)| still_due(a, &back, &Sla::default())));
    }

    #[test]
    fn the_webhook_body_names_the_ticket_and_the_due_time() {
        let (_, plans) = opened(Priority::Urgent);
        let breach = plans
            .iter()
            .find(|(a, _)| matches!(a.alert, Alert::Breached { .. }))
            .unwrap();
        let body = webhook_body(&breach.0);
        assert_eq!(body["event"], "TicketBreached");
        assert_eq!(body["ticket"]["id"], "T-1");
        assert_eq!(body["ticket"]["priority"], "urgent");
        assert!(body["due_at"].is_string());
        assert!(telegram_text(&breach.0).contains("SLA breached"));
    }
}
