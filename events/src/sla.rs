//! Business-hours arithmetic for SLAs, pure: a [`Calendar`] of working
//! hours per weekday and holidays at a fixed UTC offset (no time-zone
//! database: Russia keeps no summer time), when a business duration after a
//! start is due ([`add_business`]), how much business time lies between two
//! instants ([`business_between`]), the same with the clock stopped during
//! pauses ([`due_with_pauses`], [`elapsed_with_pauses`]), and the
//! [`SlaPolicy`] of each ticket priority, and the [`Sla`] in force (a
//! calendar, a policy per priority, a category's overrides).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ticket::{Awaited, Priority, Ticket};

/// Weekday names, Monday first, as the fields of [`Calendar::errors`].
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The furthest a calendar's offset goes from UTC, in minutes.
pub const MAX_OFFSET_MIN: i32 = 14 * 60;

/// When the clock of an SLA runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Local time minus UTC (+180 for Moscow).
    pub utc_offset_min: i32,
    /// Working hours of each weekday, Monday first; `None` is a day off.
    pub days: [Option<(NaiveTime, NaiveTime)>; 7],
    /// Local dates that are days off whatever their weekday.
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    /// Monday to Friday 09:00–18:00 Moscow time, no holidays.
    fn default() -> Self {
        let hours = Some((hm(9, 0), hm(18, 0)));
        Calendar {
            utc_offset_min: 180,
            days: [hours, hours, hours, hours, hours, None, None],
            holidays: BTreeSet::new(),
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

impl Calendar {
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.utc_offset_min.abs() > MAX_OFFSET_MIN {
            out.push((
                "utc_offset_min",
                format!("an offset is within ±{MAX_OFFSET_MIN} minutes of UTC"),
            ));
        }
        for (name, day) in WEEKDAYS.iter().zip(&self.days) {
            if let Some((open, close)) = day {
                if open >= close {
                    out.push((*name, "the day ends after it starts".to_string()));
                }
            }
        }
        if self.days.iter().all(Option::is_none) {
            out.push(("days", "at least one working day is needed".to_string()));
        }
        out
    }

    fn offset(&self) -> Duration {
        Duration::minutes(self.utc_offset_min.into())
    }

    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + self.offset()
    }

    fn utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        (local - self.offset()).and_utc()
    }

    /// The working hours of a local date, as local instants.
    fn window(&self, date: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let (open, close) = self.days[date.weekday().num_days_from_monday() as usize]?;
        (open < close).then(|| (date.and_time(open), date.and_time(close)))
    }

    /// No working hours at all (a calendar [`Calendar::errors`] refuses):
    /// the clock then runs all the time rather than never.
    fn never_works(&self) -> bool {
        self.days
            .iter()
            .all(|d| !matches!(d, Some((o, c)) if o < c))
    }
}

/// The instant when `dur` of business time has elapsed after `start`. A
/// start outside working hours counts from the next opening, so a zero
/// duration from outside them is the next opening (and `start` itself
/// within them). A duration that ends exactly at a closing is due at the
/// closing.
pub fn add_business(cal: &Calendar, start: DateTime<Utc>, dur: Duration) -> DateTime<Utc> {
    if cal.never_works() {
        return start + dur.max(Duration::zero());
    }
    let mut left = dur.max(Duration::zero());
    let from = cal.local(start);
    let mut date = from.date();
    loop {
        if let Some((open, close)) = cal.window(date) {
            let begin = from.max(open);
            if begin < close {
                let available = close - begin;
                if left <= available {
                    return cal.utc(begin + left);
                }
                left -= available;
            }
        }
        date = date.succ_opt().expect("a date before the end of time");
    }
}

/// Business time between `a` and `b` (zero when `b` is not after `a`).
pub fn business_between(cal: &Calendar, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    if b <= a {
        return Duration::zero();
    }
    if cal.never_works() {
        return b - a;
    }
    let (from, to) = (cal.local(a), cal.local(b));
    let mut total = Duration::zero();
    let mut date = from.date();
    while date <= to.date() {
        if let Some((open, close)) = cal.window(date) {
            let (begin, end) = (from.max(open), to.min(close));
            if begin < end {
                total += end - begin;
            }
        }
        date = date.succ_opt().expect("a date before the end of time");
    }
    total
}

/// A stretch of time the clock stood still: from, and until (`None`: it
/// still does).
pub type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

fn sorted(pauses: &[Pause]) -> Vec<Pause> {
    let mut out = pauses.to_vec();
    out.sort_by_key(|p| p.0);
    out
}

/// When `dur` of business time has elapsed after `start` with the clock
/// stopped during `pauses` (in any order, overlapping or not). `None` while
/// a pause is still open and the duration had not run out when it began:
/// the due time is not known until the pause ends.
pub fn due_with_pauses(
    cal: &Calendar,
    start: DateTime<Utc>,
    dur: Duration,
    pauses: &[Pause],
) -> Option<DateTime<Utc>> {
    let mut at = start;
    let mut left = dur.max(Duration::zero());
    for (from, until) in sorted(pauses) {
        if until.is_some_and(|u| u <= at) {
            continue;
        }
        if from > at {
            let due = add_business(cal, at, left);
            if due <= from {
                return Some(due);
            }
            left -= business_between(cal, at, from);
        }
        at = at.max(until?);
    }
    Some(add_business(cal, at, left))
}

/// Business time from `start` to `now` with the clock stopped during
/// `pauses` (an open one lasts until `now`).
pub fn elapsed_with_pauses(
    cal: &Calendar,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    pauses: &[Pause],
) -> Duration {
    let mut at = start;
    let mut total = Duration::zero();
    for (from, until) in sorted(pauses) {
        if at >= now {
            break;
        }
        let until = until.unwrap_or(now).min(now);
        if until <= at {
            continue;
        }
        total += business_between(cal, at, from.min(now));
        at = at.max(until);
    }
    total + business_between(cal, at, now)
}

/// How long a ticket of one priority may wait, in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// From opening to the first staff answer or the first status change.
    #[serde(rename = "first_response_min", with = "minutes")]
    pub first_response: Duration,
    /// From opening to resolved.
    #[serde(rename = "resolution_min", with = "minutes")]
    pub resolution: Duration,
}

/// The longest an SLA time may be.
pub const MAX_SLA_DAYS: i64 = 365;

impl SlaPolicy {
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let limit = Duration::days(MAX_SLA_DAYS);
        for (field, d) in [
            ("first_response_min", self.first_response),
            ("resolution_min", self.resolution),
        ] {
            if d <= Duration::zero() || d > limit {
                out.push((field, format!("1 minute to {MAX_SLA_DAYS} days")));
            }
        }
        if self.first_response > self.resolution {
            out.push((
                "first_response_min",
                "a first response is due before the resolution".to_string(),
            ));
        }
        out
    }
}

/// The SLA in force: the calendar, the policy of each priority, and the
/// policies a category has of its own for some priorities (an override of
/// its priority's). The read model and the notifier both judge tickets
/// under the settings in force, so the list and the alerts agree; the
/// defaults ([`Sla::default`]) until an admin changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sla {
    pub calendar: Calendar,
    pub policies: BTreeMap<Priority, SlaPolicy>,
    /// Category (as [`category_key`] keeps it) → priority → policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, BTreeMap<Priority, SlaPolicy>>,
}

impl Default for Sla {
    /// The default calendar and policies, no overrides.
    fn default() -> Self {
        Sla {
            calendar: Calendar::default(),
            policies: default_policies(),
            overrides: BTreeMap::new(),
        }
    }
}

/// A category as overrides are keyed and matched: trimmed, lower case, so
/// `Node-down ` and `node-down` are one category.
pub fn category_key(category: &str) -> String {
    category.trim().to_lowercase()
}

impl Sla {
    /// The policy of a ticket of `priority` in `category`: the category's
    /// own for that priority, else the priority's.
    pub fn policy(&self, priority: Priority, category: &str) -> Option<SlaPolicy> {
        self.overrides
            .get(&category_key(category))
            .and_then(|o| o.get(&priority))
            .or_else(|| self.policies.get(&priority))
            .copied()
    }

    /// The due times `t` still awaits under these settings.
    pub fn awaited(&self, t: &Ticket) -> Awaited {
        let policies = t
            .details
            .as_ref()
            .and_then(|d| Some((d.priority, self.policy(d.priority, &d.category)?)))
            .into_iter()
            .collect();
        t.awaited(&self.calendar, &policies)
    }
}

/// A time as due times are kept and compared (RFC 3339, whole seconds, `Z`).
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Urgent 30 min / 4 h, high 1 h / 8 h, normal 4 h / 24 h, low 8 h / 72 h,
/// all in business time.
pub fn default_policies() -> BTreeMap<Priority, SlaPolicy> {
    let policy = |first: i64, resolution: i64| SlaPolicy {
        first_response: Duration::minutes(first),
        resolution: Duration::hours(resolution),
    };
    BTreeMap::from([
        (Priority::Urgent, policy(30, 4)),
        (Priority::High, policy(60, 8)),
        (Priority::Normal, policy(4 * 60, 24)),
        (Priority::Low, policy(8 * 60, 72)),
    ])
}

/// A duration as whole minutes.
mod minutes {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_minutes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let m = i64::deserialize(d)?;
        Duration::try_minutes(m).ok_or_else(|| serde::de::Error::custom("too many minutes"))
    }
}

#[cfg(test)]
mod tests;
