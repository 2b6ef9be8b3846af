//! Vendor dialects: pure data and pure parsers. (Filled in by the dialects work.)

use serde::{Deserialize, Serialize};

/// A vendor CLI dialect ispmon speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// Huawei SmartAX MA56xx OLT.
    HuaweiSmartax,
    /// Huawei VRP (S-series switches, AR routers).
    HuaweiVrp,
    /// Cisco IOS.
    CiscoIos,
    /// D-Link DES.
    DlinkDes,
    /// Zyxel.
    Zyxel,
    /// Qtech / Orion.
    Qtech,
    /// MikroTik RouterOS.
    Mikrotik,
}

impl Dialect {
    pub const ALL: [Dialect; 7] = [
        Dialect::HuaweiSmartax,
        Dialect::HuaweiVrp,
        Dialect::CiscoIos,
        Dialect::DlinkDes,
        Dialect::Zyxel,
        Dialect::Qtech,
        Dialect::Mikrotik,
    ];

    /// Stable slug stored in events and forms: `"huawei-smartax"`, `"cisco-ios"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::HuaweiSmartax => "huawei-smartax",
            Dialect::HuaweiVrp => "huawei-vrp",
            Dialect::CiscoIos => "cisco-ios",
            Dialect::DlinkDes => "dlink-des",
            Dialect::Zyxel => "zyxel",
            Dialect::Qtech => "qtech",
            Dialect::Mikrotik => "mikrotik",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }

    /// Human label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Dialect::HuaweiSmartax => "Huawei SmartAX MA56xx",
            Dialect::HuaweiVrp => "Huawei VRP",
            Dialect::CiscoIos => "Cisco IOS",
            Dialect::DlinkDes => "D-Link DES",
            Dialect::Zyxel => "Zyxel",
            Dialect::Qtech => "Qtech / Orion",
            Dialect::Mikrotik => "MikroTik RouterOS",
        }
    }
}

/// What the version command told us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub model: Option<String>,
    pub version: Option<String>,
}

/// One row of a switch's MAC address table (FDB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacEntry {
    pub vlan: u16,
    /// Normalised: lower-case, colon-separated `"00:1a:2b:3c:4d:5e"`.
    pub mac: String,
    /// The port as the device names it, trimmed (`"Gi0/1"`, `"1:5"`, `"ether2"`).
    pub port: String,
    pub dynamic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("no table found in the output")]
    NoTable,
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
}

// TEMPORARY placeholders with the agreed API; replaced by the dialects work.
impl Dialect {
    pub fn version_command(self) -> &'static str {
        "show version"
    }
    pub fn config_command(self) -> &'static str {
        "show running-config"
    }
    pub fn normalise_config(self, config: &str) -> String {
        config.to_string()
    }
    pub fn mask_secrets(self, config: &str) -> String {
        config.to_string()
    }
}
