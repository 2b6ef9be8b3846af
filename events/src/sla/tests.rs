use super::*;
use chrono::TimeZone;

/// A Moscow wall-clock time in the week of Monday 7 December 2026.
fn msk(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, h, m, 0).unwrap() - Duration::hours(3)
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn cal() -> Calendar {
    Calendar::default()
}

fn with_holiday(day: u32) -> Calendar {
    let mut c = cal();
    c.holidays
        .insert(NaiveDate::from_ymd_opt(2026, 12, day).unwrap());
    c
}

#[test]
fn time_within_a_working_day_is_plain_addition() {
    assert_eq!(add_business(&cal(), msk(7, 10, 0), hours(2)), msk(7, 12, 0));
    assert_eq!(
        add_business(&cal(), msk(7, 16, 0), hours(2)),
        msk(7, 18, 0),
        "ending at the closing is due at the closing"
    );
    assert_eq!(
        business_between(&cal(), msk(7, 10, 0), msk(7, 12, 30)),
        Duration::minutes(150)
    );
}

#[test]
fn the_night_does_not_count() {
    assert_eq!(add_business(&cal(), msk(7, 17, 0), hours(2)), msk(8, 10, 0));
    assert_eq!(
        business_between(&cal(), msk(7, 17, 0), msk(8, 10, 0)),
        hours(2)
    );
    assert_eq!(
        add_business(&cal(), msk(7, 9, 0), hours(24)),
        msk(9, 15, 0),
        "24 business hours are two whole days and six hours"
    );
}

#[test]
fn the_weekend_and_a_holiday_do_not_count() {
    assert_eq!(
        add_business(&cal(), msk(11, 17, 0), hours(2)),
        msk(14, 10, 0),
        "Friday 17:00 plus two hours is Monday 10:00"
    );
    assert_eq!(
        business_between(&cal(), msk(11, 17, 0), msk(14, 10, 0)),
        hours(2)
    );
    let holiday = with_holiday(8);
    assert_eq!(
        add_business(&holiday, msk(7, 17, 0), hours(2)),
        msk(9, 10, 0),
        "Tuesday is a holiday"
    );
    assert_eq!(
        business_between(&holiday, msk(8, 0, 0), msk(9, 0, 0)),
        hours(0)
    );
}

#[test]
fn a_start_outside_hours_counts_from_the_next_opening() {
    let c = cal();
    assert_eq!(
        add_business(&c, msk(12, 12, 0), hours(1)),
        msk(14, 10, 0),
        "Saturday"
    );
    assert_eq!(add_business(&c, msk(12, 12, 0), hours(0)), msk(14, 9, 0));
    assert_eq!(
        add_business(&c, msk(7, 7, 0), hours(1)),
        msk(7, 10, 0),
        "before opening"
    );
    assert_eq!(
        add_business(&c, msk(7, 19, 0), hours(1)),
        msk(8, 10, 0),
        "after closing"
    );
    assert_eq!(add_business(&c, msk(7, 19, 0), hours(0)), msk(8, 9, 0));
    assert_eq!(
        add_business(&c, msk(7, 18, 0), hours(0)),
        msk(8, 9, 0),
        "the closing instant is outside hours"
    );
    assert_eq!(
        add_business(&c, msk(7, 10, 0), hours(0)),
        msk(7, 10, 0),
        "within hours, zero is now"
    );
    assert_eq!(
        add_business(&c, msk(7, 10, 0), hours(-3)),
        msk(7, 10, 0),
        "a negative duration is zero"
    );
}

#[test]
fn the_offset_places_working_hours_in_utc() {
    let mut utc = cal();
    utc.utc_offset_min = 0;
    // 09:00 Moscow is 06:00 UTC; a UTC calendar opens three hours later.
    assert_eq!(add_business(&cal(), msk(7, 5, 0), hours(0)), msk(7, 9, 0));
    assert_eq!(add_business(&utc, msk(7, 5, 0), hours(0)), msk(7, 12, 0));
    let mut east = cal();
    east.utc_offset_min = 12 * 60;
    // Monday 09:00 at +12 is Sunday 21:00 UTC.
    assert_eq!(
        add_business(
            &east,
            Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap(),
            hours(0)
        ),
        Utc.with_ymd_and_hms(2026, 12, 6, 21, 0, 0).unwrap()
    );
}

#[test]
fn business_between_measures_what_add_business_added() {
    let mut odd = Calendar {
        utc_offset_min: -330,
        days: [
            Some((hm(8, 30), hm(17, 15))),
            Some((hm(8, 30), hm(17, 15))),
            None,
            Some((hm(0, 0), hm(23, 59))),
            Some((hm(10, 0), hm(12, 0))),
            Some((hm(11, 0), hm(14, 0))),
            None,
        ],
        holidays: BTreeSet::new(),
    };
    odd.holidays
        .insert(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
    let durations = [0, 1, 29, 30, 60, 4 * 60, 9 * 60, 24 * 60, 72 * 60].map(Duration::minutes);
    for c in [cal(), with_holiday(9), odd] {
        let mut start = msk(5, 0, 0);
        while start < msk(26, 0, 0) {
            for d in durations {
                let due = add_business(&c, start, d);
                assert!(due >= start);
                assert_eq!(
                    business_between(&c, start, due),
                    d,
                    "from {start} plus {d} is {due}"
                );
                assert_eq!(business_between(&c, due, start), Duration::zero());
            }
            start += Duration::minutes(37);
        }
    }
}

#[test]
fn a_pause_over_a_night_moves_the_due_time_by_what_it_took() {
    let pauses = [(msk(7, 12, 0), Some(msk(8, 11, 0)))];
    // Two hours ran before the pause, two are left from Tuesday 11:00.
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(4), &pauses),
        Some(msk(8, 13, 0))
    );
    assert_eq!(
        elapsed_with_pauses(&cal(), msk(7, 10, 0), msk(8, 12, 0), &pauses),
        hours(3)
    );
    assert_eq!(
        elapsed_with_pauses(&cal(), msk(7, 10, 0), msk(7, 20, 0), &pauses),
        hours(2),
        "now inside the pause"
    );
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(1), &pauses),
        Some(msk(7, 11, 0)),
        "due before the pause began"
    );
}

#[test]
fn an_open_pause_leaves_the_due_time_unknown_until_it_ends() {
    let open = [(msk(7, 12, 0), None)];
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(4), &open),
        None
    );
    assert_eq!(
        elapsed_with_pauses(&cal(), msk(7, 10, 0), msk(9, 15, 0), &open),
        hours(2),
        "the clock stopped at noon"
    );
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(2), &open),
        Some(msk(7, 12, 0)),
        "the time had run out as the pause began"
    );
    let ended = [(msk(7, 12, 0), Some(msk(9, 9, 30)))];
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(4), &ended),
        Some(msk(9, 11, 30)),
        "ended on Wednesday 09:30, two hours left"
    );
}

#[test]
fn overlapping_and_early_pauses_are_counted_once() {
    let pauses = [
        (msk(7, 14, 0), Some(msk(7, 16, 0))),
        (msk(7, 8, 0), Some(msk(7, 11, 0))),
        (msk(7, 15, 0), Some(msk(7, 17, 0))),
    ];
    // Clock runs 11:00–14:00 and 17:00–18:00 on Monday.
    assert_eq!(
        elapsed_with_pauses(&cal(), msk(7, 10, 0), msk(7, 20, 0), &pauses),
        hours(4)
    );
    assert_eq!(
        due_with_pauses(&cal(), msk(7, 10, 0), hours(5), &pauses),
        Some(msk(8, 10, 0))
    );
    assert_eq!(
        elapsed_with_pauses(&cal(), msk(7, 10, 0), msk(7, 9, 0), &pauses),
        Duration::zero()
    );
}

#[test]
fn a_calendar_is_checked_and_kept_as_json() {
    assert_eq!(cal().errors(), vec![]);
    let mut bad = cal();
    bad.utc_offset_min = 15 * 60;
    bad.days[2] = Some((hm(18, 0), hm(9, 0)));
    let fields: Vec<_> = bad.errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["utc_offset_min", "wed"]);
    let mut none = cal();
    none.days = [None; 7];
    let fields: Vec<_> = none.errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["days"]);
    assert_eq!(
        add_business(&none, msk(7, 10, 0), hours(2)),
        msk(7, 12, 0),
        "a calendar without working hours runs all the time"
    );
    let c = with_holiday(31);
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains("\"09:00:00\"") && json.contains("2026-12-31"),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Calendar>(&json).unwrap(), c);
}

#[test]
fn policies_are_minutes_in_json_and_cover_every_priority() {
    let p = default_policies();
    assert_eq!(p.len(), 4);
    let urgent = p[&Priority::Urgent];
    assert_eq!(
        serde_json::to_value(urgent).unwrap(),
        serde_json::json!({"first_response_min": 30, "resolution_min": 240})
    );
    assert_eq!(
        serde_json::from_str::<SlaPolicy>(r#"{"first_response_min":480,"resolution_min":4320}"#)
            .unwrap(),
        p[&Priority::Low]
    );
    assert!(p.values().all(|p| p.errors().is_empty()));
    let bad = SlaPolicy {
        first_response: hours(5),
        resolution: Duration::zero(),
    };
    let fields: Vec<_> = bad.errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, vec!["resolution_min", "first_response_min"]);
}
