//! The notifier's decisions: pure functions of the log (no world, no I/O).

use cqrs_es::DomainEvent;
use ispmon_events::host::{HostEvent, HostState, RoundSample, Subject};
use ispmon_events::notify_settings::{NotifySettingsEvent, NotifySettingsValues};
use ispmon_events::secrets::SecretRef;

use super::*;

/// A world with no channels, the default SLA and no open tickets.
fn nowhere() -> Now {
    Now {
        sla: Sla::default(),
        open: Vec::new(),
    }
}

fn stored<E: DomainEvent>(seq: u64, aggregate_type: &str, event: &E) -> StoredEvent {
    StoredEvent {
        seq,
        aggregate_type: aggregate_type.into(),
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

fn settings(webhook: bool, telegram: bool) -> NotifySettingsEvent {
    let r = |s: &str| Some(SecretRef(s.into()));
    NotifySettingsEvent::NotifySettingsChanged(NotifySettingsValues {
        webhook_url_ref: if webhook { r("w") } else { None },
        webhook_target: webhook.then(|| "http://127.0.0.1:9".to_string()),
        telegram_chat_id: telegram.then(|| "-100".to_string()),
        telegram_token_ref: if telegram { r("t") } else { None },
        ..Default::default()
    })
}

fn down(host: Option<Subject>) -> HostEvent {
    HostEvent::HostWentDown {
        sample: RoundSample {
            sent: 3,
            loss_pct: 100.0,
            ..Default::default()
        },
        failed_rounds: 2,
        host,
    }
}

fn core(from: HostState) -> Subject {
    Subject {
        name: "core-1".into(),
        ip: "127.0.0.1".into(),
        from,
        maintenance: Vec::new(),
    }
}

fn keys(d: &[Decision<Notification>]) -> Vec<&str> {
    d.iter().map(|d| d.key.as_str()).collect()
}

#[test]
fn the_channels_told_are_those_on_at_the_events_place_in_the_log() {
    let r = NotifyReactor::new(nowhere(), None);
    let (mut state, ctx) = (NotifyState::default(), Folded::default());
    let ev = down(Some(core(HostState::Up)));
    let none = r.decide(&mut state, &ctx, &stored(1, "Host", &ev)).unwrap();
    assert!(none.is_empty(), "nothing is configured yet");

    let on = stored(2, "NotifySettings", &settings(true, true));
    assert!(r.decide(&mut state, &ctx, &on).unwrap().is_empty());
    let both = r.decide(&mut state, &ctx, &stored(3, "Host", &ev)).unwrap();
    assert_eq!(keys(&both), vec!["webhook", "telegram"]);
    let About::Transition(t) = &both[0].effect.about else {
        panic!("a host transition");
    };
    assert_eq!(
        (t.name.as_str(), t.ip.as_str(), t.seq),
        ("core-1", "127.0.0.1", 3)
    );

    let only_hook = stored(4, "NotifySettings", &settings(true, false));
    r.decide(&mut state, &ctx, &only_hook).unwrap();
    let one = r.decide(&mut state, &ctx, &stored(5, "Host", &ev)).unwrap();
    assert_eq!(keys(&one), vec!["webhook"]);
    assert_eq!(
        state,
        NotifyState {
            webhook: true,
            telegram: false
        }
    );
}

#[test]
fn a_version_1_event_is_judged_by_the_host_folded_for_it() {
    let r = NotifyReactor::new(nowhere(), None);
    let mut state = NotifyState {
        webhook: true,
        telegram: false,
    };
    let mut v1 = stored(7, "Host", &down(None));
    v1.event_version = "1".into();
    v1.payload = v1.payload.replace(",\"host\":null", "");
    assert!(!v1.payload.contains("host"), "{}", v1.payload);

    let err = r.decide(&mut state, &Folded::default(), &v1).unwrap_err();
    assert!(err.contains("not folded"), "{err}");
    let mut folded = HashMap::new();
    folded.insert(7, core(HostState::Up));
    let d = r
        .decide(
            &mut state,
            &Folded {
                hosts: folded,
                ..Folded::default()
            },
            &v1,
        )
        .unwrap();
    assert_eq!(keys(&d), vec!["webhook"]);
    assert_eq!(d[0].effect.subject().0, "core-1");
}

#[test]
fn a_skipped_transition_is_kept_once_whatever_the_channels() {
    let r = NotifyReactor::new(nowhere(), None);
    let mut state = NotifyState {
        webhook: true,
        telegram: true,
    };
    let mut host = core(HostState::Up);
    host.maintenance.push(ispmon_events::host::Window {
        start: "2026-03-01T09:00:00.000000Z".into(),
        end: "2026-03-01T11:00:00.000000Z".into(),
        reason: "fiber works".into(),
    });
    let d = r
        .decide(
            &mut state,
            &Folded::default(),
            &stored(8, "Host", &down(Some(host))),
        )
        .unwrap();
    assert_eq!(keys(&d), vec![SKIPPED]);
    assert_eq!(d[0].skip.as_deref(), Some("maintenance: fiber works"));
    assert_eq!(d[0].effect.channel, None);
}

#[tokio::test]
async fn a_destination_gone_at_send_time_drops_the_delivery() {
    let r = NotifyReactor::new(nowhere(), None);
    let ev = down(Some(core(HostState::Up)));
    let mut state = NotifyState {
        webhook: true,
        telegram: true,
    };
    let d = r
        .decide(&mut state, &Folded::default(), &stored(9, "Host", &ev))
        .unwrap();
    for n in d {
        let f = r.perform(&n.effect, 1).await.unwrap_err();
        assert_eq!(f.kind, crate::reactor::FailureKind::Drop, "{f:?}");
    }
}

#[tokio::test]
async fn a_first_start_goes_on_from_the_old_notifiers_checkpoint_with_the_settings_there() {
    use cqrs_es::persist::SerializedEvent;
    use ispmon_events::{Durability, EventStore};
    let dir = tempfile::tempdir().unwrap();
    let store = EventStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
    for (n, ev) in [settings(true, false), settings(true, true)]
        .into_iter()
        .enumerate()
    {
        let e = SerializedEvent {
            aggregate_id: SETTINGS_ID.into(),
            sequence: n + 1,
            aggregate_type: "NotifySettings".into(),
            event_type: ev.event_type(),
            event_version: ev.event_version(),
            payload: serde_json::to_value(&ev).unwrap(),
            metadata: serde_json::json!({}),
        };
        store.append(vec![e], None).await.unwrap();
    }
    let head = store.head();
    assert_eq!(head, 2);

    let fresh = NotifyReactor::new(nowhere(), Some(dir.path().join("notify.db")));
    let (at, state) = fresh.start(&store, head).await.unwrap();
    assert_eq!((at, state.telegram), (2, true), "no old file: from the end");

    let old = dir.path().join("notify.db");
    let c = rusqlite::Connection::open(&old).unwrap();
    c.execute_batch(
        "CREATE TABLE notify_checkpoint (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
           updated_at TEXT NOT NULL);
         INSERT INTO notify_checkpoint VALUES (1, 1, '2026-01-01T00:00:00Z');",
    )
    .unwrap();
    drop(c);
    let upgraded = NotifyReactor::new(nowhere(), Some(old));
    let (at, state) = upgraded.start(&store, head).await.unwrap();
    assert_eq!(
        at, 1,
        "what the old notifier had not read yet is still told"
    );
    assert_eq!(
        state,
        NotifyState {
            webhook: true,
            telegram: false
        },
        "the settings as of its checkpoint"
    );
}

#[test]
fn a_host_transition_queued_before_tickets_were_told_reads_back_as_written() {
    let t = Transition {
        seq: 3,
        event_type: "HostWentDown".into(),
        state: HostState::Down,
        host_id: "h1".into(),
        name: "core-1".into(),
        ip: "127.0.0.1".into(),
        at: "2026-03-01T10:00:00.000000Z".into(),
        sample: RoundSample::default(),
    };
    // The row as the notifier wrote it before it told tickets.
    let old = serde_json::json!({ "channel": "webhook", "transition": t }).to_string();
    let n: Notification = serde_json::from_str(&old).expect("the old row reads");
    assert_eq!(n.event_type(), "HostWentDown");
    assert_eq!(n.subject(), ("core-1", "127.0.0.1"));
    let again = serde_json::to_value(&n).unwrap();
    assert!(again.get("transition").is_some(), "{again}");
}

#[test]
fn a_ticket_event_queues_its_alerts_on_every_channel_on() {
    use chrono::{TimeZone, Utc};
    use ispmon_events::ticket::{Priority, TicketCommand, TicketDetails, TicketSource};
    let r = NotifyReactor::new(nowhere(), None);
    let mut state = NotifyState::default();
    r.decide(
        &mut state,
        &Folded::default(),
        &stored(1, "NotifySettings", &settings(true, true)),
    )
    .unwrap();
    let before = Ticket::default();
    let events = before
        .decide(TicketCommand::Open {
            details: TicketDetails {
                address: "Lenina 1".into(),
                problem: "no link".into(),
                category: "internet".into(),
                priority: Priority::Normal,
                ..Default::default()
            },
            source: TicketSource::Staff,
            at: Utc.with_ymd_and_hms(2026, 3, 3, 7, 0, 0).unwrap(),
        })
        .unwrap();
    let mut after = before.clone();
    after.apply(events[0].clone());
    let mut ctx = Folded::default();
    ctx.tickets.insert(2, (before, after));
    let e = stored(2, "Ticket", &events[0]);
    let d = r.decide(&mut state, &ctx, &e).unwrap();
    assert_eq!(d.len(), 8, "2 channels × (warning + breach) × 2 due times");
    assert!(d.iter().all(|d| d.not_before.is_some()));
    assert!(keys(&d).contains(&"telegram:breached:resolution"));

    let unfolded = r.decide(&mut state, &Folded::default(), &e);
    assert!(
        unfolded.is_err(),
        "a ticket event without its fold stops the reactor"
    );
}

#[test]
fn an_sla_change_queues_the_alerts_of_the_due_times_it_moved_for_each_open_ticket() {
    use chrono::{TimeZone, Utc};
    use ispmon_events::sla_settings::SlaChange;
    use ispmon_events::ticket::{Priority, TicketCommand, TicketDetails, TicketSource};
    let r = NotifyReactor::new(nowhere(), None);
    let mut state = NotifyState::default();
    r.decide(
        &mut state,
        &Folded::default(),
        &stored(1, "NotifySettings", &settings(true, false)),
    )
    .unwrap();
    let opened = |priority| {
        let t = Ticket::default();
        let e = t
            .decide(TicketCommand::Open {
                details: TicketDetails {
                    address: "Lenina 1".into(),
                    problem: "no link".into(),
                    category: "internet".into(),
                    priority,
                    ..Default::default()
                },
                source: TicketSource::Staff,
                at: Utc.with_ymd_and_hms(2026, 3, 3, 7, 0, 0).unwrap(),
            })
            .unwrap();
        let mut t = t;
        t.apply(e[0].clone());
        t
    };
    // Only the normal priority's resolution time changes.
    let old = Sla::default();
    let mut new = old.clone();
    new.policies.get_mut(&Priority::Normal).unwrap().resolution += chrono::Duration::hours(8);
    let change = SlaSettingsEvent::SlaSettingsChanged(SlaChange::between(&old, &new));
    let mut ctx = Folded::default();
    ctx.retimed.insert(2, (old, new));
    ctx.open = vec![
        ("t-normal".into(), opened(Priority::Normal)),
        ("t-urgent".into(), opened(Priority::Urgent)),
    ];
    let e = stored(2, SlaSettings::TYPE, &change);
    let d = r.decide(&mut state, &ctx, &e).unwrap();
    let mut k = keys(&d);
    k.sort();
    // The change is recorded on 2026-03-01, before the new due time's
    // warning: warning and breach, for the moved ticket only.
    assert_eq!(
        k,
        vec![
            "t-normal:webhook:breached:resolution",
            "t-normal:webhook:soon:resolution"
        ]
    );
    assert!(d.iter().all(|d| d.not_before.is_some()));

    let unfolded = r.decide(&mut state, &Folded::default(), &e);
    assert!(
        unfolded.is_err(),
        "a change without its fold stops the reactor"
    );
}

/// A world with the SLA settings in force now and its open tickets.
struct Now {
    sla: Sla,
    open: Vec<(String, Ticket)>,
}

impl NotifyWorld for Now {
    async fn webhook_url(&self) -> Result<String, Failure> {
        Err(Failure::drop("no webhook in this test"))
    }
    async fn telegram(&self) -> Result<TelegramTarget, Failure> {
        Err(Failure::drop("no Telegram in this test"))
    }
    async fn ticket(&self, _id: &str) -> Result<Option<Ticket>, Failure> {
        Ok(None)
    }
    async fn sla(&self) -> Result<Sla, Failure> {
        Ok(self.sla.clone())
    }
    async fn open_tickets(&self) -> Result<Vec<(String, Ticket)>, Failure> {
        Ok(self.open.clone())
    }
}

/// A batch decided after the SLA settings changed: a ticket opened before
/// the change, the change, a ticket opened after it. The first ticket's
/// alerts are planned at the due times it had then and the change re-times
/// them; the second is planned at the new times, once.
#[tokio::test]
async fn a_ticket_event_before_an_sla_change_in_one_batch_is_planned_at_the_settings_it_had() {
    use chrono::{TimeZone, Utc};
    use cqrs_es::persist::SerializedEvent;
    use ispmon_events::sla_settings::SlaChange;
    use ispmon_events::ticket::{Priority, TicketCommand, TicketDetails, TicketSource};
    use ispmon_events::{Durability, EventStore};

    let dir = tempfile::tempdir().unwrap();
    let store = EventStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
    let append =
        |aggregate_type: &str, id: &str, payload: serde_json::Value, et: String| SerializedEvent {
            aggregate_id: id.into(),
            sequence: 1,
            aggregate_type: aggregate_type.into(),
            event_type: et,
            event_version: "1".into(),
            payload,
            metadata: serde_json::json!({}),
        };
    let open = |hour| {
        Ticket::default()
            .decide(TicketCommand::Open {
                details: TicketDetails {
                    address: "Lenina 1".into(),
                    problem: "no link".into(),
                    category: "internet".into(),
                    priority: Priority::Normal,
                    ..Default::default()
                },
                source: TicketSource::Staff,
                at: Utc.with_ymd_and_hms(2026, 3, 3, hour, 0, 0).unwrap(),
            })
            .unwrap()
            .remove(0)
    };
    let old = Sla::default();
    let mut new = old.clone();
    new.policies.get_mut(&Priority::Normal).unwrap().resolution += chrono::Duration::hours(8);
    let change = SlaSettingsEvent::SlaSettingsChanged(SlaChange::between(&old, &new));
    let (first, second) = (open(7), open(9));
    for (t, id, payload, et) in [
        (
            "Ticket",
            "t1",
            serde_json::to_value(&first).unwrap(),
            first.event_type(),
        ),
        (
            SlaSettings::TYPE,
            SLA_SETTINGS_ID,
            serde_json::to_value(&change).unwrap(),
            change.event_type(),
        ),
        (
            "Ticket",
            "t2",
            serde_json::to_value(&second).unwrap(),
            second.event_type(),
        ),
    ] {
        let mut e = append(t, id, payload, et);
        e.event_version = match t {
            "Ticket" => first.event_version(),
            _ => change.event_version(),
        };
        store.append(vec![e], None).await.unwrap();
    }
    let batch = store.since(0, 10).await.unwrap();
    assert_eq!(batch.len(), 3);
    let mut t1 = Ticket::default();
    t1.apply(first.clone());
    let r = NotifyReactor::new(
        Now {
            sla: new.clone(),
            open: vec![("t1".into(), t1)],
        },
        None,
    );
    let ctx = r.context(&store, &batch).await.unwrap();
    assert_eq!(ctx.sla, new, "the settings in force now");
    assert_eq!(
        ctx.sla_then.get(&batch[0].seq),
        Some(&old),
        "the ticket event before the change: the settings it had"
    );
    assert!(
        !ctx.sla_then.contains_key(&batch[2].seq),
        "no change follows the second ticket event"
    );
    assert_eq!(
        ctx.retimed.get(&batch[1].seq),
        Some(&(old.clone(), new.clone()))
    );

    let mut state = NotifyState::default();
    r.decide(
        &mut state,
        &Folded::default(),
        &stored(0, "NotifySettings", &settings(true, false)),
    )
    .unwrap();
    let times = |d: Vec<Decision<Notification>>| -> Vec<(String, Option<chrono::DateTime<Utc>>)> {
        let mut v: Vec<_> = d.into_iter().map(|d| (d.key, d.not_before)).collect();
        v.sort();
        v
    };
    let at = |ctx: &Folded, i: usize| times(r.decide(&mut state.clone(), ctx, &batch[i]).unwrap());
    let with = |sla: &Sla| Folded {
        tickets: ctx.tickets.clone(),
        sla: sla.clone(),
        ..Folded::default()
    };
    let planned_first = at(&ctx, 0);
    assert!(!planned_first.is_empty());
    assert_eq!(
        planned_first,
        at(&with(&old), 0),
        "the first at the old due times"
    );
    assert_ne!(planned_first, at(&with(&new), 0), "the change moved them");
    assert_eq!(
        at(&ctx, 2),
        at(&with(&new), 2),
        "the second at the new due times"
    );
    let retimed = at(&ctx, 1);
    assert!(
        retimed.iter().all(|(k, _)| k.starts_with("t1:")),
        "the change re-times the open first ticket: {retimed:?}"
    );
    assert!(!retimed.is_empty());
}
