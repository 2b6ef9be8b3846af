//! TEMPORARY SHIM (transport branch) — DELETE AT MERGE.
//!
//! A minimal stand-in for the dialect methods the session engine calls,
//! written against the agreed API so the transport can be tested before the
//! dialects branch lands. Only Cisco IOS and Huawei SmartAX are modelled;
//! every other dialect answers like Cisco IOS. At merge: delete this file and
//! the `#[path = "dialect_shim.rs"] mod dialect_shim;` line in `session.rs`.

use crate::cli::dialect::Dialect;

pub struct LoginSpec {
    pub user_prompts: &'static [&'static str],
    pub password_prompts: &'static [&'static str],
    pub failure_markers: &'static [&'static str],
}

#[derive(Clone, Copy)]
pub struct EnableSpec {
    pub command: &'static str,
    pub password_prompt: &'static str,
}

pub struct Pager {
    pub start: usize,
    pub answer: &'static str,
}

static CISCO_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "% login invalid",
        "% authentication failed",
        "% bad passwords",
    ],
};

static HUAWEI_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["user name:"],
    password_prompts: &["user password:"],
    failure_markers: &["username or password invalid", "reenter times have reached"],
};

const HUAWEI_MORE: &str = "---- More ( Press 'Q' to break ) ----";
const CISCO_MORE: &str = "--More--";

impl Dialect {
    fn shim_huawei(self) -> bool {
        self == Dialect::HuaweiSmartax
    }

    pub fn login(self) -> &'static LoginSpec {
        if self.shim_huawei() {
            &HUAWEI_LOGIN
        } else {
            &CISCO_LOGIN
        }
    }

    pub fn login_name(self, login: &str) -> String {
        login.to_owned()
    }

    pub fn enable(self) -> Option<EnableSpec> {
        Some(EnableSpec {
            command: "enable",
            password_prompt: "password:",
        })
    }

    pub fn paging_off(self) -> &'static [&'static str] {
        if self.shim_huawei() {
            &["scroll"]
        } else {
            &["terminal length 0"]
        }
    }

    pub fn line_ending(self) -> &'static str {
        "\r\n"
    }

    pub fn is_prompt(self, last_line: &str) -> bool {
        let l = last_line.trim_end();
        !l.is_empty() && !l.contains(' ') && (l.ends_with('>') || l.ends_with('#'))
    }

    pub fn is_privileged_prompt(self, last_line: &str) -> bool {
        self.is_prompt(last_line) && last_line.trim_end().ends_with('#')
    }

    pub fn pager(self, tail: &str) -> Option<Pager> {
        let marker = if self.shim_huawei() {
            HUAWEI_MORE
        } else {
            CISCO_MORE
        };
        let trimmed = tail.trim_end();
        if !trimmed.ends_with(marker) {
            return None;
        }
        let start = trimmed.len() - marker.len();
        // Include the blanks printed before the marker on its line.
        let line_start = tail[..start].rfind('\n').map_or(0, |i| i + 1);
        let start = if tail[line_start..start].trim().is_empty() {
            line_start
        } else {
            start
        };
        Some(Pager { start, answer: " " })
    }

    pub fn command_error(self, output: &str) -> Option<String> {
        output
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("% ") || l.starts_with("Failure:") || l.starts_with("Error:"))
            .map(str::to_owned)
    }

    pub fn version_command(self) -> &'static str {
        if self.shim_huawei() {
            "display version"
        } else {
            "show version"
        }
    }

    pub fn config_command(self) -> &'static str {
        if self.shim_huawei() {
            "display current-configuration"
        } else {
            "show running-config"
        }
    }

    pub fn mac_table_command(self) -> &'static str {
        if self.shim_huawei() {
            "display mac-address all"
        } else {
            "show mac address-table"
        }
    }
}
