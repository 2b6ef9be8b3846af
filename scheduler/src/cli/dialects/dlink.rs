//! D-Link DES-3xxx: `UserName:` / `PassWord:`, `DES-3200-28:admin#`, the
//! `Command: ...` echo, `CTRL+C ESC q Quit SPACE n Next Page ...` pager,
//! `Available commands:` for an unknown command, cp1251 descriptions.

use super::{comment_mentions, expand_ports, key_values, parse_mac_columns, push_trunk, Col};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, TrunkPort, VersionInfo};

pub(crate) const LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &["fail!", "login failed", "incorrect", "invalid"],
};

/// `DES-3200-28:admin#`, `DES-3028:5#`, `sw-12:user#`, plain `DES-3526#`.
pub(crate) fn is_prompt(line: &str) -> bool {
    let Some(body) = line.strip_suffix('#') else {
        return false;
    };
    let (host, level) = body.split_once(':').unwrap_or((body, "x"));
    !host.is_empty()
        && host.chars().next().is_some_and(char::is_alphanumeric)
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.".contains(c))
        && !level.is_empty()
        && level.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// `Command: show fdb`: the switch repeats the command, words single-spaced.
pub(crate) fn command_echo(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    format!("Command: {}", words.join(" "))
}

pub(crate) fn is_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("available commands:")
        || l.starts_with("next possible completions:")
        || l == "fail!"
        || l.starts_with("error:")
        || l.starts_with("invalid")
}

/// The `Command: ...` echo and the comment header's build, time and uptime lines.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("Command: ")
        || comment_mentions(t, &["firmware:", "build", "time:", "uptime", "copyright"])
}

/// `show switch`: `Device Type : DES-3200-28 Fast Ethernet Switch`, `Firmware Version : Build 1.85.B008`.
pub(crate) fn parse_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for (key, value) in key_values(output) {
        match key.to_ascii_lowercase().as_str() {
            "device type" => info.model = value.split_whitespace().next().map(str::to_string),
            "firmware version" => info.version = Some(value.to_string()),
            _ => {}
        }
    }
    info
}

/// `show fdb` (and `show fdb mac_address ...`): `VID  VLAN Name  MAC Address
/// Port  Type  [Status]`; the name may hold spaces, so the columns are read
/// around the MAC. `CPU`/`Self` rows (the switch's own MACs) are skipped;
/// `Total Entries: 0` alone is an empty table.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    parse_mac_columns(
        output,
        &[Col::Vlan, Col::Name, Col::Mac, Col::Port, Col::Type],
        &["total entries"],
    )
}

/// `config vlan <name> add tagged 25-28` and `config vlan vlanid 100 add
/// tagged 1:25-1:28`: the tagged ports, mode `"tagged"`.
pub(crate) fn trunk_ports(config: &str) -> Vec<TrunkPort> {
    let mut out = Vec::new();
    for line in config.split('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 4 || !words[0].eq_ignore_ascii_case("config") || words[1] != "vlan" {
            continue;
        }
        let Some(at) = words
            .windows(2)
            .position(|w| w[0] == "add" && w[1] == "tagged")
        else {
            continue;
        };
        for port in words
            .get(at + 2)
            .map(|l| expand_ports(l))
            .unwrap_or_default()
        {
            push_trunk(&mut out, &port, "tagged");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::entry;
    use crate::cli::dialect::Dialect;

    const D: Dialect = Dialect::DlinkDes;

    #[test]
    fn fdb_with_vlan_names_cpu_row_and_pager_gap() {
        let out = "\
Command: show fdb

Unicast MAC Address Aging Time  = 300

VID  VLAN Name                        MAC Address       Port  Type
---- -------------------------------- ----------------- ----- ---------------
1    default                          00-1E-58-A9-6B-9D 25    Dynamic
1    default                          00-21-91-F9-C9-E9 CPU   Self
210  users vlan                       00-0F-3D-10-20-30 1:5   Dynamic


3001 mgmt                             B8-A3-86-00-00-01 26    Static

Total Entries: 4
";
        assert_eq!(
            D.parse_mac_table(out).unwrap(),
            vec![
                entry(1, "00:1e:58:a9:6b:9d", "25", true),
                // The CPU/Self row is the switch's own MAC: skipped.
                entry(210, "00:0f:3d:10:20:30", "1:5", true),
                entry(3001, "b8:a3:86:00:00:01", "26", false),
            ]
        );
    }

    #[test]
    fn fdb_with_a_status_column_pager_line_and_unit_ports() {
        let out = "Command: show fdb\r\n\r\n\
VID  VLAN Name                        MAC Address       Port   Type     Status\r\n\
---- -------------------------------- ----------------- ------ -------- --------\r\n\
1    default                          00-1E-58-A9-6B-9D 1:25   Dynamic  Forward\r\n\
100  internet pppoe                   00-0F-3D-10-20-31 1:7    Dynamic  Forward\r\n\
CTRL+C ESC q Quit SPACE n Next Page ENTER Next Entry a All\r\
100  internet pppoe                   01-00-5E-00-00-01 1:7    Static   Forward\r\n\
1    default                          00-1E-58-A9-6B-9D 1:25   Dynamic  Forward\r\n\
\r\n\
Total Entries: 4\r\n";
        assert_eq!(
            D.parse_mac_table(out).unwrap(),
            vec![
                entry(1, "00:1e:58:a9:6b:9d", "1:25", true),
                entry(100, "00:0f:3d:10:20:31", "1:7", true),
            ]
        );
    }

    #[test]
    fn lookup_command_and_its_empty_answer() {
        assert_eq!(
            D.mac_lookup_command("00:0f:3d:10:20:31").as_deref(),
            Some("show fdb mac_address 00-0F-3D-10-20-31")
        );
        assert_eq!(
            D.parse_mac_table(
                "Command: show fdb mac_address 00-0F-3D-10-20-31\n\nTotal Entries: 0\n"
            ),
            Ok(vec![])
        );
        assert_eq!(
            D.parse_mac_table(
                "Command: show fdb mac_address 00-0F-3D-10-20-31\n\nAvailable commands:\n"
            ),
            Err(crate::cli::dialect::ParseError::NoTable)
        );
    }

    #[test]
    fn tagged_vlan_members_are_trunks() {
        let cfg = "create vlan v100 tag 100\nconfig vlan v100 add tagged 25-28\n\
                   config vlan v100 add untagged 1-12\nconfig vlan vlanid 250 add tagged 1:26,1:27-1:28\n\
                   config vlan default delete 1-28\n";
        let t = D.trunk_ports(cfg);
        let ports: Vec<(&str, &str)> = t
            .iter()
            .map(|p| (p.port.as_str(), p.mode.as_str()))
            .collect();
        assert_eq!(
            ports,
            [
                ("25", "tagged"),
                ("26", "tagged"),
                ("27", "tagged"),
                ("28", "tagged")
            ]
        );
    }

    #[test]
    fn prompt_pager_error_version() {
        for p in ["DES-3200-28:admin#", "DES-3028:5#", "sw-lenina-1:user#"] {
            assert!(D.is_prompt(p) && D.is_privileged_prompt(p), "{p}");
        }
        for p in ["Command: show fdb", "#-----", "# BASIC", "Total Entries: 4"] {
            assert!(!D.is_prompt(p), "{p}");
        }
        let tail = "1 default 00-1E-58-A9-6B-9D 25 Dynamic\r\nCTRL+C ESC q Quit SPACE n Next Page ENTER Next Entry a All";
        let p = D.pager(tail).unwrap();
        assert!(tail[p.start..].starts_with("CTRL+C"));
        assert_eq!(p.answer, "a");
        let err = "Command: show foo\n\nAvailable commands:\n..  ?  cable_diag  cfm  clear\n";
        assert_eq!(D.command_error(err).as_deref(), Some("Available commands:"));
        let v = D.parse_version(
            "Command: show switch\n\nDevice Type        : DES-3200-28 Fast Ethernet Switch\nMAC Address        : 00-1E-58-A9-6B-9D\nFirmware Version   : Build 1.85.B008\n",
        );
        assert_eq!(
            (v.model.as_deref(), v.version.as_deref()),
            (Some("DES-3200-28"), Some("Build 1.85.B008"))
        );
    }

    #[test]
    fn config_header_and_echo_do_not_count() {
        let a = "Command: show config current_config\n\n#------\n#   DES-3200-28 Fast Ethernet Switch\n#   Firmware: Build 1.85.B008\n#   System Time: 01/05/2024 10:00:00\n#------\n\n# BASIC\n\nconfig snmp system_name sw-1\ncreate snmp community public view CommunityView read_only\n";
        let b = a.replace("10:00:00", "10:05:17");
        assert_eq!(
            D.normalise_config(a),
            "#------\n#   DES-3200-28 Fast Ethernet Switch\n#------\n\n\
             # BASIC\n\nconfig snmp system_name sw-1\n\
             create snmp community public view CommunityView read_only\n",
            "the echoed command, the firmware build and the system time are dropped"
        );
        assert_eq!(D.normalise_config(a), D.normalise_config(&b));
        assert_eq!(
            D.mask_secrets("config snmp system_name sw-1\ncreate snmp community public view CommunityView read_only\n"),
            "config snmp system_name sw-1\ncreate snmp community <masked> view CommunityView read_only\n"
        );
        assert_eq!(
            D.mask_secrets("enable password encryption"),
            "enable password encryption",
            "a setting named like a secret is not one"
        );
    }
}
