//! The Search Port settings aggregate (a singleton): how often switches'
//! MAC tables and NAS sessions are read, the FDB collector's rules, and how
//! long sightings are kept. Every field has a range; out-of-range values
//! are refused with a message naming the field. A switch may override the
//! FDB interval ([`crate::device::DeviceProfile::fdb_interval_min`]) within
//! the same range.

use std::ops::RangeInclusive;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "fdb";

/// Minutes between collections of a switch's MAC table (the FDB job wakes
/// every minute).
pub const FDB_INTERVAL_MIN: RangeInclusive<u32> = 1..=1440;
/// Successful collections in a row without a MAC before it leaves a port.
pub const MISS_LIMIT: RangeInclusive<u32> = 1..=20;
/// A port with more MACs than this is an uplink.
pub const UPLINK_THRESHOLD: RangeInclusive<u32> = 1..=10_000;
/// Seconds between polls of a NAS (the NAS job wakes every 15 s).
pub const NAS_INTERVAL_S: RangeInclusive<u32> = 15..=3600;
/// Days a sighting is kept after it was last seen: always longer than the
/// longest FDB interval (a day), so a switch still read keeps its table.
pub const SIGHTINGS_KEEP_DAYS: RangeInclusive<u32> = 2..=365;

/// The values; fields missing from a recorded event take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FdbSettingsValues {
    /// Minutes between collections of each switch (1–1,440).
    pub fdb_interval_min: u32,
    /// Collections without a MAC before it leaves a port (1–20).
    pub miss_limit: u32,
    /// More MACs than this on a port make it an uplink (1–10,000).
    pub uplink_threshold: u32,
    /// Seconds between polls of each NAS (15–3,600).
    pub nas_interval_s: u32,
    /// Days a sighting not seen again is kept (2–365): a retired or
    /// removed switch's table, a MAC that aged out while its switch was
    /// not read.
    pub sightings_keep_days: u32,
}

impl Default for FdbSettingsValues {
    fn default() -> Self {
        Self {
            fdb_interval_min: 15,
            miss_limit: 3,
            uplink_threshold: 8,
            nas_interval_s: 60,
            sightings_keep_days: 30,
        }
    }
}

/// The message for a value outside `range`, naming the range and its unit.
pub fn out_of_range(range: &RangeInclusive<u32>, unit: &str) -> String {
    format!(
        "must be a whole number from {} to {}{unit}",
        range.start(),
        range.end()
    )
}

impl FdbSettingsValues {
    /// Every field error: (field, message). Empty when all are in range.
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let checks: [(&'static str, u32, &RangeInclusive<u32>, &str); 5] = [
            (
                "fdb_interval_min",
                self.fdb_interval_min,
                &FDB_INTERVAL_MIN,
                " min",
            ),
            ("miss_limit", self.miss_limit, &MISS_LIMIT, ""),
            (
                "uplink_threshold",
                self.uplink_threshold,
                &UPLINK_THRESHOLD,
                " MACs",
            ),
            ("nas_interval_s", self.nas_interval_s, &NAS_INTERVAL_S, " s"),
            (
                "sightings_keep_days",
                self.sightings_keep_days,
                &SIGHTINGS_KEEP_DAYS,
                " days",
            ),
        ];
        checks
            .into_iter()
            .filter(|(_, v, range, _)| !range.contains(v))
            .map(|(field, _, range, unit)| (field, out_of_range(range, unit)))
            .collect()
    }

    /// How often a switch is read unless it has its own interval.
    pub fn fdb_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.fdb_interval_min) * 60)
    }

    /// How often a NAS is polled.
    pub fn nas_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.nas_interval_s))
    }

    /// How long a sighting is kept after it was last seen.
    pub fn sightings_keep(&self) -> Duration {
        Duration::from_secs(u64::from(self.sightings_keep_days) * 24 * 3600)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum FdbSettingsCommand {
    Change(FdbSettingsValues),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FdbSettingsEvent {
    FdbSettingsChanged(FdbSettingsValues),
}

impl DomainEvent for FdbSettingsEvent {
    fn event_type(&self) -> String {
        "FdbSettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FdbSettingsError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    OutOfRange(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
}

impl crate::DomainError for FdbSettingsError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            FdbSettingsError::OutOfRange(list) => list.clone(),
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, FdbSettingsError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FdbSettings {
    pub values: FdbSettingsValues,
}

impl FdbSettings {
    pub fn decide(&self, c: FdbSettingsCommand) -> Result<Vec<FdbSettingsEvent>, FdbSettingsError> {
        let FdbSettingsCommand::Change(v) = c;
        let errors = v.errors();
        if !errors.is_empty() {
            return Err(FdbSettingsError::OutOfRange(errors));
        }
        if v == self.values {
            return Err(FdbSettingsError::Unchanged);
        }
        Ok(vec![FdbSettingsEvent::FdbSettingsChanged(v)])
    }
}

impl Aggregate for FdbSettings {
    const TYPE: &'static str = "FdbSettings";
    type Command = FdbSettingsCommand;
    type Event = FdbSettingsEvent;
    type Error = FdbSettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FdbSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FdbSettingsError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: FdbSettingsEvent) {
        let FdbSettingsEvent::FdbSettingsChanged(v) = event;
        self.values = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    #[test]
    fn out_of_range_values_are_named_and_refused() {
        let bad = FdbSettingsValues {
            fdb_interval_min: 0,
            nas_interval_s: 5,
            sightings_keep_days: 366,
            ..Default::default()
        };
        let err = FdbSettings::default()
            .decide(FdbSettingsCommand::Change(bad))
            .unwrap_err();
        assert_eq!(
            err,
            FdbSettingsError::OutOfRange(vec![
                (
                    "fdb_interval_min",
                    "must be a whole number from 1 to 1440 min".into()
                ),
                (
                    "nas_interval_s",
                    "must be a whole number from 15 to 3600 s".into()
                ),
                (
                    "sightings_keep_days",
                    "must be a whole number from 2 to 365 days".into()
                ),
            ])
        );
        assert!(FdbSettingsValues::default().errors().is_empty());
    }

    #[test]
    fn a_valid_change_is_recorded_and_a_repeat_is_refused() {
        let v = FdbSettingsValues {
            fdb_interval_min: 5,
            uplink_threshold: 12,
            ..Default::default()
        };
        TestFramework::<FdbSettings>::with(())
            .given_no_previous_events()
            .when(FdbSettingsCommand::Change(v))
            .then_expect_events(vec![FdbSettingsEvent::FdbSettingsChanged(v)]);
        TestFramework::<FdbSettings>::with(())
            .given(vec![FdbSettingsEvent::FdbSettingsChanged(v)])
            .when(FdbSettingsCommand::Change(v))
            .then_expect_error(FdbSettingsError::Unchanged);
        TestFramework::<FdbSettings>::with(())
            .given_no_previous_events()
            .when(FdbSettingsCommand::Change(FdbSettingsValues::default()))
            .then_expect_error(FdbSettingsError::Unchanged);
    }

    #[test]
    fn the_intervals_read_as_durations() {
        let v = FdbSettingsValues::default();
        assert_eq!(v.fdb_interval(), Duration::from_secs(15 * 60));
        assert_eq!(v.nas_interval(), Duration::from_secs(60));
        assert_eq!(v.sightings_keep(), Duration::from_secs(30 * 86_400));
        let partial: FdbSettingsValues = serde_json::from_str(r#"{"miss_limit": 5}"#).unwrap();
        assert_eq!(partial.miss_limit, 5);
        assert_eq!(
            partial.fdb_interval_min, 15,
            "a missing field takes its default"
        );
    }
}
