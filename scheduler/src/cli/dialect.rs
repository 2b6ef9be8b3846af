//! Vendor dialects: pure data and pure parsers, no I/O.
//!
//! [`Dialect`] answers everything the dialogue engine needs to know about a
//! vendor's CLI (login prompts, enable, pager, paging-off commands, prompt
//! recognition, error lines) and turns command output into typed records
//! (version, MAC table) or storable text (normalised and masked config). The
//! per-vendor details live in `dialects/` (one file per vendor family).

use serde::{Deserialize, Serialize};

#[path = "dialects/mod.rs"]
mod dialects;

use dialects::{cisco, dlink, huawei, mikrotik, zyxel};

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

/// How a device asks for credentials over telnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginSpec {
    /// Ends of the telnet username prompt, lower-case, e.g. "username:", "login:", "user name:", ">>user name:".
    pub user_prompts: &'static [&'static str],
    pub password_prompts: &'static [&'static str],
    /// Substrings (lower-case) that mean the device rejected the login.
    pub failure_markers: &'static [&'static str],
}

/// How to enter the privileged mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnableSpec {
    pub command: &'static str,
    /// lower-case end of its password prompt
    pub password_prompt: &'static str,
}

/// A "more" prompt found at the end of the output so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pager {
    /// byte offset in the given tail where the pager prompt starts
    pub start: usize,
    /// what to send to get the next page (e.g. " ")
    pub answer: &'static str,
}

impl Dialect {
    pub fn login(self) -> &'static LoginSpec {
        match self {
            Dialect::HuaweiSmartax => &huawei::SMARTAX_LOGIN,
            Dialect::HuaweiVrp => &huawei::VRP_LOGIN,
            Dialect::CiscoIos => &cisco::CISCO_LOGIN,
            Dialect::Qtech => &cisco::QTECH_LOGIN,
            Dialect::DlinkDes => &dlink::LOGIN,
            Dialect::Zyxel => &zyxel::LOGIN,
            Dialect::Mikrotik => &mikrotik::LOGIN,
        }
    }

    /// The login name to send (MikroTik appends terminal flags such as "+ct"; others unchanged).
    pub fn login_name(self, login: &str) -> String {
        match self {
            Dialect::Mikrotik if !login.contains('+') => {
                format!("{login}{}", mikrotik::LOGIN_FLAGS)
            }
            _ => login.to_string(),
        }
    }

    /// The command into privileged mode, if the vendor has one. VRP's `super`
    /// is only needed for low-level accounts: its prompt looks the same at
    /// every level, so [`Dialect::is_privileged_prompt`] accepts any VRP
    /// prompt and the engine never sends it on its own.
    pub fn enable(self) -> Option<EnableSpec> {
        match self {
            // SmartAX never asks for a password here; the prompt just turns `#`.
            Dialect::HuaweiSmartax => Some(EnableSpec {
                command: "enable",
                password_prompt: "password:",
            }),
            Dialect::HuaweiVrp => Some(EnableSpec {
                command: "super",
                password_prompt: "password:",
            }),
            Dialect::CiscoIos | Dialect::Qtech | Dialect::Zyxel => Some(EnableSpec {
                command: "enable",
                password_prompt: "password:",
            }),
            Dialect::DlinkDes | Dialect::Mikrotik => None,
        }
    }

    /// Commands sent after login/enable to disable paging (may be empty when
    /// only answering the pager works).
    pub fn paging_off(self) -> &'static [&'static str] {
        match self {
            Dialect::HuaweiSmartax => &["undo smart", "scroll 512"],
            Dialect::HuaweiVrp => &["screen-length 0 temporary"],
            Dialect::CiscoIos | Dialect::Qtech | Dialect::Zyxel => &["terminal length 0"],
            Dialect::DlinkDes => &["disable clipaging"],
            // Print commands carry `without-paging`; `+ct` in the login name
            // turns off colours and terminal detection.
            Dialect::Mikrotik => &[],
        }
    }

    /// The line some devices print after the terminal echo to repeat the
    /// command (D-Link: `Command: show fdb`, then a blank line). It is part
    /// of the echo, not of the output.
    pub fn command_echo(self, command: &str) -> Option<String> {
        match self {
            Dialect::DlinkDes => Some(dlink::command_echo(command)),
            _ => None,
        }
    }

    /// The Enter key: what is sent after a command, a login name or a
    /// password. Exactly one keystroke, never CR LF: a device whose
    /// terminal takes CR and LF each as an Enter (a Linux tty in canonical
    /// mode turns CR into LF) runs an extra empty command for the second
    /// byte, and if it echoes type-ahead at once, that echo lands inside
    /// the first command's output. Every CLI here is made for a terminal
    /// whose Return key sends CR (as a VT100's does), so all of them get
    /// CR; the match is exhaustive so a new dialect must decide. Over
    /// telnet the transport sends this CR as the NVT's CR NUL (RFC 854).
    pub fn enter(self) -> &'static [u8] {
        match self {
            Dialect::HuaweiSmartax
            | Dialect::HuaweiVrp
            | Dialect::CiscoIos
            | Dialect::Qtech
            | Dialect::Zyxel
            | Dialect::DlinkDes
            | Dialect::Mikrotik => b"\r",
        }
    }

    /// Is this (cleaned, trailing-space-trimmed) last line a command prompt?
    pub fn is_prompt(self, last_line: &str) -> bool {
        let line = last_line.trim_end();
        match self {
            Dialect::HuaweiSmartax => dialects::is_host_prompt(line, &['>', '#']),
            Dialect::HuaweiVrp => huawei::is_vrp_prompt(line),
            Dialect::CiscoIos | Dialect::Qtech | Dialect::Zyxel => {
                dialects::is_host_prompt(line, &['>', '#'])
            }
            Dialect::DlinkDes => dlink::is_prompt(line),
            Dialect::Mikrotik => mikrotik::is_prompt(line),
        }
    }

    pub fn is_privileged_prompt(self, last_line: &str) -> bool {
        let line = last_line.trim_end();
        match self {
            Dialect::HuaweiSmartax | Dialect::CiscoIos | Dialect::Qtech | Dialect::Zyxel => {
                self.is_prompt(line) && line.ends_with('#')
            }
            Dialect::HuaweiVrp | Dialect::DlinkDes | Dialect::Mikrotik => self.is_prompt(line),
        }
    }

    /// If `tail` ends with this dialect's "more" prompt, where it starts and what to answer.
    pub fn pager(self, tail: &str) -> Option<Pager> {
        let (markers, answer): (&[&str], &'static str) = match self {
            Dialect::HuaweiSmartax => (&["---- More ( Press 'Q' to break ) ----"], " "),
            Dialect::HuaweiVrp => (&["---- More ----"], " "),
            Dialect::CiscoIos | Dialect::Qtech => (&["--More--", "--more--"], " "),
            Dialect::DlinkDes => (
                &["CTRL+C ESC q Quit SPACE n Next Page ENTER Next Entry a All"],
                "a",
            ),
            Dialect::Zyxel => (
                &["-- more --, next page: Space, continue: c, quit: ESC"],
                "c",
            ),
            Dialect::Mikrotik => (&["-- [Q quit|"], " "),
        };
        dialects::find_pager(tail, markers).map(|start| Pager { start, answer })
    }

    /// If the command output says the device rejected the command, the error line.
    pub fn command_error(self, output: &str) -> Option<String> {
        let is_error: fn(&str) -> bool = match self {
            Dialect::HuaweiSmartax => huawei::is_smartax_error,
            Dialect::HuaweiVrp => huawei::is_vrp_error,
            Dialect::CiscoIos | Dialect::Qtech => cisco::is_error,
            Dialect::DlinkDes => dlink::is_error,
            Dialect::Zyxel => zyxel::is_error,
            Dialect::Mikrotik => mikrotik::is_error,
        };
        dialects::first_error_line(output, is_error)
    }

    pub fn version_command(self) -> &'static str {
        match self {
            Dialect::HuaweiSmartax | Dialect::HuaweiVrp => "display version",
            Dialect::CiscoIos | Dialect::Qtech => "show version",
            Dialect::DlinkDes => "show switch",
            Dialect::Zyxel => "show system-information",
            Dialect::Mikrotik => "/system resource print",
        }
    }

    pub fn config_command(self) -> &'static str {
        match self {
            Dialect::HuaweiSmartax | Dialect::HuaweiVrp => "display current-configuration",
            Dialect::CiscoIos | Dialect::Qtech | Dialect::Zyxel => "show running-config",
            Dialect::DlinkDes => "show config current_config",
            Dialect::Mikrotik => "/export",
        }
    }

    pub fn mac_table_command(self) -> &'static str {
        match self {
            Dialect::HuaweiSmartax => "display mac-address all",
            Dialect::HuaweiVrp => "display mac-address",
            Dialect::CiscoIos => "show mac address-table",
            Dialect::DlinkDes => "show fdb",
            Dialect::Zyxel => "show mac address-table all",
            Dialect::Qtech => "show mac-address-table l2-address",
            Dialect::Mikrotik => "/interface bridge host print terse without-paging",
        }
    }

    pub fn parse_version(self, output: &str) -> VersionInfo {
        match self {
            Dialect::HuaweiSmartax => huawei::parse_smartax_version(output),
            Dialect::HuaweiVrp => huawei::parse_vrp_version(output),
            Dialect::CiscoIos => cisco::parse_cisco_version(output),
            Dialect::Qtech => cisco::parse_qtech_version(output),
            Dialect::DlinkDes => dlink::parse_version(output),
            Dialect::Zyxel => zyxel::parse_version(output),
            Dialect::Mikrotik => mikrotik::parse_version(output),
        }
    }

    /// Config text → the form we hash and store: volatile lines removed, CR
    /// removed, trailing spaces and trailing blank lines removed. Two prints
    /// of the same config with different timestamps normalise identically.
    pub fn normalise_config(self, config: &str) -> String {
        let volatile: fn(&str) -> bool = match self {
            Dialect::HuaweiSmartax | Dialect::HuaweiVrp => huawei::is_volatile,
            Dialect::CiscoIos | Dialect::Qtech => cisco::is_volatile,
            Dialect::DlinkDes => dlink::is_volatile,
            Dialect::Zyxel => zyxel::is_volatile,
            Dialect::Mikrotik => mikrotik::is_volatile,
        };
        dialects::normalise(config, self.config_command(), volatile)
    }

    /// Replaces secret material in a config with "<masked>", keeping the rest of the line.
    pub fn mask_secrets(self, config: &str) -> String {
        match self {
            Dialect::Mikrotik => mikrotik::mask_secrets(config),
            _ => dialects::mask_keyword_secrets(config),
        }
    }

    /// MAC table text → rows, MACs in lower-case colon form.
    pub fn parse_mac_table(self, output: &str) -> Result<Vec<MacEntry>, ParseError> {
        match self {
            Dialect::HuaweiSmartax => huawei::parse_smartax_macs(output),
            Dialect::HuaweiVrp => huawei::parse_vrp_macs(output),
            Dialect::CiscoIos | Dialect::Qtech => cisco::parse_macs(output),
            Dialect::DlinkDes => dlink::parse_macs(output),
            Dialect::Zyxel => zyxel::parse_macs(output),
            Dialect::Mikrotik => mikrotik::parse_macs(output),
        }
    }
}
