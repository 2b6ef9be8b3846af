//! The Host aggregate: a monitored address, its place (folder, parent), and
//! its ICMP state. State events are written only when the state changes.
//!
//! Versions: `HostCameUp`, `HostDegraded` and `HostWentDown` are at version
//! 2, which carries the host's [`Subject`] (name, address, the state it
//! left, its maintenance windows) so a reader of a change needs nothing
//! else. Version 1 rows are upcast on read with `host: None` ([`UPCASTERS`]):
//! what the host was called then is in its history, not in the row.

use std::collections::BTreeMap;
use std::net::IpAddr;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// A host's ICMP state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HostState {
    /// Not probed yet.
    #[default]
    Pending,
    Up,
    /// Answers, but loss or latency is over its threshold.
    Degraded,
    Down,
    /// Does not answer while its parent is down.
    Unreachable,
}

impl HostState {
    pub const ALL: [HostState; 5] = [
        HostState::Pending,
        HostState::Up,
        HostState::Degraded,
        HostState::Down,
        HostState::Unreachable,
    ];

    /// The state a read model's text names; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HostState::Pending => "pending",
            HostState::Up => "up",
            HostState::Degraded => "degraded",
            HostState::Down => "down",
            HostState::Unreachable => "unreachable",
        }
    }
}

impl std::fmt::Display for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one sweep round measured for a host.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct RoundSample {
    pub sent: u32,
    pub received: u32,
    /// Loss in percent (0–100).
    pub loss_pct: f64,
    pub min_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
}

/// The thresholds a round is judged by (from the ICMP settings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// Consecutive failed rounds before a host is down.
    pub failed_rounds_before_down: u32,
    pub loss_threshold_pct: f64,
    pub latency_threshold_ms: f64,
}

/// Where a host sits and what it is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HostDetails {
    pub name: String,
    pub folder: Option<String>,
    pub parent: Option<String>,
    pub notes: String,
    pub tags: Vec<String>,
}

impl HostDetails {
    /// Checks lengths and tag shapes; returns the cleaned details.
    pub fn parse(
        name: &str,
        folder: Option<String>,
        parent: Option<String>,
        notes: &str,
        tags: &str,
    ) -> Result<Self, (&'static str, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(("name", "a name must be 1 to 100 characters".into()));
        }
        if notes.chars().count() > 2000 {
            return Err(("notes", "notes are limited to 2000 characters".into()));
        }
        let mut list = Vec::new();
        for t in tags
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let t = t.to_lowercase();
            if t.len() > 32
                || !t
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err((
                    "tags",
                    format!("tag '{t}': up to 32 letters, digits, '-', '_' or '.'"),
                ));
            }
            if !list.contains(&t) {
                list.push(t);
            }
        }
        if list.len() > 16 {
            return Err(("tags", "at most 16 tags".into()));
        }
        Ok(Self {
            name: name.to_string(),
            folder: folder.filter(|f| !f.trim().is_empty()),
            parent: parent.filter(|p| !p.trim().is_empty()),
            notes: notes.trim().to_string(),
            tags: list,
        })
    }
}

/// Parses an IPv4 or IPv6 address into its canonical text.
pub fn parse_ip(text: &str) -> Result<String, String> {
    text.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| format!("'{}' is not an IPv4 or IPv6 address", text.trim()))
}

/// The host as its aggregate knew it when it decided a state change: what
/// a reader of the change (the notifier) needs without folding the host's
/// history. Carried by the state events from version 2 on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub ip: String,
    /// The state it left.
    pub from: HostState,
    /// Its maintenance windows, all of them: the aggregate has no clock, so
    /// the reader compares them with the event's `recorded_at`.
    pub maintenance: Vec<Window>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum HostCommand {
    Add {
        ip: String,
        details: HostDetails,
    },
    Edit {
        ip: String,
        details: HostDetails,
    },
    Remove,
    Pause,
    Resume,
    /// The result of one sweep round; `failed_rounds` counts consecutive
    /// failed rounds including this one (0 when it answered).
    RecordRound {
        sample: RoundSample,
        failed_rounds: u32,
        parent_down: bool,
        judgement: Judgement,
    },
    Acknowledge {
        comment: String,
    },
    ScheduleMaintenance {
        window_id: String,
        start: String,
        end: String,
        reason: String,
    },
    CancelMaintenance {
        window_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostEvent {
    HostAdded {
        ip: String,
        details: HostDetails,
    },
    HostEdited {
        details: HostDetails,
    },
    HostIpChanged {
        from: String,
        to: String,
    },
    HostRemoved {
        ip: String,
    },
    HostPaused,
    HostResumed,
    HostCameUp {
        sample: RoundSample,
        /// `None` only in events stored at version 1.
        host: Option<Subject>,
    },
    HostDegraded {
        sample: RoundSample,
        /// `None` only in events stored at version 1.
        host: Option<Subject>,
    },
    HostWentDown {
        sample: RoundSample,
        failed_rounds: u32,
        /// `None` only in events stored at version 1.
        host: Option<Subject>,
    },
    HostBecameUnreachable {
        sample: RoundSample,
    },
    HostAcknowledged {
        comment: String,
    },
    MaintenanceScheduled {
        window_id: String,
        start: String,
        end: String,
        reason: String,
    },
    MaintenanceCancelled {
        window_id: String,
    },
}

impl DomainEvent for HostEvent {
    fn event_type(&self) -> String {
        match self {
            HostEvent::HostAdded { .. } => "HostAdded",
            HostEvent::HostEdited { .. } => "HostEdited",
            HostEvent::HostIpChanged { .. } => "HostIpChanged",
            HostEvent::HostRemoved { .. } => "HostRemoved",
            HostEvent::HostPaused => "HostPaused",
            HostEvent::HostResumed => "HostResumed",
            HostEvent::HostCameUp { .. } => "HostCameUp",
            HostEvent::HostDegraded { .. } => "HostDegraded",
            HostEvent::HostWentDown { .. } => "HostWentDown",
            HostEvent::HostBecameUnreachable { .. } => "HostBecameUnreachable",
            HostEvent::HostAcknowledged { .. } => "HostAcknowledged",
            HostEvent::MaintenanceScheduled { .. } => "MaintenanceScheduled",
            HostEvent::MaintenanceCancelled { .. } => "MaintenanceCancelled",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        match self {
            HostEvent::HostCameUp { .. }
            | HostEvent::HostDegraded { .. }
            | HostEvent::HostWentDown { .. } => "2",
            _ => "1",
        }
        .to_string()
    }
}

/// Version 1 → 2 of the state events: the host's subject was not recorded.
fn subject_unknown(payload: &mut serde_json::Value) {
    crate::store::upcast::set_variant_field(payload, "host", serde_json::Value::Null);
}

/// The Host aggregate's upcasters (see [`crate::store::upcast`]).
pub const UPCASTERS: &[crate::store::upcast::Upcaster] = &[
    up_v1("HostCameUp"),
    up_v1("HostDegraded"),
    up_v1("HostWentDown"),
];

const fn up_v1(event_type: &'static str) -> crate::store::upcast::Upcaster {
    crate::store::upcast::Upcaster {
        aggregate_type: "Host",
        event_type,
        from_version: 1,
        apply: subject_unknown,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("this host already exists")]
    AlreadyAdded,
    #[error("no such host")]
    NotFound,
    #[error("nothing changed")]
    Unchanged,
    #[error("the host is already paused")]
    AlreadyPaused,
    #[error("the host is not paused")]
    NotPaused,
    #[error("only a down or unreachable host can be acknowledged")]
    NotDown,
    #[error("a comment must be 1 to 500 characters")]
    BadComment,
    #[error("a maintenance window must end after it starts, and have a reason")]
    BadWindow,
    #[error("no such maintenance window")]
    NoSuchWindow,
}

impl crate::DomainError for HostError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            HostError::BadComment => vec![("comment", self.to_string())],
            HostError::BadWindow => vec![("end", self.to_string())],
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, HostError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start: String,
    pub end: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub ip: Option<String>,
    pub details: HostDetails,
    pub removed: bool,
    pub paused: bool,
    pub state: HostState,
    pub acknowledged: bool,
    pub maintenance: BTreeMap<String, Window>,
}

impl Host {
    fn live(&self) -> Result<(), HostError> {
        if self.ip.is_some() && !self.removed {
            Ok(())
        } else {
            Err(HostError::NotFound)
        }
    }

    /// Decides a command into events; pure. Rules that need other hosts (the
    /// parent exists, no parent cycles, the IP is unique) are checked at the
    /// edge against the read model and, for the IP, by a reservation.
    pub fn decide(&self, command: HostCommand) -> Result<Vec<HostEvent>, HostError> {
        use HostCommand as C;
        use HostEvent as E;
        if !matches!(command, C::Add { .. }) {
            self.live()?;
        }
        Ok(match command {
            C::Add { ip, details } => {
                if self.ip.is_some() {
                    return Err(HostError::AlreadyAdded);
                }
                vec![E::HostAdded { ip, details }]
            }
            C::Edit { ip, details } => {
                let mut out = Vec::new();
                let old = self.ip.clone().unwrap_or_default();
                if ip != old {
                    out.push(E::HostIpChanged { from: old, to: ip });
                }
                if details != self.details {
                    out.push(E::HostEdited { details });
                }
                if out.is_empty() {
                    return Err(HostError::Unchanged);
                }
                out
            }
            C::Remove => vec![E::HostRemoved {
                ip: self.ip.clone().unwrap_or_default(),
            }],
            C::Pause if self.paused => return Err(HostError::AlreadyPaused),
            C::Pause => vec![E::HostPaused],
            C::Resume if !self.paused => return Err(HostError::NotPaused),
            C::Resume => vec![E::HostResumed],
            C::RecordRound {
                sample,
                failed_rounds,
                parent_down,
                judgement,
            } => {
                if self.paused {
                    return Ok(Vec::new());
                }
                let answered = sample.received > 0;
                let next = if !answered {
                    if failed_rounds < judgement.failed_rounds_before_down.max(1) {
                        return Ok(Vec::new()); // debounce: not down yet
                    }
                    if parent_down {
                        HostState::Unreachable
                    } else {
                        HostState::Down
                    }
                } else if sample.loss_pct > judgement.loss_threshold_pct
                    || sample.avg_ms.unwrap_or(0.0) > judgement.latency_threshold_ms
                {
                    HostState::Degraded
                } else {
                    HostState::Up
                };
                if next == self.state {
                    return Ok(Vec::new());
                }
                let host = Some(self.subject());
                vec![match next {
                    HostState::Up => E::HostCameUp { sample, host },
                    HostState::Degraded => E::HostDegraded { sample, host },
                    HostState::Down => E::HostWentDown {
                        sample,
                        failed_rounds,
                        host,
                    },
                    HostState::Unreachable => E::HostBecameUnreachable { sample },
                    HostState::Pending => unreachable!("never decided"),
                }]
            }
            C::Acknowledge { comment } => {
                if !matches!(self.state, HostState::Down | HostState::Unreachable) {
                    return Err(HostError::NotDown);
                }
                let comment = comment.trim().to_string();
                if comment.is_empty() || comment.chars().count() > 500 {
                    return Err(HostError::BadComment);
                }
                vec![E::HostAcknowledged { comment }]
            }
            C::ScheduleMaintenance {
                window_id,
                start,
                end,
                reason,
            } => {
                if end <= start || reason.trim().is_empty() || reason.chars().count() > 500 {
                    return Err(HostError::BadWindow);
                }
                vec![E::MaintenanceScheduled {
                    window_id,
                    start,
                    end,
                    reason: reason.trim().to_string(),
                }]
            }
            C::CancelMaintenance { window_id } => {
                if !self.maintenance.contains_key(&window_id) {
                    return Err(HostError::NoSuchWindow);
                }
                vec![E::MaintenanceCancelled { window_id }]
            }
        })
    }

    /// What a state change carries about the host as it is now.
    pub fn subject(&self) -> Subject {
        Subject {
            name: self.details.name.clone(),
            ip: self.ip.clone().unwrap_or_default(),
            from: self.state,
            maintenance: self.maintenance.values().cloned().collect(),
        }
    }

    /// Whether a maintenance window covers `at` (RFC 3339).
    pub fn in_maintenance(&self, at: &str) -> bool {
        self.maintenance
            .values()
            .any(|w| w.start.as_str() <= at && at < w.end.as_str())
    }
}

impl Aggregate for Host {
    const TYPE: &'static str = "Host";
    type Command = HostCommand;
    type Event = HostEvent;
    type Error = HostError;
    type Services = ();

    async fn handle(
        &mut self,
        command: HostCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), HostError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: HostEvent) {
        use HostEvent as E;
        match event {
            E::HostAdded { ip, details } => {
                self.ip = Some(ip);
                self.details = details;
            }
            E::HostEdited { details } => self.details = details,
            E::HostIpChanged { to, .. } => self.ip = Some(to),
            E::HostRemoved { .. } => self.removed = true,
            E::HostPaused => self.paused = true,
            E::HostResumed => {
                self.paused = false;
                self.state = HostState::Pending;
            }
            E::HostCameUp { .. } => self.set_state(HostState::Up),
            E::HostDegraded { .. } => self.set_state(HostState::Degraded),
            E::HostWentDown { .. } => self.set_state(HostState::Down),
            E::HostBecameUnreachable { .. } => self.set_state(HostState::Unreachable),
            E::HostAcknowledged { .. } => self.acknowledged = true,
            E::MaintenanceScheduled {
                window_id,
                start,
                end,
                reason,
            } => {
                self.maintenance
                    .insert(window_id, Window { start, end, reason });
            }
            E::MaintenanceCancelled { window_id } => {
                self.maintenance.remove(&window_id);
            }
        }
    }
}

impl Host {
    fn set_state(&mut self, s: HostState) {
        self.state = s;
        self.acknowledged = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type F = TestFramework<Host>;

    const J: Judgement = Judgement {
        failed_rounds_before_down: 2,
        loss_threshold_pct: 20.0,
        latency_threshold_ms: 100.0,
    };

    fn added() -> HostEvent {
        HostEvent::HostAdded {
            ip: "127.0.0.1".into(),
            details: HostDetails {
                name: "core".into(),
                ..Default::default()
            },
        }
    }

    fn ok(avg: f64, loss: f64) -> RoundSample {
        RoundSample {
            sent: 3,
            received: 3,
            loss_pct: loss,
            min_ms: Some(avg),
            avg_ms: Some(avg),
            max_ms: Some(avg),
            jitter_ms: Some(0.0),
        }
    }

    fn lost() -> RoundSample {
        RoundSample {
            sent: 3,
            ..Default::default()
        }
    }

    /// The subject `added()` carries on a change from `from`.
    fn core(from: HostState) -> Option<Subject> {
        Some(Subject {
            name: "core".into(),
            ip: "127.0.0.1".into(),
            from,
            maintenance: Vec::new(),
        })
    }

    fn round(sample: RoundSample, failed_rounds: u32, parent_down: bool) -> HostCommand {
        HostCommand::RecordRound {
            sample,
            failed_rounds,
            parent_down,
            judgement: J,
        }
    }

    #[test]
    fn the_first_answer_brings_a_host_up() {
        F::with(())
            .given(vec![added()])
            .when(round(ok(1.0, 0.0), 0, false))
            .then_expect_events(vec![HostEvent::HostCameUp {
                sample: ok(1.0, 0.0),
                host: core(HostState::Pending),
            }]);
    }

    #[test]
    fn an_unchanged_state_writes_no_event() {
        F::with(())
            .given(vec![
                added(),
                HostEvent::HostCameUp {
                    sample: ok(1.0, 0.0),
                    host: core(HostState::Pending),
                },
            ])
            .when(round(ok(2.0, 0.0), 0, false))
            .then_expect_events(vec![]);
    }

    #[test]
    fn one_failed_round_is_not_down_yet_two_are() {
        let up = HostEvent::HostCameUp {
            sample: ok(1.0, 0.0),
            host: core(HostState::Pending),
        };
        F::with(())
            .given(vec![added(), up.clone()])
            .when(round(lost(), 1, false))
            .then_expect_events(vec![]);
        F::with(())
            .given(vec![added(), up])
            .when(round(lost(), 2, false))
            .then_expect_events(vec![HostEvent::HostWentDown {
                sample: lost(),
                failed_rounds: 2,
                host: core(HostState::Up),
            }]);
    }

    #[test]
    fn a_child_of_a_down_parent_is_unreachable() {
        F::with(())
            .given(vec![added()])
            .when(round(lost(), 3, true))
            .then_expect_events(vec![HostEvent::HostBecameUnreachable { sample: lost() }]);
    }

    #[test]
    fn loss_or_latency_over_threshold_is_degraded() {
        F::with(())
            .given(vec![added()])
            .when(round(ok(150.0, 0.0), 0, false))
            .then_expect_events(vec![HostEvent::HostDegraded {
                sample: ok(150.0, 0.0),
                host: core(HostState::Pending),
            }]);
        F::with(())
            .given(vec![added()])
            .when(round(ok(1.0, 33.3), 0, false))
            .then_expect_events(vec![HostEvent::HostDegraded {
                sample: ok(1.0, 33.3),
                host: core(HostState::Pending),
            }]);
    }

    #[test]
    fn a_state_change_carries_the_host_its_readers_need() {
        let window = scheduled_window();
        F::with(())
            .given(vec![
                added(),
                HostEvent::HostEdited {
                    details: HostDetails {
                        name: "core-renamed".into(),
                        ..Default::default()
                    },
                },
                HostEvent::HostIpChanged {
                    from: "127.0.0.1".into(),
                    to: "::1".into(),
                },
                window.0,
                HostEvent::HostCameUp {
                    sample: ok(1.0, 0.0),
                    host: None,
                },
            ])
            .when(round(lost(), 2, false))
            .then_expect_events(vec![HostEvent::HostWentDown {
                sample: lost(),
                failed_rounds: 2,
                host: Some(Subject {
                    name: "core-renamed".into(),
                    ip: "::1".into(),
                    from: HostState::Up,
                    maintenance: vec![window.1],
                }),
            }]);
    }

    fn scheduled_window() -> (HostEvent, Window) {
        let w = Window {
            start: "2026-01-01T00:00:00Z".into(),
            end: "2026-01-02T00:00:00Z".into(),
            reason: "works".into(),
        };
        let e = HostEvent::MaintenanceScheduled {
            window_id: "w".into(),
            start: w.start.clone(),
            end: w.end.clone(),
            reason: w.reason.clone(),
        };
        (e, w)
    }

    #[test]
    fn the_state_events_are_version_2_and_the_others_version_1() {
        let down = HostEvent::HostWentDown {
            sample: lost(),
            failed_rounds: 2,
            host: core(HostState::Up),
        };
        assert_eq!(down.event_version(), "2");
        assert_eq!(added().event_version(), "1");
        assert_eq!(
            HostEvent::HostBecameUnreachable { sample: lost() }.event_version(),
            "1"
        );
    }

    #[test]
    fn a_paused_host_ignores_rounds() {
        F::with(())
            .given(vec![added(), HostEvent::HostPaused])
            .when(round(lost(), 5, false))
            .then_expect_events(vec![]);
    }

    #[test]
    fn only_down_hosts_are_acknowledged_and_a_new_state_clears_it() {
        F::with(())
            .given(vec![
                added(),
                HostEvent::HostCameUp {
                    sample: ok(1.0, 0.0),
                    host: core(HostState::Pending),
                },
            ])
            .when(HostCommand::Acknowledge {
                comment: "known".into(),
            })
            .then_expect_error(HostError::NotDown);
        let mut h = Host::default();
        h.apply(added());
        h.apply(HostEvent::HostWentDown {
            sample: lost(),
            failed_rounds: 2,
            host: None,
        });
        h.apply(HostEvent::HostAcknowledged {
            comment: "fiber cut".into(),
        });
        assert!(h.acknowledged);
        h.apply(HostEvent::HostCameUp {
            sample: ok(1.0, 0.0),
            host: None,
        });
        assert!(!h.acknowledged);
    }

    #[test]
    fn editing_the_ip_is_its_own_event_and_no_change_is_refused() {
        let d = HostDetails {
            name: "core".into(),
            ..Default::default()
        };
        F::with(())
            .given(vec![added()])
            .when(HostCommand::Edit {
                ip: "::1".into(),
                details: d.clone(),
            })
            .then_expect_events(vec![HostEvent::HostIpChanged {
                from: "127.0.0.1".into(),
                to: "::1".into(),
            }]);
        F::with(())
            .given(vec![added()])
            .when(HostCommand::Edit {
                ip: "127.0.0.1".into(),
                details: d,
            })
            .then_expect_error(HostError::Unchanged);
    }

    #[test]
    fn maintenance_windows_need_an_order_and_a_reason() {
        F::with(())
            .given(vec![added()])
            .when(HostCommand::ScheduleMaintenance {
                window_id: "w".into(),
                start: "2026-01-02T00:00:00Z".into(),
                end: "2026-01-01T00:00:00Z".into(),
                reason: "works".into(),
            })
            .then_expect_error(HostError::BadWindow);
        let mut h = Host::default();
        h.apply(added());
        h.apply(HostEvent::MaintenanceScheduled {
            window_id: "w".into(),
            start: "2026-01-01T00:00:00Z".into(),
            end: "2026-01-02T00:00:00Z".into(),
            reason: "works".into(),
        });
        assert!(h.in_maintenance("2026-01-01T12:00:00Z"));
        assert!(!h.in_maintenance("2026-01-02T12:00:00Z"));
    }

    #[test]
    fn details_and_addresses_are_validated() {
        assert_eq!(parse_ip(" ::1 ").unwrap(), "::1");
        assert_eq!(parse_ip("127.0.0.1").unwrap(), "127.0.0.1");
        assert_eq!(
            parse_ip(" 300.1.1.1 "),
            Err("'300.1.1.1' is not an IPv4 or IPv6 address".to_string())
        );
        assert_eq!(
            HostDetails::parse(" ", None, None, "", "").unwrap_err(),
            ("name", "a name must be 1 to 100 characters".to_string())
        );
        let d = HostDetails::parse(" sw1 ", Some(" ".into()), None, "", "Core, core lab").unwrap();
        assert_eq!(d.tags, vec!["core", "lab"]);
        assert_eq!(d.folder, None);
        assert_eq!(
            HostDetails::parse("x", None, None, "", "bad/tag").unwrap_err(),
            (
                "tags",
                "tag 'bad/tag': up to 32 letters, digits, '-', '_' or '.'".to_string()
            )
        );
    }

    #[test]
    fn every_state_reads_back_from_its_text_and_other_text_is_no_state() {
        for st in HostState::ALL {
            assert_eq!(HostState::parse(st.as_str()), Some(st));
        }
        assert_eq!(HostState::parse("Up"), None);
        assert_eq!(HostState::parse(""), None);
    }
}
