//! Zyxel GS/MES/ES access switches: `User name:`, `MES3500-24#`,
//! `-- more --, next page: Space, continue: c, quit: ESC`, `Port VLAN ID MAC Address Type`.

use super::{comment_mentions, expand_ports, key_values, parse_mac_columns, push_trunk, Col};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, TrunkPort, VersionInfo};

pub(crate) const LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["user name:", "username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "invalid user name or password",
        "incorrect",
        "login failed",
        "invalid",
    ],
};

pub(crate) fn is_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("% ")
        || l.starts_with("error")
        || l.contains("invalid command")
        || l.contains("unknown command")
        || l.starts_with("invalid input")
}

/// `Building configuration...` and `;`/`!` comments with clock or uptime.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("Building configuration") || comment_mentions(t, &["time", "generated"])
}

/// `show system-information`: `Product Model : MES3500-24`,
/// `Firmware Version : V4.00(AABE.0) | 04/13/2015` (ZyNOS: `ZyNOS F/W Version`).
pub(crate) fn parse_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for (key, value) in key_values(output) {
        let key = key.to_ascii_lowercase();
        if value.is_empty() {
            continue;
        }
        if info.model.is_none() && (key == "product model" || key == "model name" || key == "model")
        {
            info.model = Some(value.to_string());
        } else if info.version.is_none()
            && key.contains("version")
            && (key.contains("firmware") || key.contains("f/w"))
        {
            info.version = value.split(" | ").next().map(|v| v.trim().to_string());
        }
    }
    info
}

/// `Port  VLAN ID  MAC Address  Type` (ZyNOS, port first), or `VID  MAC
/// Address  Type  Port` (GS1900), read by the header's column names. `CPU`
/// rows (the switch's own MAC) are skipped.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    parse_mac_columns(
        output,
        &[Col::Port, Col::Vlan, Col::Mac, Col::Type],
        &["total number of", "mac address count"],
    )
}

/// `vlan N` … `fixed 1-24,25` … `untagged 1-24` … `exit`: a port fixed
/// (a member) in a VLAN and not untagged there carries it tagged; such
/// ports come back with mode `"tagged"`.
pub(crate) fn trunk_ports(config: &str) -> Vec<TrunkPort> {
    let mut out = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    let mut untagged: Vec<String> = Vec::new();
    let mut flush = |fixed: &mut Vec<String>, untagged: &mut Vec<String>| {
        for p in fixed.drain(..) {
            if !untagged.contains(&p) {
                push_trunk(&mut out, &p, "tagged");
            }
        }
        untagged.clear();
    };
    let mut in_vlan = false;
    for line in config.split('\n') {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        let list = |w: &[&str]| {
            w.get(1)
                .map(|l| expand_ports(l.trim_matches('"')))
                .unwrap_or_default()
        };
        match words.first().copied() {
            Some("vlan") if !line.starts_with([' ', '\t']) => {
                flush(&mut fixed, &mut untagged);
                in_vlan = true;
            }
            Some("exit") => {
                flush(&mut fixed, &mut untagged);
                in_vlan = false;
            }
            Some("fixed") if in_vlan => fixed.extend(list(&words)),
            Some("untagged") if in_vlan => untagged.extend(list(&words)),
            _ => {}
        }
    }
    flush(&mut fixed, &mut untagged);
    out
}

#[cfg(test)]
mod tests {
    use super::super::entry;
    use crate::cli::dialect::Dialect;

    const Z: Dialect = Dialect::Zyxel;

    #[test]
    fn zynos_and_gs1900_layouts() {
        let out = "\
Port      VLAN ID        MAC Address         Type
1         100            00:13:49:00:00:01   Dynamic
24        1              00:19:cb:00:00:02   Static

12        2001           a0:e4:cb:aa:bb:cc   Dynamic
CPU       1              00:19:cb:00:00:00   Static
";
        assert_eq!(
            Z.parse_mac_table(out).unwrap(),
            vec![
                entry(100, "00:13:49:00:00:01", "1", true),
                entry(1, "00:19:cb:00:00:02", "24", false),
                entry(2001, "a0:e4:cb:aa:bb:cc", "12", true),
                // The CPU row is the switch's own MAC: skipped.
            ]
        );
        let gs = "VID  MAC Address        Type     Port\n---- ----------------- -------- ----\n10   00:11:22:33:44:55  Dynamic  7\n";
        assert_eq!(
            Z.parse_mac_table(gs).unwrap(),
            vec![entry(10, "00:11:22:33:44:55", "7", true)]
        );
    }

    #[test]
    fn pager_residue_lookup_and_empty_answer() {
        let out = "Port      VLAN ID        MAC Address         Type\r\n\
1         100            00:13:49:00:00:01   Dynamic\r\n\
-- more --, next page: Space, continue: c, quit: ESC\r2         100            00:13:49:00:00:02   Dynamic\r\n\
25        300            01:00:5e:00:00:01   Static\r\n";
        assert_eq!(
            Z.parse_mac_table(out).unwrap(),
            vec![
                entry(100, "00:13:49:00:00:01", "1", true),
                entry(100, "00:13:49:00:00:02", "2", true),
            ]
        );
        assert_eq!(
            Z.mac_lookup_command("0013.4900.0002").as_deref(),
            Some("show mac address-table mac 00:13:49:00:00:02")
        );
        assert_eq!(
            Z.parse_mac_table("Port      VLAN ID        MAC Address         Type\n"),
            Ok(vec![])
        );
        assert_eq!(
            Z.parse_mac_table("% Invalid command\n"),
            Err(crate::cli::dialect::ParseError::NoTable)
        );
    }

    #[test]
    fn fixed_but_not_untagged_ports_are_trunks() {
        let cfg = "vlan 1\n  name 1\n  normal \"\"\n  fixed 25-28\n  forbidden \"\"\n  untagged 25-28\nexit\n\
                   vlan 300\n  name users-300\n  normal \"\"\n  fixed 1-24,25\n  forbidden \"\"\n  untagged 1-24\nexit\n\
                   vlan 3000\n  fixed 1-24,25-26\n  untagged 1-24\nexit\n\
                   interface port-channel 25\n  name uplink\nexit\n";
        let t = Z.trunk_ports(cfg);
        let ports: Vec<(&str, &str)> = t
            .iter()
            .map(|p| (p.port.as_str(), p.mode.as_str()))
            .collect();
        assert_eq!(ports, [("25", "tagged"), ("26", "tagged")]);
    }

    #[test]
    fn prompt_pager_error_version() {
        assert!(Z.is_prompt("MES3500-24>") && !Z.is_privileged_prompt("MES3500-24>"));
        assert!(Z.is_privileged_prompt("GS1900#"));
        let tail = "12 2001 a0:e4:cb:aa:bb:cc Dynamic\n-- more --, next page: Space, continue: c, quit: ESC";
        assert_eq!(Z.pager(tail).map(|p| (p.start, p.answer)), Some((34, "c")));
        assert_eq!(
            Z.command_error("sh foo\n% Invalid command\n").as_deref(),
            Some("% Invalid command")
        );
        assert_eq!(Z.command_error("vlan 1\n  name 1\nexit\n"), None);
        let v = Z.parse_version(
            "  Product Model    : MES3500-24\n  Firmware Version : V4.00(AABE.0) | 04/13/2015\n",
        );
        assert_eq!(
            (v.model.as_deref(), v.version.as_deref()),
            (Some("MES3500-24"), Some("V4.00(AABE.0)"))
        );
    }

    #[test]
    fn config() {
        let a = "Building configuration...\n\n; System up time: 0d 1h 2m\nhostname z1\nadmin-password 4 abc\nsnmp-server get-community pub\n";
        let b = a.replace("1h 2m", "1h 7m");
        assert_eq!(
            Z.normalise_config(a),
            "hostname z1\nadmin-password 4 abc\nsnmp-server get-community pub\n",
            "the banner and the uptime comment are dropped"
        );
        assert_eq!(Z.normalise_config(a), Z.normalise_config(&b));
        // The shape a Zyxel prints (and the emulator serves): the secret, then `cipher`.
        let c = "hostname z1\nadmin-password Zy-0-adm cipher\nsnmp-server get-community pub\n";
        assert_eq!(
            Z.mask_secrets(c),
            "hostname z1\nadmin-password <masked> cipher\nsnmp-server get-community <masked>\n"
        );
    }

    #[test]
    fn a_password_after_a_type_number_is_masked_whatever_the_number() {
        let masked = Dialect::Zyxel.mask_secrets("hostname z1\nadmin-password 4 abc\n");
        assert_eq!(masked, "hostname z1\nadmin-password 4 <masked>\n");
        let cisco =
            Dialect::CiscoIos.mask_secrets("enable secret 4 Tnhtc92DXBhelxjYk8LWJrPV36S2i4n\n");
        assert_eq!(cisco, "enable secret 4 <masked>\n");
    }
}
