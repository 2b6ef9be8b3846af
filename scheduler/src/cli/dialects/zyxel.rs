//! Zyxel GS/MES/ES access switches: `User name:`, `MES3500-24#`,
//! `-- more --, next page: Space, continue: c, quit: ESC`, `Port VLAN ID MAC Address Type`.

use super::{collect_rows, comment_mentions, find_mac, key_values, mac_row, parse_vlan};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, VersionInfo};

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

/// `Port  VLAN ID  MAC Address  Type` (ZyNOS), or `VID  MAC Address  Type  Port` (GS1900).
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    collect_rows(
        output,
        |l| l.contains("mac address") && (l.contains("vlan") || l.contains("vid")),
        |tokens| {
            let (at, mac) = find_mac(tokens)?;
            let (vlan, port, kind) = match at {
                2 => (tokens[1], tokens[0], *tokens.get(3)?),
                1 => (tokens[0], *tokens.get(3)?, *tokens.get(2)?),
                _ => return None,
            };
            Some(mac_row(parse_vlan(vlan)?, mac, port, kind))
        },
    )
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
                entry(1, "00:19:cb:00:00:00", "CPU", false),
            ]
        );
        let gs = "VID  MAC Address        Type     Port\n---- ----------------- -------- ----\n10   00:11:22:33:44:55  Dynamic  7\n";
        assert_eq!(
            Z.parse_mac_table(gs).unwrap(),
            vec![entry(10, "00:11:22:33:44:55", "7", true)]
        );
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
