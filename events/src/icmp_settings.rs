//! The ICMP settings aggregate (a singleton): how sweeps run and how their
//! rounds are judged. Every field has a range; out-of-range values are
//! refused with a message naming the field.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::host::Judgement;

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "icmp";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IcmpSettingsValues {
    /// Seconds between scheduled sweeps (10–600).
    pub sweep_interval_s: u32,
    /// Echo requests per host per round (1–10).
    pub probes_per_host: u32,
    /// Milliseconds between the probes to one host (10–10,000).
    pub probe_gap_ms: u32,
    /// Hosts probed at once (5–2,000).
    pub concurrency: u32,
    /// Seconds to wait for a reply (1–10).
    pub timeout_s: u32,
    /// Consecutive failed rounds before a host is down (1–10).
    pub failed_rounds_before_down: u32,
    /// Loss above this percentage is "degraded" (0–100).
    pub loss_threshold_pct: f64,
    /// Average RTT above this is "degraded" (1–60,000 ms).
    pub latency_threshold_ms: f64,
}

impl Default for IcmpSettingsValues {
    fn default() -> Self {
        Self {
            sweep_interval_s: 60,
            probes_per_host: 3,
            probe_gap_ms: 1000,
            concurrency: 200,
            timeout_s: 2,
            failed_rounds_before_down: 2,
            loss_threshold_pct: 20.0,
            latency_threshold_ms: 200.0,
        }
    }
}

impl IcmpSettingsValues {
    /// Every field error: (field, message). Empty when all are in range.
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut range = |field: &'static str, v: f64, lo: f64, hi: f64, unit: &str| {
            if !(lo..=hi).contains(&v) || v.is_nan() {
                out.push((field, format!("must be from {lo} to {hi}{unit}")));
            }
        };
        range(
            "sweep_interval_s",
            self.sweep_interval_s as f64,
            10.0,
            600.0,
            " s",
        );
        range(
            "probes_per_host",
            self.probes_per_host as f64,
            1.0,
            10.0,
            "",
        );
        range(
            "probe_gap_ms",
            self.probe_gap_ms as f64,
            10.0,
            10_000.0,
            " ms",
        );
        range("concurrency", self.concurrency as f64, 5.0, 2000.0, "");
        range("timeout_s", self.timeout_s as f64, 1.0, 10.0, " s");
        range(
            "failed_rounds_before_down",
            self.failed_rounds_before_down as f64,
            1.0,
            10.0,
            "",
        );
        range(
            "loss_threshold_pct",
            self.loss_threshold_pct,
            0.0,
            100.0,
            " %",
        );
        range(
            "latency_threshold_ms",
            self.latency_threshold_ms,
            1.0,
            60_000.0,
            " ms",
        );
        out
    }

    pub fn judgement(&self) -> Judgement {
        Judgement {
            failed_rounds_before_down: self.failed_rounds_before_down,
            loss_threshold_pct: self.loss_threshold_pct,
            latency_threshold_ms: self.latency_threshold_ms,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum IcmpSettingsCommand {
    Change(IcmpSettingsValues),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IcmpSettingsEvent {
    IcmpSettingsChanged(IcmpSettingsValues),
}

impl DomainEvent for IcmpSettingsEvent {
    fn event_type(&self) -> String {
        "IcmpSettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcmpSettingsError {
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    OutOfRange(Vec<(&'static str, String)>),
    #[error("nothing changed")]
    Unchanged,
}

impl crate::DomainError for IcmpSettingsError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            IcmpSettingsError::OutOfRange(list) => list.clone(),
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, IcmpSettingsError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcmpSettings {
    pub values: IcmpSettingsValues,
}

impl IcmpSettings {
    pub fn decide(
        &self,
        c: IcmpSettingsCommand,
    ) -> Result<Vec<IcmpSettingsEvent>, IcmpSettingsError> {
        let IcmpSettingsCommand::Change(v) = c;
        let errors = v.errors();
        if !errors.is_empty() {
            return Err(IcmpSettingsError::OutOfRange(errors));
        }
        if v == self.values {
            return Err(IcmpSettingsError::Unchanged);
        }
        Ok(vec![IcmpSettingsEvent::IcmpSettingsChanged(v)])
    }
}

impl Aggregate for IcmpSettings {
    const TYPE: &'static str = "IcmpSettings";
    type Command = IcmpSettingsCommand;
    type Event = IcmpSettingsEvent;
    type Error = IcmpSettingsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: IcmpSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), IcmpSettingsError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: IcmpSettingsEvent) {
        let IcmpSettingsEvent::IcmpSettingsChanged(v) = event;
        self.values = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    #[test]
    fn out_of_range_values_are_named_and_refused() {
        let bad = IcmpSettingsValues {
            sweep_interval_s: 5,
            timeout_s: 11,
            ..Default::default()
        };
        let err = IcmpSettings::default()
            .decide(IcmpSettingsCommand::Change(bad))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("sweep_interval_s must be from 10 to 600 s"),
            "{text}"
        );
        assert!(text.contains("timeout_s must be from 1 to 10 s"), "{text}");
    }

    #[test]
    fn a_valid_change_is_recorded_and_a_repeat_is_refused() {
        let v = IcmpSettingsValues {
            sweep_interval_s: 30,
            ..Default::default()
        };
        TestFramework::<IcmpSettings>::with(())
            .given_no_previous_events()
            .when(IcmpSettingsCommand::Change(v))
            .then_expect_events(vec![IcmpSettingsEvent::IcmpSettingsChanged(v)]);
        TestFramework::<IcmpSettings>::with(())
            .given(vec![IcmpSettingsEvent::IcmpSettingsChanged(v)])
            .when(IcmpSettingsCommand::Change(v))
            .then_expect_error(IcmpSettingsError::Unchanged);
    }
}
