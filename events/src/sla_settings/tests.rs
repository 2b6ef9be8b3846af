use super::*;
use chrono::{Duration, NaiveDate, NaiveTime};
use cqrs_es::test::TestFramework;

type Fw = TestFramework<SlaSettings>;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn policy(first: i64, resolution: i64) -> SlaPolicy {
    SlaPolicy {
        first_response: Duration::minutes(first),
        resolution: Duration::minutes(resolution),
    }
}

fn saturdays_too() -> Calendar {
    let mut c = Calendar::default();
    c.days[5] = Some((hm(10, 0), hm(14, 0)));
    c.holidays
        .insert(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    c
}

fn changed(c: SlaChange) -> SlaSettingsEvent {
    SlaSettingsEvent::SlaSettingsChanged(c)
}

fn override_set(category: &str, p: Priority, pol: SlaPolicy) -> SlaChange {
    SlaChange {
        overrides_set: BTreeMap::from([(category.to_string(), BTreeMap::from([(p, pol)]))]),
        ..Default::default()
    }
}

#[test]
fn a_new_calendar_is_recorded_and_the_same_one_again_is_refused() {
    let set = changed(SlaChange {
        calendar: Some(saturdays_too()),
        ..Default::default()
    });
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetCalendar(saturdays_too()))
        .then_expect_events(vec![set.clone()]);
    Fw::with(())
        .given(vec![set])
        .when(SlaSettingsCommand::SetCalendar(saturdays_too()))
        .then_expect_error(SlaSettingsError::Unchanged);
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetCalendar(Calendar::default()))
        .then_expect_error(SlaSettingsError::Unchanged);
}

#[test]
fn a_day_that_closes_before_it_opens_is_refused_by_its_weekday() {
    let mut c = Calendar::default();
    c.days[2] = Some((hm(18, 0), hm(9, 0)));
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetCalendar(c))
        .then_expect_error(SlaSettingsError::Invalid(vec![(
            "wed",
            "the day ends after it starts".into(),
        )]));
}

#[test]
fn a_priority_policy_and_a_category_override_are_recorded_apart() {
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetPolicy {
            priority: Priority::Urgent,
            category: None,
            policy: policy(15, 120),
        })
        .then_expect_events(vec![changed(SlaChange {
            policies: BTreeMap::from([(Priority::Urgent, policy(15, 120))]),
            ..Default::default()
        })]);
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetPolicy {
            priority: Priority::Urgent,
            category: Some(" Node-down ".into()),
            policy: policy(10, 60),
        })
        .then_expect_events(vec![changed(override_set(
            "node-down",
            Priority::Urgent,
            policy(10, 60),
        ))]);
}

#[test]
fn a_negative_or_inverted_policy_is_refused_next_to_its_field() {
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetPolicy {
            priority: Priority::High,
            category: None,
            policy: policy(-5, 60),
        })
        .then_expect_error(SlaSettingsError::Invalid(vec![(
            "high_first_response_min",
            "1 minute to 365 days".into(),
        )]));
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::SetPolicy {
            priority: Priority::Low,
            category: Some("bad/category".into()),
            policy: policy(120, 60),
        })
        .then_expect_error(SlaSettingsError::Invalid(vec![
            (
                "overrides",
                "“bad/category”: a category is 1 to 64 letters, digits, spaces, - and _".into(),
            ),
            (
                "overrides",
                "bad/category low: a first response is due before the resolution".into(),
            ),
        ]));
}

#[test]
fn replacing_records_only_what_differs_in_one_event() {
    let given = vec![
        changed(override_set("wiring", Priority::Normal, policy(60, 600))),
        changed(override_set("node-down", Priority::Urgent, policy(10, 60))),
    ];
    let mut sla = Sla {
        calendar: saturdays_too(),
        ..Default::default()
    };
    sla.policies.insert(Priority::Low, policy(600, 6000));
    sla.overrides
        .entry("Node-Down".into())
        .or_default()
        .insert(Priority::Urgent, policy(10, 60));
    Fw::with(())
        .given(given)
        .when(SlaSettingsCommand::Replace(sla))
        .then_expect_events(vec![changed(SlaChange {
            calendar: Some(saturdays_too()),
            policies: BTreeMap::from([(Priority::Low, policy(600, 6000))]),
            overrides_set: BTreeMap::new(),
            overrides_cleared: BTreeMap::from([("wiring".into(), vec![Priority::Normal])]),
        })]);
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::Replace(Sla::default()))
        .then_expect_error(SlaSettingsError::Unchanged);
}

#[test]
fn replacing_with_bad_values_names_every_field_and_records_nothing() {
    let mut sla = Sla::default();
    sla.calendar.days[0] = Some((hm(12, 0), hm(12, 0)));
    sla.calendar.utc_offset_min = 15 * 60;
    sla.policies.insert(Priority::Normal, policy(0, 60));
    sla.policies.remove(&Priority::Low);
    let err = SlaSettings::default()
        .decide(SlaSettingsCommand::Replace(sla))
        .unwrap_err();
    let fields: Vec<&str> = crate::DomainError::field_errors(&err)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        [
            "utc_offset_min",
            "mon",
            "normal_first_response_min",
            "low_first_response_min"
        ]
    );
}

#[test]
fn clearing_an_override_brings_back_the_priority_policy() {
    let set = changed(override_set("node-down", Priority::Urgent, policy(10, 60)));
    Fw::with(())
        .given(vec![set.clone()])
        .when(SlaSettingsCommand::ClearOverride {
            category: "NODE-DOWN".into(),
            priority: Priority::Urgent,
        })
        .then_expect_events(vec![changed(SlaChange {
            overrides_cleared: BTreeMap::from([("node-down".into(), vec![Priority::Urgent])]),
            ..Default::default()
        })]);
    Fw::with(())
        .given_no_previous_events()
        .when(SlaSettingsCommand::ClearOverride {
            category: "node-down".into(),
            priority: Priority::Urgent,
        })
        .then_expect_error(SlaSettingsError::Unchanged);
    let mut s = SlaSettings::default();
    s.apply(set);
    assert_eq!(
        s.sla.policy(Priority::Urgent, "Node-Down"),
        Some(policy(10, 60))
    );
    assert_eq!(
        s.sla.policy(Priority::Urgent, "wiring"),
        Some(crate::sla::default_policies()[&Priority::Urgent])
    );
    s.apply(changed(SlaChange {
        overrides_cleared: BTreeMap::from([("node-down".into(), vec![Priority::Urgent])]),
        ..Default::default()
    }));
    assert_eq!(s.sla, Sla::default());
}

#[test]
fn a_change_reads_back_from_json_with_only_its_parts() {
    let c = SlaChange {
        calendar: Some(saturdays_too()),
        ..override_set("node-down", Priority::Urgent, policy(10, 60))
    };
    let json = serde_json::to_value(changed(c.clone())).unwrap();
    let body = &json["SlaSettingsChanged"];
    assert!(body.get("policies").is_none(), "{json}");
    assert_eq!(
        body["overrides_set"]["node-down"]["urgent"]["first_response_min"],
        10
    );
    let back: SlaSettingsEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, changed(c));
}
