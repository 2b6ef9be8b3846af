//! The Device aggregate: a network device ispmon logs into (switch, OLT, NAS,
//! router), its credentials by reference, and the versions of its stored
//! config.
//!
//! Passwords never enter events: the edge seals them into the secrets table
//! and the events carry the [`SecretRef`](crate::secrets::SecretRef) id only.
//! Config texts live in the blob store; events carry their sha256.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::fdb_settings::FDB_INTERVAL_MIN;

/// How ispmon reaches a device's CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeviceTransport {
    #[default]
    Ssh,
    Telnet,
}

impl DeviceTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceTransport::Ssh => "ssh",
            DeviceTransport::Telnet => "telnet",
        }
    }

    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ssh" => Ok(DeviceTransport::Ssh),
            "telnet" => Ok(DeviceTransport::Telnet),
            _ => Err("the transport must be ssh or telnet"),
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            DeviceTransport::Ssh => 22,
            DeviceTransport::Telnet => 23,
        }
    }
}

/// What a device is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceRole {
    Switch,
    Olt,
    Nas,
    Router,
}

impl DeviceRole {
    pub const ALL: [DeviceRole; 4] = [
        DeviceRole::Switch,
        DeviceRole::Olt,
        DeviceRole::Nas,
        DeviceRole::Router,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Switch => "switch",
            DeviceRole::Olt => "olt",
            DeviceRole::Nas => "nas",
            DeviceRole::Router => "router",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim().to_ascii_lowercase())
    }
}

/// Everything about a device except its secrets and history. Built at the
/// edge through [`DeviceProfile::parse`], so the aggregate sees clean values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeviceProfile {
    pub name: String,
    /// IP address or DNS name of the management interface.
    pub address: String,
    pub port: u16,
    pub transport: DeviceTransport,
    /// Dialect slug (`"cisco-ios"`, …), checked against the known dialects at
    /// the edge.
    pub dialect: String,
    pub roles: Vec<DeviceRole>,
    pub login: String,
    /// Offer legacy SSH key exchange and host-key algorithms (old gear).
    pub legacy_ssh: bool,
    pub tags: Vec<String>,
    /// The ICMP host this device is, if any.
    pub host: Option<String>,
    /// Its own config-pull cron expression; `None` inherits the default.
    pub pull_schedule: Option<String>,
    /// Replace passwords and keys in stored configs with `<masked>`.
    pub mask_secrets: bool,
    /// The management interface's MAC, lower-case colon form: a switch
    /// port that shows it leads to this device (an uplink for Search Port).
    /// Absent from events recorded before devices had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mgmt_mac: Option<String>,
    /// A switch's own FDB collection interval in minutes; `None` follows
    /// the Search Port settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fdb_interval_min: Option<u32>,
}

/// Raw form fields for a device profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: String,
    pub address: String,
    pub port: String,
    pub transport: String,
    pub dialect: String,
    pub roles: Vec<String>,
    pub login: String,
    pub legacy_ssh: bool,
    pub tags: String,
    pub host: Option<String>,
    pub pull_schedule: Option<String>,
    pub mask_secrets: bool,
    /// In any notation the edge's MAC reader takes; blank = none.
    pub mgmt_mac: Option<String>,
    /// Whole minutes; blank = the Search Port setting.
    pub fdb_interval_min: Option<String>,
}

/// A field error: (field name, message).
pub type FieldError = (&'static str, String);

fn field_err(field: &'static str, msg: impl Into<String>) -> FieldError {
    (field, msg.into())
}

/// Checks a management address: an IP address, or a DNS name of letters,
/// digits, dots and dashes.
pub fn parse_address(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an address is required".into());
    }
    if let Ok(ip) = t.parse::<std::net::IpAddr>() {
        return Ok(ip.to_string());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let looks_like_ip = t.chars().all(|c| c.is_ascii_digit() || c == '.');
    if t.len() > 253 || looks_like_ip || !t.split('.').all(label_ok) {
        return Err(format!("“{t}” is neither an IP address nor a host name"));
    }
    Ok(t.to_ascii_lowercase())
}

impl DeviceProfile {
    /// Validates the form. `dialect_ok`, `cron_ok` and `mac_of` come from
    /// the edge (the dialect list and the MAC notations live with the
    /// parsers, cron parsing with the scheduler): the first two return a
    /// message when the value is not acceptable, `mac_of` the MAC in
    /// lower-case colon form, or `None` when the text is not a MAC.
    pub fn parse(
        input: &ProfileInput,
        dialect_ok: impl Fn(&str) -> Result<(), String>,
        cron_ok: impl Fn(&str) -> Result<(), String>,
        mac_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FieldError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(field_err(
                "name",
                "a device name must be 1 to 64 characters",
            ));
        }
        let address = parse_address(&input.address).map_err(|m| field_err("address", m))?;
        let transport = if input.transport.trim().is_empty() {
            DeviceTransport::Ssh
        } else {
            DeviceTransport::parse(&input.transport).map_err(|m| field_err("transport", m))?
        };
        let port = if input.port.trim().is_empty() {
            transport.default_port()
        } else {
            match input.port.trim().parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    return Err(field_err(
                        "port",
                        "the port must be a number from 1 to 65535",
                    ))
                }
            }
        };
        let dialect = input.dialect.trim().to_string();
        if dialect.is_empty() {
            return Err(field_err("dialect", "choose a dialect"));
        }
        dialect_ok(&dialect).map_err(|m| field_err("dialect", m))?;
        let mut roles = Vec::new();
        for r in input.roles.iter().filter(|r| !r.trim().is_empty()) {
            let role = DeviceRole::parse(r)
                .ok_or_else(|| field_err("roles", format!("unknown role “{}”", r.trim())))?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles.sort();
        let login = input.login.trim();
        if login.is_empty() || login.chars().count() > 64 {
            return Err(field_err(
                "login",
                "a login of 1 to 64 characters is required",
            ));
        }
        let mut tags: Vec<String> = Vec::new();
        for t in input
            .tags
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if t.chars().count() > 32 {
                return Err(field_err("tags", "a tag is at most 32 characters"));
            }
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
        let host = input
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string);
        let pull_schedule = match input.pull_schedule.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => {
                cron_ok(c).map_err(|m| field_err("pull_schedule", m))?;
                Some(c.to_string())
            }
        };
        let mgmt_mac = match input.mgmt_mac.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(m) => Some(mac_of(m).ok_or_else(|| {
                field_err(
                    "mgmt_mac",
                    format!(
                        "“{m}” is not a MAC address: a MAC has 12 hex digits, as \
                         aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff"
                    ),
                )
            })?),
        };
        let fdb_interval_min = match input.fdb_interval_min.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(m) => match m.parse::<u32>() {
                Ok(n) if FDB_INTERVAL_MIN.contains(&n) => Some(n),
                _ => {
                    return Err(field_err(
                        "fdb_interval_min",
                        format!(
                            "the FDB interval is a whole number of minutes from {} to {}, \
                             or empty for the Search Port setting",
                            FDB_INTERVAL_MIN.start(),
                            FDB_INTERVAL_MIN.end()
                        ),
                    ))
                }
            },
        };
        Ok(DeviceProfile {
            name: name.to_string(),
            address,
            port,
            transport,
            dialect,
            roles,
            login: login.to_string(),
            legacy_ssh: input.legacy_ssh,
            tags,
            host,
            pull_schedule,
            mask_secrets: input.mask_secrets,
            mgmt_mac,
            fdb_interval_min,
        })
    }
}

/// A sealed SSH private key: the secret's id and the public key's
/// fingerprint (not secret; shown on the device page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyRef {
    pub key_ref: String,
    pub fingerprint: String,
}

/// Who or what pulled a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConfig {
    /// sha256 (hex) of the normalised text, the blob store key.
    pub hash: String,
    pub size: u64,
    pub lines: u64,
    /// Lines added and removed against the previous version.
    pub added: u64,
    pub removed: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum DeviceCommand {
    Register {
        profile: DeviceProfile,
        /// Empty when the device logs in by SSH key only.
        password_ref: String,
        enable_ref: Option<String>,
        /// A sealed SSH private key and its public fingerprint.
        ssh_key: Option<SshKeyRef>,
    },
    Edit {
        profile: DeviceProfile,
    },
    /// New login password (already sealed; the event names the new ref only).
    RotatePassword {
        password_ref: String,
    },
    /// New enable password, or none.
    RotateEnablePassword {
        enable_ref: Option<String>,
    },
    /// A new SSH private key (sealed), or none.
    SetSshKey {
        ssh_key: Option<SshKeyRef>,
    },
    Retire,
    /// First contact over SSH: remember the host key.
    RecordHostKey {
        fingerprint: String,
    },
    /// An admin accepts a changed host key.
    AcceptHostKey {
        fingerprint: String,
    },
    /// A pull succeeded: store a version if the text changed.
    StoreConfig {
        config: StoredConfig,
    },
    /// A pull failed; `seen_host_key` is set when the host key had changed.
    FailPull {
        reason: String,
        seen_host_key: Option<String>,
    },
    /// An admin marks a port an uplink or an access port for Search Port
    /// (`Auto` clears the mark: the collector's rules decide).
    MarkPort {
        port: String,
        mark: PortMark,
    },
}

/// An admin's mark on a switch port; it wins over the collector's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMark {
    Uplink,
    Access,
    Auto,
}

impl PortMark {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "uplink" => Ok(PortMark::Uplink),
            "access" => Ok(PortMark::Access),
            "auto" => Ok(PortMark::Auto),
            other => Err(format!(
                "a port's role is uplink, access or auto, not “{other}”"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PortMark::Uplink => "uplink",
            PortMark::Access => "access",
            PortMark::Auto => "auto",
        }
    }
}

/// Checks a port name as a device prints it: 1 to 64 characters, trimmed,
/// no control characters.
pub fn parse_port(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 64 || t.chars().any(char::is_control) {
        return Err("a port name must be 1 to 64 printable characters".into());
    }
    Ok(t.to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceEvent {
    DeviceRegistered {
        profile: DeviceProfile,
        password_ref: String,
        enable_ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ssh_key: Option<SshKeyRef>,
    },
    DeviceSshKeyChanged {
        ssh_key: Option<SshKeyRef>,
    },
    DeviceEdited {
        profile: DeviceProfile,
        /// The old name when the name changed (releases its reservation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renamed_from: Option<String>,
    },
    DevicePasswordRotated {
        password_ref: String,
    },
    DeviceEnablePasswordRotated {
        enable_ref: Option<String>,
    },
    DeviceRetired {
        name: String,
    },
    DeviceHostKeyRecorded {
        fingerprint: String,
    },
    DeviceHostKeyAccepted {
        from: Option<String>,
        to: String,
    },
    ConfigVersionStored {
        version: u32,
        config: StoredConfig,
    },
    ConfigPullFailed {
        reason: String,
        seen_host_key: Option<String>,
    },
    DevicePortMarked {
        port: String,
        mark: PortMark,
    },
}

impl DomainEvent for DeviceEvent {
    fn event_type(&self) -> String {
        match self {
            DeviceEvent::DeviceRegistered { .. } => "DeviceRegistered",
            DeviceEvent::DeviceEdited { .. } => "DeviceEdited",
            DeviceEvent::DevicePasswordRotated { .. } => "DevicePasswordRotated",
            DeviceEvent::DeviceEnablePasswordRotated { .. } => "DeviceEnablePasswordRotated",
            DeviceEvent::DeviceSshKeyChanged { .. } => "DeviceSshKeyChanged",
            DeviceEvent::DeviceRetired { .. } => "DeviceRetired",
            DeviceEvent::DeviceHostKeyRecorded { .. } => "DeviceHostKeyRecorded",
            DeviceEvent::DeviceHostKeyAccepted { .. } => "DeviceHostKeyAccepted",
            DeviceEvent::ConfigVersionStored { .. } => "ConfigVersionStored",
            DeviceEvent::ConfigPullFailed { .. } => "ConfigPullFailed",
            DeviceEvent::DevicePortMarked { .. } => "DevicePortMarked",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("this device already exists")]
    AlreadyRegistered,
    #[error("no such device")]
    NotFound,
    #[error("this device is retired")]
    Retired,
    #[error("nothing changed")]
    Unchanged,
    #[error("a password is required")]
    MissingPassword,
    #[error("a host key is already recorded; a changed key must be accepted by an admin")]
    HostKeyKnown,
}

impl crate::DomainError for DeviceError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            DeviceError::MissingPassword => vec![("password", self.to_string())],
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, DeviceError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub profile: Option<DeviceProfile>,
    pub password_ref: Option<String>,
    pub enable_ref: Option<String>,
    pub ssh_key: Option<SshKeyRef>,
    pub retired: bool,
    pub host_key: Option<String>,
    pub versions: u32,
    pub last_hash: Option<String>,
    /// Admins' port marks (no entry: auto).
    #[serde(default)]
    pub port_marks: std::collections::BTreeMap<String, PortMark>,
}

impl Device {
    pub fn decide(&self, command: DeviceCommand) -> Result<Vec<DeviceEvent>, DeviceError> {
        if let DeviceCommand::Register {
            profile,
            password_ref,
            enable_ref,
            ssh_key,
        } = command
        {
            if self.profile.is_some() {
                return Err(DeviceError::AlreadyRegistered);
            }
            if password_ref.is_empty() && ssh_key.is_none() {
                return Err(DeviceError::MissingPassword);
            }
            return Ok(vec![DeviceEvent::DeviceRegistered {
                profile,
                password_ref,
                enable_ref,
                ssh_key,
            }]);
        }
        let Some(current) = &self.profile else {
            return Err(DeviceError::NotFound);
        };
        if self.retired {
            return Err(DeviceError::Retired);
        }
        Ok(match command {
            DeviceCommand::Register { .. } => unreachable!("handled above"),
            DeviceCommand::Edit { profile } => {
                if &profile == current {
                    return Err(DeviceError::Unchanged);
                }
                let renamed_from = (profile.name != current.name).then(|| current.name.clone());
                vec![DeviceEvent::DeviceEdited {
                    profile,
                    renamed_from,
                }]
            }
            DeviceCommand::RotatePassword { password_ref } => {
                if password_ref.is_empty() {
                    return Err(DeviceError::MissingPassword);
                }
                vec![DeviceEvent::DevicePasswordRotated { password_ref }]
            }
            DeviceCommand::RotateEnablePassword { enable_ref } => {
                vec![DeviceEvent::DeviceEnablePasswordRotated { enable_ref }]
            }
            DeviceCommand::SetSshKey { ssh_key } => {
                if ssh_key.is_none() && self.ssh_key.is_none() {
                    return Err(DeviceError::Unchanged);
                }
                if ssh_key.is_none() && self.password_ref.as_deref().unwrap_or("").is_empty() {
                    return Err(DeviceError::MissingPassword);
                }
                vec![DeviceEvent::DeviceSshKeyChanged { ssh_key }]
            }
            DeviceCommand::Retire => vec![DeviceEvent::DeviceRetired {
                name: current.name.clone(),
            }],
            DeviceCommand::RecordHostKey { fingerprint } => match &self.host_key {
                Some(k) if *k == fingerprint => Vec::new(),
                Some(_) => return Err(DeviceError::HostKeyKnown),
                None => vec![DeviceEvent::DeviceHostKeyRecorded { fingerprint }],
            },
            DeviceCommand::AcceptHostKey { fingerprint } => {
                if self.host_key.as_deref() == Some(fingerprint.as_str()) {
                    return Err(DeviceError::Unchanged);
                }
                vec![DeviceEvent::DeviceHostKeyAccepted {
                    from: self.host_key.clone(),
                    to: fingerprint,
                }]
            }
            DeviceCommand::StoreConfig { config } => {
                if self.last_hash.as_deref() == Some(config.hash.as_str()) {
                    Vec::new()
                } else {
                    vec![DeviceEvent::ConfigVersionStored {
                        version: self.versions + 1,
                        config,
                    }]
                }
            }
            DeviceCommand::FailPull {
                reason,
                seen_host_key,
            } => vec![DeviceEvent::ConfigPullFailed {
                reason,
                seen_host_key,
            }],
            DeviceCommand::MarkPort { port, mark } => {
                let now = self
                    .port_marks
                    .get(&port)
                    .copied()
                    .unwrap_or(PortMark::Auto);
                if now == mark {
                    return Err(DeviceError::Unchanged);
                }
                vec![DeviceEvent::DevicePortMarked { port, mark }]
            }
        })
    }
}

impl Aggregate for Device {
    const TYPE: &'static str = "Device";
    type Command = DeviceCommand;
    type Event = DeviceEvent;
    type Error = DeviceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DeviceCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DeviceError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: DeviceEvent) {
        match event {
            DeviceEvent::DeviceRegistered {
                profile,
                password_ref,
                enable_ref,
                ssh_key,
            } => {
                self.profile = Some(profile);
                self.password_ref = Some(password_ref);
                self.enable_ref = enable_ref;
                self.ssh_key = ssh_key;
            }
            DeviceEvent::DeviceSshKeyChanged { ssh_key } => self.ssh_key = ssh_key,
            DeviceEvent::DeviceEdited { profile, .. } => self.profile = Some(profile),
            DeviceEvent::DevicePasswordRotated { password_ref } => {
                self.password_ref = Some(password_ref)
            }
            DeviceEvent::DeviceEnablePasswordRotated { enable_ref } => self.enable_ref = enable_ref,
            DeviceEvent::DeviceRetired { .. } => self.retired = true,
            DeviceEvent::DeviceHostKeyRecorded { fingerprint } => self.host_key = Some(fingerprint),
            DeviceEvent::DeviceHostKeyAccepted { to, .. } => self.host_key = Some(to),
            DeviceEvent::ConfigVersionStored { version, config } => {
                self.versions = version;
                self.last_hash = Some(config.hash);
            }
            DeviceEvent::ConfigPullFailed { .. } => {}
            DeviceEvent::DevicePortMarked { port, mark } => {
                if mark == PortMark::Auto {
                    self.port_marks.remove(&port);
                } else {
                    self.port_marks.insert(port, mark);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn input() -> ProfileInput {
        ProfileInput {
            name: " sw-1 ".into(),
            address: "127.0.0.1".into(),
            transport: "telnet".into(),
            dialect: "cisco-ios".into(),
            roles: vec!["switch".into(), "switch".into()],
            login: "admin".into(),
            tags: "core, lab core".into(),
            ..Default::default()
        }
    }

    fn ok(_: &str) -> Result<(), String> {
        Ok(())
    }

    /// The edge's MAC reader, for one notation.
    fn mac(t: &str) -> Option<String> {
        (t.eq_ignore_ascii_case("aabb.ccdd.eeff")).then(|| "aa:bb:cc:dd:ee:ff".into())
    }

    fn profile() -> DeviceProfile {
        DeviceProfile::parse(&input(), ok, ok, mac).unwrap()
    }

    fn registered() -> DeviceEvent {
        DeviceEvent::DeviceRegistered {
            profile: profile(),
            password_ref: "s1".into(),
            enable_ref: None,
            ssh_key: None,
        }
    }

    fn config(hash: &str) -> StoredConfig {
        StoredConfig {
            hash: hash.into(),
            size: 10,
            lines: 2,
            added: 2,
            removed: 0,
        }
    }

    #[test]
    fn profiles_are_cleaned_and_checked() {
        let p = profile();
        assert_eq!(p.name, "sw-1");
        assert_eq!(p.port, 23, "telnet default port");
        assert_eq!(p.roles, vec![DeviceRole::Switch]);
        assert_eq!(p.tags, vec!["core", "lab"]);
        let bad = |f: fn(&mut ProfileInput), field: &str, message: &str| {
            let mut i = input();
            f(&mut i);
            let e = DeviceProfile::parse(&i, ok, ok, mac).unwrap_err();
            assert_eq!((e.0, e.1.as_str()), (field, message));
        };
        bad(
            |i| i.name = " ".into(),
            "name",
            "a device name must be 1 to 64 characters",
        );
        bad(
            |i| i.address = "127.0.0.300".into(),
            "address",
            "“127.0.0.300” is neither an IP address nor a host name",
        );
        bad(
            |i| i.address = "bad host!".into(),
            "address",
            "“bad host!” is neither an IP address nor a host name",
        );
        bad(
            |i| i.address = " ".into(),
            "address",
            "an address is required",
        );
        bad(
            |i| i.port = "70000".into(),
            "port",
            "the port must be a number from 1 to 65535",
        );
        bad(
            |i| i.transport = "rlogin".into(),
            "transport",
            "the transport must be ssh or telnet",
        );
        bad(|i| i.dialect = "".into(), "dialect", "choose a dialect");
        bad(
            |i| i.roles = vec!["toaster".into()],
            "roles",
            "unknown role “toaster”",
        );
        bad(
            |i| i.login = "".into(),
            "login",
            "a login of 1 to 64 characters is required",
        );
        bad(
            |i| i.mgmt_mac = Some("aabb.ccdd.eef".into()),
            "mgmt_mac",
            "“aabb.ccdd.eef” is not a MAC address: a MAC has 12 hex digits, as \
             aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff",
        );
        for interval in ["0", "1441", "15.5", "soon"] {
            let mut i = input();
            i.fdb_interval_min = Some(interval.into());
            let e = DeviceProfile::parse(&i, ok, ok, mac).unwrap_err();
            assert_eq!(
                (e.0, e.1.as_str()),
                (
                    "fdb_interval_min",
                    "the FDB interval is a whole number of minutes from 1 to 1440, \
                     or empty for the Search Port setting"
                ),
                "{interval}"
            );
        }
        let e =
            DeviceProfile::parse(&input(), |_| Err("unknown dialect".into()), ok, mac).unwrap_err();
        assert_eq!(e, ("dialect", "unknown dialect".to_string()));
        let mut i = input();
        i.pull_schedule = Some("every day".into());
        let e = DeviceProfile::parse(&i, ok, |_| Err("bad cron".into()), mac).unwrap_err();
        assert_eq!(e, ("pull_schedule", "bad cron".to_string()));
        assert_eq!(
            parse_address(" SW1.Example.NET ").unwrap(),
            "sw1.example.net"
        );
        assert_eq!(p.mgmt_mac, None);
        let mut i = input();
        i.mgmt_mac = Some(" AABB.CCDD.EEFF ".into());
        let p = DeviceProfile::parse(&i, ok, ok, mac).unwrap();
        assert_eq!(p.mgmt_mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        i.mgmt_mac = Some("  ".into());
        assert_eq!(
            DeviceProfile::parse(&i, ok, ok, mac).unwrap().mgmt_mac,
            None
        );
        assert_eq!(p.fdb_interval_min, None);
        i.fdb_interval_min = Some(" 5 ".into());
        let p = DeviceProfile::parse(&i, ok, ok, mac).unwrap();
        assert_eq!(p.fdb_interval_min, Some(5));
    }

    #[test]
    fn an_event_recorded_before_devices_had_a_mac_still_loads() {
        let old = r#"{"DeviceRegistered":{"profile":{"name":"sw-1","address":"127.0.0.1",
            "port":23,"transport":"telnet","dialect":"cisco-ios","roles":["switch"],
            "login":"admin","legacy_ssh":false,"tags":[],"host":null,"pull_schedule":null,
            "mask_secrets":false},"password_ref":"s1","enable_ref":null}}"#;
        let e: DeviceEvent = serde_json::from_str(old).unwrap();
        let DeviceEvent::DeviceRegistered { profile, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((&profile.mgmt_mac, profile.fdb_interval_min), (&None, None));
        assert_eq!(profile.name, "sw-1");
        // A profile without a MAC or an interval is written as before.
        let again = serde_json::to_string(profile).unwrap();
        assert!(
            !again.contains("mgmt_mac") && !again.contains("fdb_interval"),
            "{again}"
        );
    }

    #[test]
    fn a_version_is_stored_only_when_the_text_changed() {
        TestFramework::<Device>::with(())
            .given(vec![registered()])
            .when(DeviceCommand::StoreConfig {
                config: config("a"),
            })
            .then_expect_events(vec![DeviceEvent::ConfigVersionStored {
                version: 1,
                config: config("a"),
            }]);
        let stored = DeviceEvent::ConfigVersionStored {
            version: 1,
            config: config("a"),
        };
        TestFramework::<Device>::with(())
            .given(vec![registered(), stored.clone()])
            .when(DeviceCommand::StoreConfig {
                config: config("a"),
            })
            .then_expect_events(vec![]);
        TestFramework::<Device>::with(())
            .given(vec![registered(), stored])
            .when(DeviceCommand::StoreConfig {
                config: config("b"),
            })
            .then_expect_events(vec![DeviceEvent::ConfigVersionStored {
                version: 2,
                config: config("b"),
            }]);
    }

    #[test]
    fn host_keys_are_recorded_once_and_changed_only_by_acceptance() {
        let recorded = DeviceEvent::DeviceHostKeyRecorded {
            fingerprint: "SHA256:a".into(),
        };
        TestFramework::<Device>::with(())
            .given(vec![registered()])
            .when(DeviceCommand::RecordHostKey {
                fingerprint: "SHA256:a".into(),
            })
            .then_expect_events(vec![recorded.clone()]);
        TestFramework::<Device>::with(())
            .given(vec![registered(), recorded.clone()])
            .when(DeviceCommand::RecordHostKey {
                fingerprint: "SHA256:b".into(),
            })
            .then_expect_error(DeviceError::HostKeyKnown);
        TestFramework::<Device>::with(())
            .given(vec![registered(), recorded])
            .when(DeviceCommand::AcceptHostKey {
                fingerprint: "SHA256:b".into(),
            })
            .then_expect_events(vec![DeviceEvent::DeviceHostKeyAccepted {
                from: Some("SHA256:a".into()),
                to: "SHA256:b".into(),
            }]);
    }

    #[test]
    fn retired_and_unknown_devices_refuse_commands() {
        TestFramework::<Device>::with(())
            .given_no_previous_events()
            .when(DeviceCommand::Retire)
            .then_expect_error(DeviceError::NotFound);
        TestFramework::<Device>::with(())
            .given(vec![
                registered(),
                DeviceEvent::DeviceRetired {
                    name: "sw-1".into(),
                },
            ])
            .when(DeviceCommand::RotatePassword {
                password_ref: "s2".into(),
            })
            .then_expect_error(DeviceError::Retired);
        TestFramework::<Device>::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Edit { profile: profile() })
            .then_expect_error(DeviceError::Unchanged);
        TestFramework::<Device>::with(())
            .given_no_previous_events()
            .when(DeviceCommand::Register {
                profile: profile(),
                password_ref: String::new(),
                enable_ref: None,
                ssh_key: None,
            })
            .then_expect_error(DeviceError::MissingPassword);
        let key = SshKeyRef {
            key_ref: "k1".into(),
            fingerprint: "SHA256:k".into(),
        };
        let by_key = DeviceEvent::DeviceRegistered {
            profile: profile(),
            password_ref: String::new(),
            enable_ref: None,
            ssh_key: Some(key.clone()),
        };
        TestFramework::<Device>::with(())
            .given_no_previous_events()
            .when(DeviceCommand::Register {
                profile: profile(),
                password_ref: String::new(),
                enable_ref: None,
                ssh_key: Some(key),
            })
            .then_expect_events(vec![by_key.clone()]);
        TestFramework::<Device>::with(())
            .given(vec![by_key])
            .when(DeviceCommand::SetSshKey { ssh_key: None })
            .then_expect_error(DeviceError::MissingPassword);
    }
}
