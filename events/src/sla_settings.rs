//! The SLA settings aggregate (a singleton): the business-hours calendar,
//! the policy of each priority, and a category's own policy for a priority
//! (an override). A change is one event that carries only what changed —
//! the new calendar, the policies that differ, the overrides set or
//! cleared — so the read model recomputes the open tickets once per
//! change. Each part is checked by the [`crate::sla`] rules (`Calendar::errors`, `SlaPolicy::errors`)
//! with the message next to the field it is about. The state is the
//! [`Sla`] in force; the tickets read model folds the same events.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::sla::{category_key, Calendar, Sla, SlaPolicy};
use crate::ticket::{Priority, MAX_CATEGORY};

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "sla";
/// The most holidays a calendar lists.
pub const MAX_HOLIDAYS: usize = 1000;
/// The most category overrides (category × priority) kept.
pub const MAX_OVERRIDES: usize = 200;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum SlaSettingsCommand {
    SetCalendar(Calendar),
    /// A priority's policy, or with a category that category's own.
    SetPolicy {
        priority: Priority,
        category: Option<String>,
        policy: SlaPolicy,
    },
    /// A category goes back to its priority's policy.
    ClearOverride {
        category: String,
        priority: Priority,
    },
    /// Everything at once (the admin page, the API): every priority's
    /// policy is needed; overrides not listed are cleared. Only what
    /// differs from the settings in force is recorded.
    Replace(Sla),
}

/// What one change set: only the parts that differ from before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaChange {
    /// The new calendar, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// The priorities whose policy changed, with the new one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<Priority, SlaPolicy>,
    /// Overrides set or changed: category (as [`category_key`] keeps it)
    /// → priority → policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides_set: BTreeMap<String, BTreeMap<Priority, SlaPolicy>>,
    /// Overrides cleared: category → priorities.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides_cleared: BTreeMap<String, Vec<Priority>>,
}

impl SlaChange {
    pub fn is_empty(&self) -> bool {
        self == &SlaChange::default()
    }

    /// What changes from `old` to `new`.
    pub fn between(old: &Sla, new: &Sla) -> Self {
        let mut c = SlaChange {
            calendar: (old.calendar != new.calendar).then(|| new.calendar.clone()),
            ..Default::default()
        };
        for (p, policy) in &new.policies {
            if old.policies.get(p) != Some(policy) {
                c.policies.insert(*p, *policy);
            }
        }
        for (category, ps) in &new.overrides {
            for (p, policy) in ps {
                if old.overrides.get(category).and_then(|o| o.get(p)) != Some(policy) {
                    c.overrides_set
                        .entry(category.clone())
                        .or_default()
                        .insert(*p, *policy);
                }
            }
        }
        for (category, ps) in &old.overrides {
            for p in ps.keys() {
                if new
                    .overrides
                    .get(category)
                    .is_none_or(|o| !o.contains_key(p))
                {
                    c.overrides_cleared
                        .entry(category.clone())
                        .or_default()
                        .push(*p);
                }
            }
        }
        c
    }

    /// Applies this change to `sla` (the aggregate's and the read model's
    /// fold).
    pub fn apply_to(&self, sla: &mut Sla) {
        if let Some(cal) = &self.calendar {
            sla.calendar = cal.clone();
        }
        sla.policies
            .extend(self.policies.iter().map(|(p, x)| (*p, *x)));
        for (category, ps) in &self.overrides_set {
            let o = sla.overrides.entry(category.clone()).or_default();
            o.extend(ps.iter().map(|(p, x)| (*p, *x)));
        }
        for (category, ps) in &self.overrides_cleared {
            if let Some(o) = sla.overrides.get_mut(category) {
                for p in ps {
                    o.remove(p);
                }
                if o.is_empty() {
                    sla.overrides.remove(category);
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SlaSettingsEvent {
    /// One change: only what differs is in it.
    SlaSettingsChanged(SlaChange),
}

impl DomainEvent for SlaSettingsEvent {
    fn event_type(&self) -> String {
        "SlaSettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaSettingsError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
}

impl crate::DomainError for SlaSettingsError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            SlaSettingsError::Invalid(list) => list.clone(),
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, SlaSettingsError::Unchanged)
    }
}

/// The form field of a priority's policy value (`urgent_first_response_min`,
/// `low_resolution_min`, …): `resolution` picks the second.
pub fn policy_field(priority: Priority, resolution: bool) -> &'static str {
    match (priority, resolution) {
        (Priority::Urgent, false) => "urgent_first_response_min",
        (Priority::Urgent, true) => "urgent_resolution_min",
        (Priority::High, false) => "high_first_response_min",
        (Priority::High, true) => "high_resolution_min",
        (Priority::Normal, false) => "normal_first_response_min",
        (Priority::Normal, true) => "normal_resolution_min",
        (Priority::Low, false) => "low_first_response_min",
        (Priority::Low, true) => "low_resolution_min",
    }
}

/// The calendar's errors, with the holidays' count checked too.
pub fn calendar_errors(c: &Calendar) -> Vec<(&'static str, String)> {
    let mut out = c.errors();
    if c.holidays.len() > MAX_HOLIDAYS {
        out.push(("holidays", format!("at most {MAX_HOLIDAYS} holidays")));
    }
    out
}

/// A priority's policy's errors, each next to its own field.
pub fn policy_errors(priority: Priority, p: &SlaPolicy) -> Vec<(&'static str, String)> {
    p.errors()
        .into_iter()
        .map(|(f, m)| (policy_field(priority, f == "resolution_min"), m))
        .collect()
}

/// An override's errors (the category's name and its policy), all under
/// `overrides` and naming the override.
pub fn override_errors(
    category: &str,
    priority: Priority,
    p: &SlaPolicy,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let name = category.trim();
    let ok = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ');
    if name.is_empty() || name.chars().count() > MAX_CATEGORY || !name.chars().all(ok) {
        out.push((
            "overrides",
            format!("“{name}”: a category is 1 to {MAX_CATEGORY} letters, digits, spaces, - and _"),
        ));
    }
    for (_, m) in p.errors() {
        out.push(("overrides", format!("{name} {}: {m}", priority.as_str())));
    }
    out
}

fn check(errors: Vec<(&'static str, String)>) -> Result<(), SlaSettingsError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SlaSettingsError::Invalid(errors))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaSettings {
    pub sla: Sla,
}

impl SlaSettings {
    pub fn decide(&self, c: SlaSettingsCommand) -> Result<Vec<SlaSettingsEvent>, SlaSettingsError> {
        let mut new = self.sla.clone();
        match c {
            SlaSettingsCommand::SetCalendar(calendar) => {
                check(calendar_errors(&calendar))?;
                new.calendar = calendar;
            }
            SlaSettingsCommand::SetPolicy {
                priority,
                category: None,
                policy,
            } => {
                check(policy_errors(priority, &policy))?;
                new.policies.insert(priority, policy);
            }
            SlaSettingsCommand::SetPolicy {
                priority,
                category: Some(category),
                policy,
            } => {
                check(override_errors(&category, priority, &policy))?;
                new.overrides
                    .entry(category_key(&category))
                    .or_default()
                    .insert(priority, policy);
                check(count_errors(&new))?;
            }
            SlaSettingsCommand::ClearOverride { category, priority } => {
                let category = category_key(&category);
                if let Some(o) = new.overrides.get_mut(&category) {
                    o.remove(&priority);
                    if o.is_empty() {
                        new.overrides.remove(&category);
                    }
                }
            }
            SlaSettingsCommand::Replace(sla) => new = replacement(sla)?,
        }
        let change = SlaChange::between(&self.sla, &new);
        if change.is_empty() {
            return Err(SlaSettingsError::Unchanged);
        }
        Ok(vec![SlaSettingsEvent::SlaSettingsChanged(change)])
    }
}

fn count_errors(sla: &Sla) -> Vec<(&'static str, String)> {
    let n: usize = sla.overrides.values().map(BTreeMap::len).sum();
    if n > MAX_OVERRIDES {
        vec![("overrides", format!("at most {MAX_OVERRIDES} overrides"))]
    } else {
        Vec::new()
    }
}

/// The whole settings checked, the categories as they are kept.
fn replacement(sla: Sla) -> Result<Sla, SlaSettingsError> {
    let mut errors = calendar_errors(&sla.calendar);
    for p in Priority::ALL.into_iter().rev() {
        match sla.policies.get(&p) {
            Some(policy) => errors.extend(policy_errors(p, policy)),
            None => errors.push((policy_field(p, false), "a policy is needed".to_string())),
        }
    }
    let mut overrides: BTreeMap<String, BTreeMap<Priority, SlaPolicy>> = BTreeMap::new();
    for (category, ps) in &sla.overrides {
        for (p, policy) in ps {
            errors.extend(override_errors(category, *p, policy));
            overrides
                .entry(category_key(category))
                .or_default()
                .insert(*p, *policy);
        }
    }
    let new = Sla {
        calendar: sla.calendar,
        policies: sla.policies,
        overrides,
    };
    errors.extend(count_errors(&new));
    check(errors)?;
    Ok(new)
}

impl Aggregate for SlaSettings {
    const TYPE: &'static str = "SlaSettings";
    type Command = SlaSettingsCommand;
    type Event = SlaSettingsEvent;
    type Error = SlaSettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SlaSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SlaSettingsError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: SlaSettingsEvent) {
        let SlaSettingsEvent::SlaSettingsChanged(change) = event;
        change.apply_to(&mut self.sla);
    }
}

#[cfg(test)]
mod tests;
