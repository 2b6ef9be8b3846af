//! GPON: the ONTs of every OLT, what waits in an OLT's autofind, the local
//! registration profiles, the poll settings, and registrations and
//! deletions as sagas.
//!
//! - [`Ont`] (id `OLT-ID:SN`): an ONT as its OLT shows it. Only a change is
//!   an event — it appeared, went offline (with the cause) or came back, was
//!   described, its signal crossed a threshold, moved, vanished — so a
//!   steady poll writes nothing; readings (Rx, distance) are telemetry.
//! - [`GponOlt`] (id = the device id): the OLT's boards and profiles and its
//!   autofind list, changes only.
//! - [`GponProfile`]: a local registration profile (VLAN, gemport, line and
//!   service profile ids, bridge or router).
//! - [`GponSettings`] (a singleton): poll intervals, the poll budget per OLT,
//!   the signal thresholds.
//! - [`GponJob`]: one registration or deletion, step by step. Its state is
//!   in the log; the saga reactor in the scheduler reads it to decide the
//!   next step, so a restart resumes from here.

use std::ops::RangeInclusive;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::fdb_settings::out_of_range;

/// The aggregate id of an ONT.
pub fn ont_id(olt_id: &str, sn: &str) -> String {
    format!("{olt_id}:{sn}")
}

// ---------------------------------------------------------------- ONT

/// What a poll saw of one ONT (the parts that are state, not readings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OntSeen {
    pub olt_id: String,
    /// `0/1/0`.
    pub port: String,
    pub ont_id: u32,
    /// Canonical (16 upper-case hex).
    pub sn: String,
    pub description: String,
    /// `online`, `offline`, `unknown`.
    pub run: String,
    pub last_down_cause: Option<String>,
    /// `none`, `good`, `marginal`, `bad`, `overload`.
    pub signal: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum OntCommand {
    /// A poll saw the ONT.
    Observe(OntSeen),
    /// A poll of its port no longer lists it (and nobody deleted it here).
    Vanish,
    /// A registration saga added it.
    Register {
        seen: OntSeen,
        job_id: String,
        profile: String,
    },
    /// A deletion saga removed it.
    Delete { job_id: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OntEvent {
    /// First seen (or seen again after it vanished or was deleted).
    OntDiscovered(OntSeen),
    OntRegistered {
        seen: OntSeen,
        job_id: String,
        profile: String,
    },
    OntMoved {
        port: String,
        ont_id: u32,
    },
    OntWentOffline {
        cause: Option<String>,
    },
    OntCameOnline,
    OntDescribed {
        description: String,
    },
    OntSignalChanged {
        from: String,
        to: String,
    },
    OntVanished,
    OntDeleted {
        job_id: String,
    },
}

impl DomainEvent for OntEvent {
    fn event_type(&self) -> String {
        match self {
            OntEvent::OntDiscovered(_) => "OntDiscovered",
            OntEvent::OntRegistered { .. } => "OntRegistered",
            OntEvent::OntMoved { .. } => "OntMoved",
            OntEvent::OntWentOffline { .. } => "OntWentOffline",
            OntEvent::OntCameOnline => "OntCameOnline",
            OntEvent::OntDescribed { .. } => "OntDescribed",
            OntEvent::OntSignalChanged { .. } => "OntSignalChanged",
            OntEvent::OntVanished => "OntVanished",
            OntEvent::OntDeleted { .. } => "OntDeleted",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GponError {
    #[error("nothing changed")]
    Unchanged,
    #[error("{}", .0.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(&'static str, String)>),
    #[error("{0}")]
    Refused(String),
}

impl crate::DomainError for GponError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            GponError::Invalid(e) => e.clone(),
            other => vec![(crate::FORM, other.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, GponError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ont {
    pub seen: Option<OntSeen>,
    /// Not on its OLT any more (vanished or deleted).
    pub gone: bool,
}

impl Ont {
    pub fn decide(&self, command: OntCommand) -> Result<Vec<OntEvent>, GponError> {
        match command {
            OntCommand::Observe(seen) => Ok(self.changes(seen, None)),
            OntCommand::Register {
                seen,
                job_id,
                profile,
            } => Ok(self.changes(seen, Some((job_id, profile)))),
            OntCommand::Vanish if self.seen.is_some() && !self.gone => {
                Ok(vec![OntEvent::OntVanished])
            }
            OntCommand::Delete { job_id } if self.seen.is_some() && !self.gone => {
                Ok(vec![OntEvent::OntDeleted { job_id }])
            }
            OntCommand::Vanish | OntCommand::Delete { .. } => Err(GponError::Unchanged),
        }
        .and_then(|events| {
            if events.is_empty() {
                Err(GponError::Unchanged)
            } else {
                Ok(events)
            }
        })
    }

    fn changes(&self, seen: OntSeen, registered: Option<(String, String)>) -> Vec<OntEvent> {
        let old = match (&self.seen, self.gone) {
            (Some(old), false) => old,
            _ => {
                return vec![match registered {
                    Some((job_id, profile)) => OntEvent::OntRegistered {
                        seen,
                        job_id,
                        profile,
                    },
                    None => OntEvent::OntDiscovered(seen),
                }]
            }
        };
        let mut out = Vec::new();
        if let Some((job_id, profile)) = registered {
            out.push(OntEvent::OntRegistered {
                seen: seen.clone(),
                job_id,
                profile,
            });
            return out;
        }
        if old.port != seen.port || old.ont_id != seen.ont_id {
            out.push(OntEvent::OntMoved {
                port: seen.port.clone(),
                ont_id: seen.ont_id,
            });
        }
        // An unknown state is no news: a half-read answer must not flap it.
        if seen.run != old.run && seen.run != "unknown" {
            if seen.run == "online" {
                out.push(OntEvent::OntCameOnline);
            } else {
                out.push(OntEvent::OntWentOffline {
                    cause: seen.last_down_cause.clone(),
                });
            }
        }
        // An empty one is not known (ZTE's lists do not carry it; a Huawei
        // description is never empty): no news either.
        if !seen.description.is_empty() && seen.description != old.description {
            out.push(OntEvent::OntDescribed {
                description: seen.description.clone(),
            });
        }
        // Offline ONTs have no reading: that is the state change, not a signal one.
        if seen.signal != old.signal && seen.run == "online" {
            out.push(OntEvent::OntSignalChanged {
                from: old.signal.clone(),
                to: seen.signal.clone(),
            });
        }
        out
    }
}

impl Aggregate for Ont {
    const TYPE: &'static str = "Ont";
    type Command = OntCommand;
    type Event = OntEvent;
    type Error = GponError;
    type Services = ();

    async fn handle(
        &mut self,
        command: OntCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GponError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: OntEvent) {
        match event {
            OntEvent::OntDiscovered(seen) | OntEvent::OntRegistered { seen, .. } => {
                self.seen = Some(seen);
                self.gone = false;
            }
            OntEvent::OntMoved { port, ont_id } => {
                if let Some(s) = &mut self.seen {
                    s.port = port;
                    s.ont_id = ont_id;
                }
            }
            OntEvent::OntWentOffline { cause } => {
                if let Some(s) = &mut self.seen {
                    s.run = "offline".into();
                    s.last_down_cause = cause;
                    s.signal = "none".into();
                }
            }
            OntEvent::OntCameOnline => {
                if let Some(s) = &mut self.seen {
                    s.run = "online".into();
                }
            }
            OntEvent::OntDescribed { description } => {
                if let Some(s) = &mut self.seen {
                    s.description = description;
                }
            }
            OntEvent::OntSignalChanged { to, .. } => {
                if let Some(s) = &mut self.seen {
                    s.signal = to;
                }
            }
            OntEvent::OntVanished | OntEvent::OntDeleted { .. } => self.gone = true,
        }
    }
}

// ---------------------------------------------------------------- OLT

/// A board as the inventory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardInfo {
    pub slot: u8,
    pub name: String,
    pub status: String,
    pub gpon_ports: u8,
}

/// A profile on the OLT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OltProfileInfo {
    pub id: u32,
    pub name: String,
}

/// The OLT's inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub boards: Vec<BoardInfo>,
    pub line_profiles: Vec<OltProfileInfo>,
    pub service_profiles: Vec<OltProfileInfo>,
}

/// An ONT waiting in autofind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutofindEntry {
    pub port: String,
    pub sn: String,
    pub vendor_sn: String,
    pub equipment_id: Option<String>,
    pub version: Option<String>,
    pub software_version: Option<String>,
    /// As the OLT printed it.
    pub found_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum GponOltCommand {
    Inventory(Inventory),
    /// The whole autofind list as polled now.
    Autofind(Vec<AutofindEntry>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GponOltEvent {
    OltInventoried(Inventory),
    AutofindAppeared(AutofindEntry),
    AutofindGone { port: String, sn: String },
}

impl DomainEvent for GponOltEvent {
    fn event_type(&self) -> String {
        match self {
            GponOltEvent::OltInventoried(_) => "OltInventoried",
            GponOltEvent::AutofindAppeared(_) => "AutofindAppeared",
            GponOltEvent::AutofindGone { .. } => "AutofindGone",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GponOlt {
    pub inventory: Option<Inventory>,
    pub autofind: Vec<AutofindEntry>,
}

impl GponOlt {
    pub fn decide(&self, command: GponOltCommand) -> Result<Vec<GponOltEvent>, GponError> {
        let events = match command {
            GponOltCommand::Inventory(inv) if self.inventory.as_ref() != Some(&inv) => {
                vec![GponOltEvent::OltInventoried(inv)]
            }
            GponOltCommand::Inventory(_) => Vec::new(),
            GponOltCommand::Autofind(now) => {
                let key = |e: &AutofindEntry| (e.port.clone(), e.sn.clone());
                let mut out: Vec<GponOltEvent> = self
                    .autofind
                    .iter()
                    .filter(|old| !now.iter().any(|n| key(n) == key(old)))
                    .map(|old| GponOltEvent::AutofindGone {
                        port: old.port.clone(),
                        sn: old.sn.clone(),
                    })
                    .collect();
                let mut added: Vec<(String, String)> = Vec::new();
                for n in now {
                    let k = key(&n);
                    if !self.autofind.iter().any(|o| key(o) == k) && !added.contains(&k) {
                        added.push(k);
                        out.push(GponOltEvent::AutofindAppeared(n));
                    }
                }
                out
            }
        };
        if events.is_empty() {
            Err(GponError::Unchanged)
        } else {
            Ok(events)
        }
    }
}

impl Aggregate for GponOlt {
    const TYPE: &'static str = "GponOlt";
    type Command = GponOltCommand;
    type Event = GponOltEvent;
    type Error = GponError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GponOltCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GponError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: GponOltEvent) {
        match event {
            GponOltEvent::OltInventoried(inv) => self.inventory = Some(inv),
            GponOltEvent::AutofindAppeared(e) => self.autofind.push(e),
            GponOltEvent::AutofindGone { port, sn } => {
                self.autofind.retain(|e| !(e.port == port && e.sn == sn))
            }
        }
    }
}

// ---------------------------------------------------------------- profiles

/// VLANs a profile may use.
pub const VLAN: RangeInclusive<u32> = 1..=4094;
/// GEM port indexes.
pub const GEMPORT: RangeInclusive<u32> = 0..=1023;
/// OLT profile ids.
pub const PROFILE_ID: RangeInclusive<u32> = 0..=8191;

/// A local registration profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileValues {
    pub name: String,
    pub vlan: u32,
    pub gemport: u32,
    pub line_profile_id: u32,
    pub service_profile_id: u32,
    /// Bridge-type ONTs (HG8310 class) get the native VLAN on eth 1.
    pub bridge: bool,
    /// ZTE: the ONU type to register with (`ZTE-F601`); empty elsewhere.
    pub onu_type: String,
}

impl ProfileValues {
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            out.push(("name", "a name is needed".to_string()));
        } else if name.chars().count() > 64 {
            out.push(("name", "at most 64 characters".to_string()));
        }
        if !VLAN.contains(&self.vlan) {
            out.push(("vlan", out_of_range(&VLAN, "")));
        }
        if !GEMPORT.contains(&self.gemport) {
            out.push(("gemport", out_of_range(&GEMPORT, "")));
        }
        if !PROFILE_ID.contains(&self.line_profile_id) {
            out.push(("line_profile_id", out_of_range(&PROFILE_ID, "")));
        }
        if !PROFILE_ID.contains(&self.service_profile_id) {
            out.push(("service_profile_id", out_of_range(&PROFILE_ID, "")));
        }
        if !self
            .onu_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || self.onu_type.len() > 32
        {
            out.push((
                "onu_type",
                "letters, digits, - _ . only, at most 32".to_string(),
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum GponProfileCommand {
    Save(ProfileValues),
    Remove,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GponProfileEvent {
    GponProfileSaved(ProfileValues),
    GponProfileRemoved,
}

impl DomainEvent for GponProfileEvent {
    fn event_type(&self) -> String {
        match self {
            GponProfileEvent::GponProfileSaved(_) => "GponProfileSaved",
            GponProfileEvent::GponProfileRemoved => "GponProfileRemoved",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GponProfile {
    pub values: Option<ProfileValues>,
    pub removed: bool,
}

impl GponProfile {
    pub fn decide(&self, command: GponProfileCommand) -> Result<Vec<GponProfileEvent>, GponError> {
        match command {
            GponProfileCommand::Save(mut v) => {
                v.name = v.name.trim().to_string();
                let errors = v.errors();
                if !errors.is_empty() {
                    return Err(GponError::Invalid(errors));
                }
                if self.removed {
                    return Err(GponError::Refused("this profile was removed".into()));
                }
                if self.values.as_ref() == Some(&v) {
                    return Err(GponError::Unchanged);
                }
                Ok(vec![GponProfileEvent::GponProfileSaved(v)])
            }
            GponProfileCommand::Remove if self.values.is_some() && !self.removed => {
                Ok(vec![GponProfileEvent::GponProfileRemoved])
            }
            GponProfileCommand::Remove => Err(GponError::Unchanged),
        }
    }
}

impl Aggregate for GponProfile {
    const TYPE: &'static str = "GponProfile";
    type Command = GponProfileCommand;
    type Event = GponProfileEvent;
    type Error = GponError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GponProfileCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GponError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: GponProfileEvent) {
        match event {
            GponProfileEvent::GponProfileSaved(v) => self.values = Some(v),
            GponProfileEvent::GponProfileRemoved => self.removed = true,
        }
    }
}

// ---------------------------------------------------------------- settings

/// The id of the one settings aggregate.
pub const SETTINGS_ID: &str = "gpon";
/// Seconds between state-and-optics polls.
pub const POLL_SECS: RangeInclusive<u32> = 60..=86_400;
/// Seconds between autofind polls.
pub const AUTOFIND_SECS: RangeInclusive<u32> = 10..=3_600;
/// CLI sessions at once per OLT.
pub const SESSIONS: RangeInclusive<u32> = 1..=8;
/// Commands per minute per OLT.
pub const COMMANDS_PER_MIN: RangeInclusive<u32> = 10..=6_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GponSettingsValues {
    pub poll_secs: u32,
    pub autofind_secs: u32,
    pub max_sessions: u32,
    pub commands_per_min: u32,
    /// Rx above this overloads the receiver (dBm).
    pub rx_high: f64,
    /// Rx at or above this is good.
    pub rx_good: f64,
    /// Rx at or above this is marginal; below it bad.
    pub rx_marginal: f64,
}

impl Default for GponSettingsValues {
    fn default() -> Self {
        Self {
            poll_secs: 300,
            autofind_secs: 60,
            max_sessions: 2,
            commands_per_min: 600,
            rx_high: -8.0,
            rx_good: -27.0,
            rx_marginal: -30.0,
        }
    }
}

impl GponSettingsValues {
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !POLL_SECS.contains(&self.poll_secs) {
            out.push(("poll_secs", out_of_range(&POLL_SECS, " s")));
        }
        if !AUTOFIND_SECS.contains(&self.autofind_secs) {
            out.push(("autofind_secs", out_of_range(&AUTOFIND_SECS, " s")));
        }
        if !SESSIONS.contains(&self.max_sessions) {
            out.push(("max_sessions", out_of_range(&SESSIONS, "")));
        }
        if !COMMANDS_PER_MIN.contains(&self.commands_per_min) {
            out.push(("commands_per_min", out_of_range(&COMMANDS_PER_MIN, "")));
        }
        let finite = [self.rx_high, self.rx_good, self.rx_marginal]
            .iter()
            .all(|v| v.is_finite() && (-50.0..=10.0).contains(v));
        if !finite {
            out.push((
                "rx_good",
                "thresholds are dBm between −50 and 10".to_string(),
            ));
        } else if !(self.rx_high > self.rx_good && self.rx_good > self.rx_marginal) {
            out.push((
                "rx_good",
                "needs overload > good > marginal (e.g. −8 > −27 > −30)".to_string(),
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum GponSettingsCommand {
    Change(GponSettingsValues),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GponSettingsEvent {
    GponSettingsChanged(GponSettingsValues),
}

impl DomainEvent for GponSettingsEvent {
    fn event_type(&self) -> String {
        "GponSettingsChanged".to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GponSettings {
    pub values: GponSettingsValues,
}

impl GponSettings {
    pub fn decide(
        &self,
        command: GponSettingsCommand,
    ) -> Result<Vec<GponSettingsEvent>, GponError> {
        let GponSettingsCommand::Change(v) = command;
        let errors = v.errors();
        if !errors.is_empty() {
            return Err(GponError::Invalid(errors));
        }
        if v == self.values {
            return Err(GponError::Unchanged);
        }
        Ok(vec![GponSettingsEvent::GponSettingsChanged(v)])
    }
}

impl Aggregate for GponSettings {
    const TYPE: &'static str = "GponSettings";
    type Command = GponSettingsCommand;
    type Event = GponSettingsEvent;
    type Error = GponError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GponSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GponError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: GponSettingsEvent) {
        let GponSettingsEvent::GponSettingsChanged(v) = event;
        self.values = v;
    }
}

// ---------------------------------------------------------------- sagas

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    Register {
        /// The local profile as it was when the job was asked for.
        profile_id: String,
        profile: ProfileValues,
        /// From autofind (`ont confirm`) or by hand (`ont add`).
        from_autofind: bool,
        /// The subscriber this ONT is for, if any (a connection request).
        subscriber_id: Option<String>,
    },
    Delete {
        ont_id: u32,
    },
}

/// A job as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    pub olt_id: String,
    pub olt_name: String,
    pub port: String,
    pub sn: String,
    /// The ONT's description (`desc "…"`).
    pub name: String,
    pub kind: JobKind,
}

/// A registration's steps, in order; a deletion's likewise.
pub const REGISTER_STEPS: [&str; 5] = ["check", "add-ont", "service-port", "native-vlan", "save"];
pub const DELETE_STEPS: [&str; 4] = ["find", "service-ports", "delete-ont", "save"];

/// One step as it ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub name: String,
    /// `running`, `done`, `failed`, `skipped`.
    pub status: String,
    /// What the CLI said, secrets masked.
    pub transcript: String,
    /// The OLT's refusal (`Failure: …`) or our reason.
    pub failure: Option<String>,
    /// What the step learnt (`ont_id=5`, `service_port=12`).
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum GponJobCommand {
    Request(JobRequest),
    StartStep {
        step: usize,
    },
    FinishStep {
        step: usize,
        ok: bool,
        skipped: bool,
        transcript: String,
        failure: Option<String>,
        values: Vec<(String, String)>,
    },
    StartCompensation,
    FinishCompensation {
        ok: bool,
        transcript: String,
        failure: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GponJobEvent {
    GponJobRequested(JobRequest),
    GponStepStarted {
        step: usize,
        name: String,
    },
    GponStepFinished {
        step: usize,
        record: StepRecord,
    },
    GponCompensationStarted,
    /// The job is over: `succeeded`, `failed` (compensated), or
    /// `failed-dirty` (the compensation itself failed: look at the OLT).
    GponJobEnded {
        outcome: String,
        failure: Option<String>,
        compensation: Option<String>,
        /// Released with the end: the keys the request claimed.
        olt_id: String,
        port: String,
        sn: String,
    },
}

impl DomainEvent for GponJobEvent {
    fn event_type(&self) -> String {
        match self {
            GponJobEvent::GponJobRequested(_) => "GponJobRequested",
            GponJobEvent::GponStepStarted { .. } => "GponStepStarted",
            GponJobEvent::GponStepFinished { .. } => "GponStepFinished",
            GponJobEvent::GponCompensationStarted => "GponCompensationStarted",
            GponJobEvent::GponJobEnded { .. } => "GponJobEnded",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

/// What the saga does next, read from the job's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Run step `n` (not started yet).
    Step(usize),
    /// Step `n` was started and never finished (ispmon stopped mid-step):
    /// it is failed as interrupted, then compensated.
    Interrupted(usize),
    /// Undo what was done (started anew after a crash: it is idempotent).
    Compensate,
    Done,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GponJob {
    pub request: Option<JobRequest>,
    pub steps: Vec<StepRecord>,
    pub compensating: bool,
    pub outcome: Option<String>,
}

impl GponJob {
    pub fn step_names(&self) -> &'static [&'static str] {
        match self.request.as_ref().map(|r| &r.kind) {
            Some(JobKind::Delete { .. }) => &DELETE_STEPS,
            _ => &REGISTER_STEPS,
        }
    }

    /// A value a finished step learnt.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.steps
            .iter()
            .flat_map(|s| s.values.iter())
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn next(&self) -> Next {
        if self.request.is_none() || self.outcome.is_some() {
            return Next::Done;
        }
        if self.compensating {
            return Next::Compensate;
        }
        match self.steps.last() {
            Some(s) if s.status == "running" => Next::Interrupted(self.steps.len() - 1),
            Some(s) if s.status == "failed" => Next::Compensate,
            _ if self.steps.len() >= self.step_names().len() => Next::Done,
            _ => Next::Step(self.steps.len()),
        }
    }

    fn ended(&self, outcome: &str, failure: Option<String>, comp: Option<String>) -> GponJobEvent {
        let r = self.request.as_ref().expect("requested");
        GponJobEvent::GponJobEnded {
            outcome: outcome.to_string(),
            failure,
            compensation: comp,
            olt_id: r.olt_id.clone(),
            port: r.port.clone(),
            sn: r.sn.clone(),
        }
    }

    pub fn decide(&self, command: GponJobCommand) -> Result<Vec<GponJobEvent>, GponError> {
        let over = || GponError::Refused("this job is over".to_string());
        match command {
            GponJobCommand::Request(r) => {
                if self.request.is_some() {
                    return Err(GponError::Refused("this job was already asked for".into()));
                }
                let mut errors = Vec::new();
                if r.sn.len() != 16 || !r.sn.chars().all(|c| c.is_ascii_hexdigit()) {
                    errors.push(("sn", "not a serial number".to_string()));
                }
                if r.port.is_empty() {
                    errors.push(("port", "a port is needed".to_string()));
                }
                if let JobKind::Register { profile, .. } = &r.kind {
                    errors.extend(profile.errors());
                    if !description_ok(&r.name) {
                        errors.push((
                            "name",
                            "1–64 printable characters without quotes".to_string(),
                        ));
                    }
                }
                if !errors.is_empty() {
                    return Err(GponError::Invalid(errors));
                }
                Ok(vec![GponJobEvent::GponJobRequested(r)])
            }
            GponJobCommand::StartStep { step } => {
                if self.next() != Next::Step(step) {
                    return Err(GponError::Refused(format!("step {step} is not next")));
                }
                Ok(vec![GponJobEvent::GponStepStarted {
                    step,
                    name: self.step_names()[step].to_string(),
                }])
            }
            GponJobCommand::FinishStep {
                step,
                ok,
                skipped,
                transcript,
                failure,
                values,
            } => {
                if !matches!(self.next(), Next::Interrupted(n) if n == step) {
                    return Err(GponError::Refused(format!("step {step} is not running")));
                }
                let record = StepRecord {
                    name: self.step_names()[step].to_string(),
                    status: if !ok {
                        "failed"
                    } else if skipped {
                        "skipped"
                    } else {
                        "done"
                    }
                    .to_string(),
                    transcript,
                    failure,
                    values,
                };
                let mut out = vec![GponJobEvent::GponStepFinished { step, record }];
                if ok && step + 1 == self.step_names().len() {
                    out.push(self.ended("succeeded", None, None));
                }
                Ok(out)
            }
            GponJobCommand::StartCompensation => match self.next() {
                Next::Compensate if !self.compensating => {
                    Ok(vec![GponJobEvent::GponCompensationStarted])
                }
                Next::Compensate => Err(GponError::Unchanged),
                _ => Err(over()),
            },
            GponJobCommand::FinishCompensation {
                ok,
                transcript,
                failure,
            } => {
                if !self.compensating || self.outcome.is_some() {
                    return Err(over());
                }
                let why = self
                    .steps
                    .iter()
                    .rev()
                    .find(|s| s.status == "failed")
                    .map(|s| format!("{}: {}", s.name, s.failure.as_deref().unwrap_or("failed")));
                let comp = if ok {
                    transcript
                } else {
                    format!(
                        "{}\n{transcript}",
                        failure.unwrap_or_else(|| "compensation failed".into())
                    )
                };
                Ok(vec![self.ended(
                    if ok { "failed" } else { "failed-dirty" },
                    why,
                    Some(comp),
                )])
            }
        }
    }
}

/// A description the OLT takes inside `desc "…"`: 1–64 printable ASCII
/// characters, no quotes.
pub fn description_ok(s: &str) -> bool {
    let n = s.chars().count();
    (1..=64).contains(&n) && s.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !s.contains('"')
}

impl Aggregate for GponJob {
    const TYPE: &'static str = "GponJob";
    type Command = GponJobCommand;
    type Event = GponJobEvent;
    type Error = GponError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GponJobCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), GponError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: GponJobEvent) {
        match event {
            GponJobEvent::GponJobRequested(r) => self.request = Some(r),
            GponJobEvent::GponStepStarted { name, .. } => self.steps.push(StepRecord {
                name,
                status: "running".into(),
                ..StepRecord::default()
            }),
            GponJobEvent::GponStepFinished { step, record } => {
                if let Some(s) = self.steps.get_mut(step) {
                    *s = record;
                }
            }
            GponJobEvent::GponCompensationStarted => self.compensating = true,
            GponJobEvent::GponJobEnded { outcome, .. } => self.outcome = Some(outcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(run: &str, signal: &str) -> OntSeen {
        OntSeen {
            olt_id: "olt-1".into(),
            port: "0/1/0".into(),
            ont_id: 3,
            sn: "48575443CCB59A20".into(),
            description: "ivanov".into(),
            run: run.into(),
            last_down_cause: None,
            signal: signal.into(),
        }
    }

    fn with(events: Vec<OntEvent>) -> Ont {
        let mut o = Ont::default();
        for e in events {
            o.apply(e);
        }
        o
    }

    #[test]
    fn an_ont_writes_only_its_changes() {
        let first = Ont::default()
            .decide(OntCommand::Observe(seen("online", "good")))
            .unwrap();
        assert_eq!(first, vec![OntEvent::OntDiscovered(seen("online", "good"))]);
        let o = with(first);
        assert_eq!(
            o.decide(OntCommand::Observe(seen("online", "good"))),
            Err(GponError::Unchanged),
            "the same again is no event"
        );
        let mut down = seen("offline", "none");
        down.last_down_cause = Some("dying-gasp".into());
        assert_eq!(
            o.decide(OntCommand::Observe(down)).unwrap(),
            vec![OntEvent::OntWentOffline {
                cause: Some("dying-gasp".into())
            }],
            "going offline is one event with the cause, not a signal change too"
        );
        assert_eq!(
            o.decide(OntCommand::Observe(seen("unknown", "good"))),
            Err(GponError::Unchanged),
            "an unknown state changes nothing"
        );
        assert_eq!(
            o.decide(OntCommand::Observe(seen("online", "marginal")))
                .unwrap(),
            vec![OntEvent::OntSignalChanged {
                from: "good".into(),
                to: "marginal".into()
            }]
        );
        let vanished = with(vec![
            OntEvent::OntDiscovered(seen("online", "good")),
            OntEvent::OntVanished,
        ]);
        assert_eq!(
            vanished.decide(OntCommand::Vanish),
            Err(GponError::Unchanged)
        );
        assert_eq!(
            vanished
                .decide(OntCommand::Observe(seen("online", "good")))
                .unwrap(),
            vec![OntEvent::OntDiscovered(seen("online", "good"))],
            "seen again after it vanished"
        );
    }

    #[test]
    fn autofind_writes_what_appeared_and_what_went() {
        let e = |port: &str, sn: &str| AutofindEntry {
            port: port.into(),
            sn: sn.into(),
            vendor_sn: String::new(),
            equipment_id: None,
            version: None,
            software_version: None,
            found_at: None,
        };
        let mut olt = GponOlt::default();
        let ev = olt
            .decide(GponOltCommand::Autofind(vec![
                e("0/1/0", "A"),
                e("0/1/1", "B"),
            ]))
            .unwrap();
        assert_eq!(ev.len(), 2);
        for x in ev {
            olt.apply(x);
        }
        assert_eq!(
            olt.decide(GponOltCommand::Autofind(vec![
                e("0/1/1", "B"),
                e("0/1/0", "A")
            ])),
            Err(GponError::Unchanged),
            "order does not matter"
        );
        assert_eq!(
            olt.decide(GponOltCommand::Autofind(vec![
                e("0/1/1", "B"),
                e("0/1/2", "C")
            ]))
            .unwrap(),
            vec![
                GponOltEvent::AutofindGone {
                    port: "0/1/0".into(),
                    sn: "A".into()
                },
                GponOltEvent::AutofindAppeared(e("0/1/2", "C"))
            ]
        );
    }

    fn profile() -> ProfileValues {
        ProfileValues {
            name: "ftth".into(),
            vlan: 100,
            gemport: 1,
            line_profile_id: 10,
            service_profile_id: 10,
            bridge: true,
            onu_type: String::new(),
        }
    }

    fn request() -> JobRequest {
        JobRequest {
            olt_id: "olt-1".into(),
            olt_name: "OLT".into(),
            port: "0/1/0".into(),
            sn: "48575443CCB59A20".into(),
            name: "ivanov".into(),
            kind: JobKind::Register {
                profile_id: "p1".into(),
                profile: profile(),
                from_autofind: true,
                subscriber_id: None,
            },
        }
    }

    fn run(job: &mut GponJob, c: GponJobCommand) -> Result<(), GponError> {
        for e in job.decide(c)? {
            job.apply(e);
        }
        Ok(())
    }

    fn finish(step: usize, ok: bool) -> GponJobCommand {
        GponJobCommand::FinishStep {
            step,
            ok,
            skipped: false,
            transcript: "t".into(),
            failure: (!ok).then(|| "Failure: x".into()),
            values: vec![],
        }
    }

    #[test]
    fn a_registration_runs_its_steps_in_order_and_ends() {
        let mut job = GponJob::default();
        run(&mut job, GponJobCommand::Request(request())).unwrap();
        for step in 0..REGISTER_STEPS.len() {
            assert_eq!(job.next(), Next::Step(step));
            assert!(run(&mut job, GponJobCommand::StartStep { step: step + 1 }).is_err());
            run(&mut job, GponJobCommand::StartStep { step }).unwrap();
            assert_eq!(job.next(), Next::Interrupted(step), "started, not finished");
            run(&mut job, finish(step, true)).unwrap();
        }
        assert_eq!(job.outcome.as_deref(), Some("succeeded"));
        assert_eq!(job.next(), Next::Done);
    }

    #[test]
    fn a_failed_step_is_compensated_and_a_bad_request_refused() {
        let mut job = GponJob::default();
        run(&mut job, GponJobCommand::Request(request())).unwrap();
        run(&mut job, GponJobCommand::StartStep { step: 0 }).unwrap();
        run(&mut job, finish(0, true)).unwrap();
        run(&mut job, GponJobCommand::StartStep { step: 1 }).unwrap();
        run(&mut job, finish(1, false)).unwrap();
        assert_eq!(job.next(), Next::Compensate);
        run(&mut job, GponJobCommand::StartCompensation).unwrap();
        assert_eq!(
            job.next(),
            Next::Compensate,
            "a crash here compensates again"
        );
        let ended = job
            .decide(GponJobCommand::FinishCompensation {
                ok: true,
                transcript: "undone".into(),
                failure: None,
            })
            .unwrap();
        match &ended[0] {
            GponJobEvent::GponJobEnded {
                outcome, failure, ..
            } => {
                assert_eq!(outcome, "failed");
                assert_eq!(failure.as_deref(), Some("add-ont: Failure: x"));
            }
            other => panic!("{other:?}"),
        }
        let mut bad = request();
        bad.sn = "HWTC".into();
        bad.name = "a\"b".into();
        let err = GponJob::default()
            .decide(GponJobCommand::Request(bad))
            .unwrap_err();
        let fields: Vec<_> = crate::DomainError::field_errors(&err)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec!["sn", "name"]);
    }
}
