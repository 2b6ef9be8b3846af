//! ZTE C300/C320 OLTs (ZXA10): `Username:`/`Password:` over telnet,
//! `ZXAN>` → `enable` → `ZXAN#`, `ZXAN(config)#`, `ZXAN(config-if)#`,
//! ` --More-- `, refusals `%Error 20209: …`, `%Code 32310-GPONSRV : …`,
//! `% Invalid input detected at '^' marker.`, and the `show mac` table
//! `Mac address  Vlan  Type  Port  Vc`.

use super::{clean_lines, parse_mac_columns, Col};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, VersionInfo};

pub(crate) const LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "bad password",
        "password error",
        "authentication failed",
        "login failed",
        "login invalid",
        "user is locked",
    ],
};

/// `%Error …`, `%Code …`, `% Invalid input …`, `%Unknown command …`.
pub(crate) fn is_error(line: &str) -> bool {
    let l = line.trim_start().to_ascii_lowercase();
    l.starts_with('%') || l.starts_with("error:") || l.contains("unknown command")
}

/// Is `token` a ZTE OLT model (`C300`, `C320`, `C600`)?
fn is_model(token: &str) -> bool {
    let t = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    t.len() == 4 && t.starts_with(['C', 'c']) && t[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `show version` (and `show system-group`): the model is the `Cxxx` token
/// (`ZXA10 C320`), the version the first `V2.1.0`-like token on a line
/// that says "version".
pub(crate) fn parse_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for line in clean_lines(output) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if info.model.is_none() {
            if let Some(m) = words.iter().find(|w| is_model(w)) {
                info.model = Some(
                    m.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                        .to_ascii_uppercase(),
                );
            }
        }
        if info.version.is_none() && line.to_ascii_lowercase().contains("version") {
            info.version = words
                .iter()
                .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ':' | ';' | '(' | ')')))
                .find(|w| {
                    w.len() > 1
                        && w.starts_with(['V', 'v'])
                        && w[1..].starts_with(|c: char| c.is_ascii_digit())
                        && w.contains('.')
                })
                .map(str::to_string);
        }
    }
    info
}

/// A line that changes between two prints of the same config: ZTE's
/// `!<Time>2024-05-03 10:20:41</Time>` stamp, and Cisco's own.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("!<Time>") && t.ends_with("</Time>")) || super::cisco::is_volatile(line)
}

/// `show mac` (and `show mac gpon onu …`, `show mac 0011.2233.4455`):
/// `Mac address  Vlan  Type  Port  Vc` with Cisco-dotted MACs and an
/// optional `vport N` column; `Total mac address : 0` alone is empty.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    parse_mac_columns(
        output,
        &[Col::Mac, Col::Vlan, Col::Type, Col::Port],
        &["total mac address"],
    )
}

#[cfg(test)]
mod tests {
    use super::super::entry as e;
    use crate::cli::dialect::{Dialect, ParseError};

    const ZTE: Dialect = Dialect::ZteC300;

    #[test]
    fn the_time_stamp_of_a_config_print_is_volatile() {
        let a = "!<Time>2024-05-03 10:20:41</Time>\n!\nhostname OLT\nend\n";
        let b = "!<Time>2024-05-03 10:20:48</Time>\n!\nhostname OLT\nend\n";
        assert_eq!(ZTE.normalise_config(a), ZTE.normalise_config(b));
        assert!(ZTE.normalise_config(a).contains("hostname OLT"));
    }

    #[test]
    fn slug_label_and_every_table_entry() {
        assert_eq!(ZTE.as_str(), "zte-c300");
        assert_eq!(Dialect::parse("zte-c300"), Some(ZTE));
        assert_eq!(ZTE.label(), "ZTE C300/C320");
        assert!(Dialect::ALL.contains(&ZTE));
        assert_eq!(ZTE.paging_off(), ["terminal length 0"]);
        assert_eq!(ZTE.enter(), b"\r");
        assert_eq!(ZTE.version_command(), "show version");
        assert_eq!(ZTE.config_command(), "show running-config");
        assert_eq!(ZTE.mac_table_command(), "show mac");
        assert_eq!(
            ZTE.mac_lookup_command("8C:DC:02:94:A5:CD").as_deref(),
            Some("show mac 8cdc.0294.a5cd")
        );
        assert_eq!(ZTE.enable().map(|e| e.command), Some("enable"));
        let login = ZTE.login();
        assert!(login.user_prompts.contains(&"username:"));
        assert!(login.password_prompts.contains(&"password:"));
    }

    #[test]
    fn prompts_privilege_and_pager() {
        for p in [
            "ZXAN#",
            "ZXAN(config)#",
            "ZXAN(config-if)#",
            "OLT-1(gpon-onu-mng)#",
            "ZXAN(gpon-onu-mng 1/2/1:3)#",
        ] {
            assert!(ZTE.is_prompt(p) && ZTE.is_privileged_prompt(p), "{p}");
        }
        assert!(ZTE.is_prompt("ZXAN>") && !ZTE.is_privileged_prompt("ZXAN>"));
        assert!(!ZTE.is_prompt("Username:"));
        let tail = "gpon-onu_1/2/1:5   enable  enable  operation  working\r\n --More-- ";
        let p = ZTE.pager(tail).unwrap();
        assert_eq!(&tail[p.start..].trim_end(), &"--More--");
        assert_eq!(p.answer, " ");
    }

    #[test]
    fn refusals_are_errors() {
        for (out, line) in [
            (
                "show gpon onu uncfg\r\n%Code 32310-GPONSRV : No related information to show.\r\n",
                "%Code 32310-GPONSRV : No related information to show.",
            ),
            ("%Error 20209: No such ONU.\n", "%Error 20209: No such ONU."),
            (
                "                 ^\r\n% Invalid input detected at '^' marker.\r\n",
                "% Invalid input detected at '^' marker.",
            ),
        ] {
            assert_eq!(ZTE.command_error(out).as_deref(), Some(line));
        }
        assert_eq!(
            ZTE.command_error("OnuIndex   Admin State\ngpon-onu_1/2/1:1  enable\n"),
            None
        );
    }

    #[test]
    fn version_from_show_version_and_system_group() {
        let v = ZTE.parse_version(
            "ZXA10 C320 Software, Version: V2.1.0, Release software\r\n\
             Copyright (c) 2016 by ZTE Corporation\r\n",
        );
        assert_eq!(v.model.as_deref(), Some("C320"));
        assert_eq!(v.version.as_deref(), Some("V2.1.0"));
        let v = ZTE.parse_version(
            "System Description: ZXA10 C300 Version V1.2.5P3 Software, Copyright (c) by ZTE\n",
        );
        assert_eq!(
            (v.model.as_deref(), v.version.as_deref()),
            (Some("C300"), Some("V1.2.5P3"))
        );
    }

    #[test]
    fn mac_table_with_vport_column_uplinks_and_an_empty_answer() {
        let out = "Total mac address : 3\r\n\r\n\
                   Mac address      Vlan   Type      Port                         Vc\r\n\
                   ------------------------------------------------------------------------\r\n\
                   8cdc.0294.a5cd   88     Dynamic   gpon-onu_1/1/1:1          vport 2\r\n\
                   0011.2233.4455   100    Static    gpon-onu_1/2/3:17         vport 1\r\n\
                   \x20--More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\
                   0025.9e80.2494   100    Dynamic   xgei_1/4/1\r\n";
        assert_eq!(
            ZTE.parse_mac_table(out).unwrap(),
            vec![
                e(88, "8c:dc:02:94:a5:cd", "gpon-onu_1/1/1:1", true),
                e(100, "00:11:22:33:44:55", "gpon-onu_1/2/3:17", false),
                e(100, "00:25:9e:80:24:94", "xgei_1/4/1", true),
            ]
        );
        assert_eq!(ZTE.parse_mac_table("Total mac address : 0\r\n"), Ok(vec![]));
        assert_eq!(
            ZTE.parse_mac_table("%Code 32310-GPONSRV : No related information to show.\n"),
            Err(ParseError::NoTable)
        );
    }

    #[test]
    fn config_normalises_and_uplink_trunks_are_found() {
        let a = "Building configuration...\r\nCurrent configuration : 1234 bytes\r\n\
                 hostname ZXAN\r\n!\r\ninterface xgei_1/4/1\r\n  switchport mode trunk\r\n\
                 \x20 switchport vlan 100-200 tag\r\n!\r\ninterface gpon-onu_1/2/1:1\r\n  name a\r\n!\r\nend\r\n";
        let n = ZTE.normalise_config(a);
        assert!(n.starts_with("hostname ZXAN\n") && !n.contains('\r'), "{n}");
        let trunks: Vec<String> = ZTE.trunk_ports(a).into_iter().map(|t| t.port).collect();
        assert_eq!(trunks, ["xgei_1/4/1"]);
    }
}
