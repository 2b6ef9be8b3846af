//! The SLA settings at the edge: the texts an admin types (times, business
//! durations like `30m`, `4h`, `1h30m`, holidays one date a line, category
//! overrides one a line) and the JSON of `/api/v1/sla`, each read into an
//! [`Sla`] or refused with the message next to its field; and saving them,
//! which recomputes the open tickets in the read model.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveTime};
use ispmon_events::sla::{Calendar, Sla, SlaPolicy, WEEKDAYS};
use ispmon_events::sla_settings::{policy_field, SlaSettingsCommand};
use ispmon_events::ticket::Priority;
use ispmon_events::Metadata;
use ispmon_projections::sla_settings::SlaRow;
use serde::{Deserialize, Serialize};

use crate::commands::CommandError;
use crate::pages::components::FormErrors;
use crate::state::AppState;

/// `09:00` (seconds allowed and dropped).
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
}

pub fn show_time(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// A business duration in whole minutes: `90`, `90m`, `4h`, `1h30m`, `2d`
/// (a day is 24 hours of business time), a leading `-` kept so that the
/// policy's own check names a negative time.
pub fn parse_minutes(s: &str) -> Option<i64> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    if body.is_empty() {
        return None;
    }
    // Plain minutes: digits only (no second sign).
    if body.bytes().all(|b| b.is_ascii_digit()) {
        let n = body.parse::<i64>().ok()?;
        return Some(if neg { -n } else { n });
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut last_unit = 0;
    for c in body.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let (rank, per) = match c {
            'd' => (3, 24 * 60),
            'h' => (2, 60),
            'm' => (1, 1),
            _ => return None,
        };
        // Units in order (d, h, m), each once, each with its number.
        if num.is_empty() || (last_unit != 0 && rank >= last_unit) {
            return None;
        }
        total = total.checked_add(num.parse::<i64>().ok()?.checked_mul(per)?)?;
        num.clear();
        last_unit = rank;
    }
    if !num.is_empty() {
        return None;
    }
    Some(if neg { -total } else { total })
}

/// Minutes as the form shows them: `30m`, `4h`, `1h30m`.
pub fn show_minutes(d: Duration) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

fn policy(first_min: i64, resolution_min: i64) -> Option<SlaPolicy> {
    Some(SlaPolicy {
        first_response: Duration::try_minutes(first_min)?,
        resolution: Duration::try_minutes(resolution_min)?,
    })
}

/// Holidays, one `YYYY-MM-DD` a line (blank lines and repeats ignored).
pub fn parse_holidays(text: &str) -> Result<BTreeSet<NaiveDate>, String> {
    let mut out = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match NaiveDate::parse_from_str(line, "%Y-%m-%d") {
            Ok(d) => {
                out.insert(d);
            }
            Err(_) => return Err(format!("“{line}” is not a date (YYYY-MM-DD)")),
        }
    }
    Ok(out)
}

pub fn show_holidays(c: &Calendar) -> String {
    c.holidays
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Category overrides, one a line: `category priority first resolution`
/// (`node-down urgent 15m 2h`; the category may hold spaces).
pub fn parse_overrides(
    text: &str,
) -> Result<BTreeMap<String, BTreeMap<Priority, SlaPolicy>>, String> {
    let mut out: BTreeMap<String, BTreeMap<Priority, SlaPolicy>> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let bad = || {
            format!("“{line}”: write category, priority, first response, resolution (node-down urgent 15m 2h)")
        };
        let [category @ .., priority, first, resolution] = words.as_slice() else {
            return Err(bad());
        };
        if category.is_empty() {
            return Err(bad());
        }
        let priority = Priority::parse(priority).ok_or_else(|| {
            format!("“{line}”: {priority} is not a priority (low, normal, high, urgent)")
        })?;
        let p = parse_minutes(first)
            .zip(parse_minutes(resolution))
            .and_then(|(f, r)| policy(f, r))
            .ok_or_else(bad)?;
        out.entry(category.join(" "))
            .or_default()
            .insert(priority, p);
    }
    Ok(out)
}

pub fn show_overrides(sla: &Sla) -> String {
    let mut lines = Vec::new();
    for (category, ps) in &sla.overrides {
        for (p, pol) in ps.iter().rev() {
            lines.push(format!(
                "{category} {} {} {}",
                p.as_str(),
                show_minutes(pol.first_response),
                show_minutes(pol.resolution)
            ));
        }
    }
    lines.join("\n")
}

/// One working day in the API: `{"open": "09:00", "close": "18:00"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayJson {
    pub open: String,
    pub close: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyJson {
    pub first_response_min: i64,
    pub resolution_min: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideJson {
    pub category: String,
    pub priority: String,
    pub first_response_min: i64,
    pub resolution_min: i64,
}

/// The settings as `GET/PUT /api/v1/sla` carry them: every weekday (`null`
/// or absent: a day off), holidays as dates, the four priorities' policies
/// and the overrides, times in whole minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaJson {
    pub utc_offset_min: i32,
    pub days: BTreeMap<String, Option<DayJson>>,
    #[serde(default)]
    pub holidays: Vec<String>,
    pub policies: BTreeMap<String, PolicyJson>,
    #[serde(default)]
    pub overrides: Vec<OverrideJson>,
}

impl SlaJson {
    pub fn from_sla(sla: &Sla) -> Self {
        let c = &sla.calendar;
        let pj = |p: &SlaPolicy| PolicyJson {
            first_response_min: p.first_response.num_minutes(),
            resolution_min: p.resolution.num_minutes(),
        };
        SlaJson {
            utc_offset_min: c.utc_offset_min,
            days: WEEKDAYS
                .iter()
                .zip(&c.days)
                .map(|(w, d)| {
                    let day = d.map(|(o, cl)| DayJson {
                        open: show_time(o),
                        close: show_time(cl),
                    });
                    (w.to_string(), day)
                })
                .collect(),
            holidays: c.holidays.iter().map(|d| d.to_string()).collect(),
            policies: sla
                .policies
                .iter()
                .map(|(p, x)| (p.as_str().to_string(), pj(x)))
                .collect(),
            overrides: sla
                .overrides
                .iter()
                .flat_map(|(cat, ps)| {
                    ps.iter().map(move |(p, x)| OverrideJson {
                        category: cat.clone(),
                        priority: p.as_str().to_string(),
                        first_response_min: x.first_response.num_minutes(),
                        resolution_min: x.resolution.num_minutes(),
                    })
                })
                .collect(),
        }
    }

    /// The settings, or every field's error (the aggregate's own checks
    /// come after, on a well-formed input).
    pub fn into_sla(self) -> Result<Sla, FormErrors> {
        let mut errors = FormErrors::default();
        let mut calendar = Calendar {
            utc_offset_min: self.utc_offset_min,
            days: [None; 7],
            holidays: BTreeSet::new(),
        };
        for key in self.days.keys() {
            if !WEEKDAYS.contains(&key.as_str()) {
                errors.add("days", format!("“{key}” is not a weekday (mon … sun)"));
            }
        }
        for (i, w) in WEEKDAYS.iter().enumerate() {
            if let Some(Some(d)) = self.days.get(*w) {
                match (parse_time(&d.open), parse_time(&d.close)) {
                    (Some(o), Some(c)) => calendar.days[i] = Some((o, c)),
                    _ => errors.add(w, "times are HH:MM"),
                }
            }
        }
        match parse_holidays(&self.holidays.join("\n")) {
            Ok(h) => calendar.holidays = h,
            Err(m) => errors.add("holidays", m),
        }
        let mut policies = BTreeMap::new();
        for (name, p) in &self.policies {
            match Priority::parse(name) {
                Some(pr) => match policy(p.first_response_min, p.resolution_min) {
                    Some(x) => {
                        policies.insert(pr, x);
                    }
                    None => errors.add(policy_field(pr, false), "too many minutes"),
                },
                None => errors.add("policies", format!("“{name}” is not a priority")),
            }
        }
        let mut overrides: BTreeMap<String, BTreeMap<Priority, SlaPolicy>> = BTreeMap::new();
        for o in &self.overrides {
            let (Some(pr), Some(x)) = (
                Priority::parse(&o.priority),
                policy(o.first_response_min, o.resolution_min),
            ) else {
                errors.add(
                    "overrides",
                    format!(
                        "{} {}: not a priority or too many minutes",
                        o.category, o.priority
                    ),
                );
                continue;
            };
            overrides
                .entry(o.category.clone())
                .or_default()
                .insert(pr, x);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Sla {
            calendar,
            policies,
            overrides,
        })
    }
}

/// What a save did.
pub enum Saved {
    /// Recorded; the read model's row after it (with the recomputed count).
    Changed(SlaRow),
    Unchanged(SlaRow),
}

/// Records the settings (only what differs) and reads back the row the
/// tickets projection wrote, with how many open tickets it recomputed.
pub async fn save(st: &AppState, sla: Sla, meta: &Metadata) -> Result<Saved, CommandError> {
    let r = st
        .core
        .commands
        .sla_settings(SlaSettingsCommand::Replace(sla), meta)
        .await;
    let changed = match r {
        Ok(_) => true,
        Err(e) if e.is_unchanged() => false,
        Err(e) => return Err(e),
    };
    let row = current(st)
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?;
    Ok(if changed {
        Saved::Changed(row)
    } else {
        Saved::Unchanged(row)
    })
}

/// The settings in force, as the read model keeps them.
pub async fn current(st: &AppState) -> rusqlite::Result<SlaRow> {
    st.core
        .views
        .read(ispmon_projections::sla_settings::current)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_durations_read_as_minutes_and_show_back() {
        for (text, min) in [
            ("30", 30),
            ("30m", 30),
            ("4h", 240),
            ("1h30m", 90),
            (" 1h 30m ", 90),
            ("2d", 2880),
            ("-5", -5),
            ("-1h", -60),
        ] {
            assert_eq!(parse_minutes(text), Some(min), "{text}");
        }
        for bad in ["", "h", "30x", "30m4h", "1h1h", "4h30", "--5"] {
            assert_eq!(parse_minutes(bad), None, "{bad}");
        }
        for min in [30, 60, 90, 240, 4320] {
            let d = Duration::minutes(min);
            assert_eq!(parse_minutes(&show_minutes(d)), Some(min));
        }
    }

    #[test]
    fn holidays_and_overrides_are_read_a_line_at_a_time() {
        let h = parse_holidays("2027-01-01\n\n 2027-01-07 \n2027-01-01").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            parse_holidays("2027-01-01\n2027-02-30").unwrap_err(),
            "“2027-02-30” is not a date (YYYY-MM-DD)"
        );
        let o = parse_overrides("node down urgent 15m 2h\nwiring low 1d 3d").unwrap();
        assert_eq!(
            o["node down"][&Priority::Urgent].resolution,
            Duration::hours(2)
        );
        assert!(parse_overrides("wiring soon 1h 2h")
            .unwrap_err()
            .contains("not a priority"));
        assert!(parse_overrides("urgent 1h 2h").is_err());
        let sla = Sla {
            overrides: o,
            ..Sla::default()
        };
        assert_eq!(
            parse_overrides(&show_overrides(&sla)).unwrap(),
            sla.overrides
        );
    }

    #[test]
    fn the_json_reads_back_into_the_same_settings() {
        let mut sla = Sla::default();
        sla.calendar.holidays = parse_holidays("2027-01-01").unwrap();
        sla.overrides = parse_overrides("node-down urgent 15m 2h").unwrap();
        let json = SlaJson::from_sla(&sla);
        assert_eq!(json.days["sat"].as_ref().map(|d| d.open.clone()), None);
        assert_eq!(json.days["mon"].as_ref().unwrap().open, "09:00");
        assert_eq!(json.into_sla().unwrap(), sla);
    }
}
