//! Huawei: SmartAX MA56xx OLTs (`MA5608T>`, `>>User name:`, `Failure:` lines)
//! and VRP switches (`<SW1>`, `[SW1]`, `Error:` lines).

use super::{
    block_trunks, comment_mentions, expand_ports, find_mac, key_values, parse_mac_columns,
    push_trunk, screen_lines, Col, MacRows,
};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, TrunkPort, VersionInfo};

pub(crate) const SMARTAX_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &[">>user name:", "user name:", "username:"],
    password_prompts: &[">>user password:", "user password:", "password:"],
    failure_markers: &[
        "username or password invalid",
        "reenter times have reached",
        "invalid",
    ],
};

pub(crate) const VRP_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "authentication is rejected",
        "username or password error",
        "authentication fail",
        "login failed",
    ],
};

/// `<SW1>`, `[SW1]`, `[SW1-GigabitEthernet0/0/1]`, `[~SW1]`, `[*SW1]`.
pub(crate) fn is_vrp_prompt(line: &str) -> bool {
    let inner = if let Some(s) = line.strip_prefix('<') {
        s.strip_suffix('>')
    } else if let Some(s) = line.strip_prefix('[') {
        s.strip_suffix(']')
            .map(|s| s.trim_start_matches(['~', '*']))
    } else {
        None
    };
    inner.is_some_and(|s| {
        !s.is_empty()
            && s.chars().next().is_some_and(char::is_alphanumeric)
            && s.chars()
                .all(|c| c.is_alphanumeric() || "-_./:".contains(c))
    })
}

pub(crate) fn is_smartax_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("% ")
        || l.starts_with("failure:")
        || l.starts_with("error:")
        || l.contains("unknown command")
}

pub(crate) fn is_vrp_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("error:") || l.starts_with("% ") || l.starts_with("failure:")
}

/// Timestamps, the OLT's `[MA5600V800R018: 8103]` header (its counter moves),
/// the smart-mode `{ <cr>|... }:` question and the `Command:` echo block.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    if comment_mentions(
        t,
        &["last configuration was", "time:", "uptime", "generated"],
    ) {
        return true;
    }
    if is_smartax_question(t) || t == "Command:" || t == "display current-configuration" {
        return true;
    }
    // "[MA5600V800R018: 8103]"
    t.starts_with("[MA")
        && t.ends_with(']')
        && t.rsplit_once(": ")
            .is_some_and(|(_, n)| n.trim_end_matches(']').bytes().all(|b| b.is_ascii_digit()))
}

/// The smart-mode question for a command's optional parameters:
/// `{ <cr>|sort-by<K>||<K> }:`, `{ <cr>|ont-type<K> }:` (Enter runs the
/// command as typed).
pub(crate) fn is_smartax_question(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('{') && t.ends_with("}:") && t.contains("<cr>")
}

/// What SmartAX prints between the echo and the output after such a
/// question was answered: the question, blank lines, `Command:` and the
/// command again (wrapped over lines when long). `text` after that block,
/// or all of it when it does not open with one.
pub(crate) fn strip_question_block<'a>(text: &'a str, command: &str) -> &'a str {
    let want: String = command.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = text;
    let next_line = |rest: &mut &'a str| -> Option<&'a str> {
        if rest.is_empty() {
            return None;
        }
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        *rest = after;
        Some(line)
    };
    let skip_blank = |rest: &mut &'a str| {
        while let Some((line, after)) = rest.split_once('\n') {
            if !line.trim().is_empty() {
                break;
            }
            *rest = after;
        }
    };
    skip_blank(&mut rest);
    let mut probe = rest;
    let asked = next_line(&mut probe).is_some_and(is_smartax_question);
    if asked {
        rest = probe;
    }
    skip_blank(&mut rest);
    let mut probe = rest;
    if next_line(&mut probe).map(str::trim) != Some("Command:") {
        return if asked { rest } else { text };
    }
    rest = probe;
    let mut seen = String::new();
    for _ in 0..4 {
        let mut probe = rest;
        let Some(line) = next_line(&mut probe) else {
            break;
        };
        let part: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let joined = if seen.is_empty() {
            part.clone()
        } else {
            format!("{seen} {part}")
        };
        let glued = format!("{seen}{part}");
        if part.is_empty() || !(want.starts_with(&joined) || want.starts_with(&glued)) {
            break;
        }
        seen = if want.starts_with(&joined) {
            joined
        } else {
            glued
        };
        rest = probe;
        if seen == want {
            break;
        }
    }
    rest
}

/// `display version` on an OLT: `VERSION : MA5600V800R018C10`, `PRODUCT : MA5608T`.
pub(crate) fn parse_smartax_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for (key, value) in key_values(output) {
        if value.is_empty() {
            continue;
        }
        match key.to_ascii_uppercase().as_str() {
            "VERSION" if info.version.is_none() => info.version = Some(value.to_string()),
            "PRODUCT" if info.model.is_none() => info.model = Some(value.to_string()),
            _ => {}
        }
    }
    info
}

/// `display version` on VRP: `VRP (R) software, Version 5.170 (S5720 V200R011C10SPC600)`
/// and `HUAWEI S5720-28X-SI-AC Routing Switch uptime is ...`.
pub(crate) fn parse_vrp_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for line in super::clean_lines(output) {
        let t = line.trim();
        if info.version.is_none() && t.contains("VRP") {
            if let Some(at) = t.find("Version ") {
                info.version = Some(t[at + "Version ".len()..].trim().to_string());
            }
        }
        if info.model.is_none() {
            if let Some(at) = t.find(" uptime is ") {
                let words: Vec<&str> = t[..at]
                    .split_whitespace()
                    .filter(|w| !matches!(*w, "Routing" | "Switch" | "Router"))
                    .collect();
                info.model = words.last().map(|w| w.to_string());
            }
        }
    }
    info
}

/// `display mac-address` (and `display mac-address H-H-H`) on VRP, read by
/// the header's column names: V200 `MAC Address  VLAN/VSI/BD  Learned-From
/// Type  [Age]` (`10/-/-`), the older `MAC Address  VLAN/VSI  Learned-From
/// Type`, and V100 `MAC Address  VLAN/VSI/SI  PEVLAN CEVLAN Port  Type
/// LSP/LSR-ID`; VRP3 (Quidway) `MAC ADDR  VLAN ID  STATE  PORT INDEX
/// AGING TIME(s)` with two-word states (`Config static`) and the
/// `---  N mac address(es) found  ---` footer. The `Total items displayed =
/// 0` footer alone is an empty table.
pub(crate) fn parse_vrp_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    parse_mac_columns(
        output,
        &[Col::Mac, Col::Vlan, Col::Port, Col::Type],
        &[
            "total items displayed",
            "total matching items",
            "mac address table of",
            "mac address(es) found",
        ],
    )
}

/// `display mac-address all` (and `port`/`vlan` forms) on an OLT:
/// `SRV-P BUNDLE TYPE MAC MAC TYPE F /S /P VPI VCI VLAN ID`, the port
/// printed `0 /1 /0` (or `0/ 1/0`) and returned as `0/1/0`. `Total: 0`
/// alone is an empty table.
pub(crate) fn parse_smartax_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    let mut rows = MacRows::default();
    let mut saw_table = false;
    for line in screen_lines(output) {
        let lower = line.to_ascii_lowercase();
        if (lower.contains("mac type") && lower.contains("vlan"))
            || lower.trim_start().starts_with("total:")
        {
            saw_table = true;
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some((at, mac)) = find_mac(&tokens) else {
            continue;
        };
        let Some(kind) = tokens.get(at + 1) else {
            continue;
        };
        // "0 /1 /0" (or "0/ 1/0") → "0/1/0".
        let rest = tokens[at + 2..]
            .join(" ")
            .replace(" /", "/")
            .replace("/ ", "/");
        let cols: Vec<&str> = rest.split_whitespace().collect();
        let (Some(port), Some(vlan)) = (cols.first().filter(|p| p.contains('/')), cols.last())
        else {
            continue;
        };
        saw_table = true;
        rows.offer(vlan, mac, port, kind);
    }
    if !saw_table {
        return Err(ParseError::NoTable);
    }
    Ok(rows.into_vec())
}

/// VRP `interface X` blocks with `port link-type trunk` or `hybrid`.
pub(crate) fn vrp_trunk_ports(config: &str) -> Vec<TrunkPort> {
    block_trunks(
        config,
        |words| match words {
            ["port", "link-type", mode, ..] => Some(mode.to_string()),
            ["undo", "portswitch"] => Some("routed".to_string()),
            _ => None,
        },
        &["trunk", "hybrid"],
    )
}

/// SmartAX uplinks: `port vlan 100 0/9 0` (also `port vlan 100-200 0/9 0`)
/// puts upstream port `0/9/0` in the VLANs, tagged.
pub(crate) fn smartax_trunk_ports(config: &str) -> Vec<TrunkPort> {
    let mut out = Vec::new();
    for line in config.split('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 5 || words[0] != "port" || words[1] != "vlan" {
            continue;
        }
        if !words[2].starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let Some(at) = words.iter().position(|w| w.contains('/')) else {
            continue;
        };
        if let Some(port) = words
            .get(at + 1)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            for slot in expand_ports(words[at]) {
                push_trunk(&mut out, &format!("{slot}/{port}"), "tagged");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::entry as e;
    use crate::cli::dialect::{Dialect, ParseError};

    #[test]
    fn the_smart_mode_question_is_answered_and_its_block_dropped() {
        let ax = Dialect::HuaweiSmartax;
        assert_eq!(ax.question("{ <cr>|sort-by<K>||<K> }:"), Some(""));
        assert_eq!(ax.question("{ <cr>|ont-type<K> }: "), Some(""));
        assert_eq!(ax.question("MA5608T(config)#"), None);
        assert_eq!(Dialect::CiscoIos.question("{ <cr>|x<K> }:"), None);
        let cmd = "ont add 1 sn-auth 5A544547C9E3311B omci ont-lineprofile-id 60 ont-srvprofile-id 1 desc \"DR_ORLANDO\"";
        // The repeat of a long command wraps.
        let out = format!(
            "  {{ <cr>|ont-type<K> }}:\n\n  Command:\n          {}\n          {}\n  Number of ONTs that can be added: 1, success: 1\n  PortID :1, ONTID :5\n",
            &cmd[..60],
            &cmd[60..]
        );
        assert_eq!(
            ax.strip_question_block(&out, cmd),
            "  Number of ONTs that can be added: 1, success: 1\n  PortID :1, ONTID :5\n"
        );
        // `Command:` without the question (the answer came before the echo).
        let out = format!("  Command:\n          {cmd}\n  Failure: SN already exists\n");
        assert_eq!(
            ax.strip_question_block(&out, cmd),
            "  Failure: SN already exists\n"
        );
        assert_eq!(
            ax.command_error(ax.strip_question_block(&out, cmd))
                .as_deref(),
            Some("Failure: SN already exists")
        );
        // Output that opens with neither is kept as it is.
        let plain = "\n  Next valid free service virtual port ID: 12\n";
        assert_eq!(
            ax.strip_question_block(plain, "display service-port next-free-index"),
            plain
        );
        assert_eq!(
            Dialect::DlinkDes.strip_question_block("Command: x\n", "x"),
            "Command: x\n"
        );
    }

    #[test]
    fn vrp_v200_mac_table_with_pager_leftovers() {
        let out = "\
-------------------------------------------------------------------------------
MAC Address    VLAN/VSI/BD                       Learned-From        Type
-------------------------------------------------------------------------------
0025-9e80-2494 10/-/-                            GE0/0/1             dynamic
e0a3-ac11-2233 20/-/-                            GigabitEthernet0/0/12 dynamic

   
4c1f-cc00-0001 1/-/-                             Eth-Trunk1          static
-------------------------------------------------------------------------------
Total items displayed = 3
";
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:25:9e:80:24:94", "GE0/0/1", true),
                e(20, "e0:a3:ac:11:22:33", "GigabitEthernet0/0/12", true),
                e(1, "4c:1f:cc:00:00:01", "Eth-Trunk1", false),
            ]
        );
    }

    #[test]
    fn vrp_v100_mac_table_layout() {
        let out = "\
MAC address table of slot 0:
-------------------------------------------------------------------------------
MAC Address    VLAN/       PEVLAN CEVLAN Port            Type      LSP/LSR-ID
               VSI/SI                                              MAC-Tunnel
-------------------------------------------------------------------------------
0018-82b2-b3c0 100         -      -      Ethernet0/0/7   dynamic   0/-
-------------------------------------------------------------------------------
Total matching items on slot 0 displayed = 1
";
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table(out).unwrap(),
            vec![e(100, "00:18:82:b2:b3:c0", "Ethernet0/0/7", true)]
        );
    }

    #[test]
    fn smartax_mac_table_joins_frame_slot_port() {
        let out = "\
  It will take some time, please wait...
  -----------------------------------------------------------------------------
  SRV-P BUNDLE TYPE MAC            MAC TYPE F /S /P  VPI  VCI   VLAN ID
  INDEX INDEX
  -----------------------------------------------------------------------------
     12      - gpon 0025-9e11-2233 dynamic  0 /1 /0  3    1     100
    117      - gpon 48f8-db00-aa01 dynamic  0 /1 /15 22   1     2105

  -----------------------------------------------------------------------------
  Total: 2
";
        assert_eq!(
            Dialect::HuaweiSmartax.parse_mac_table(out).unwrap(),
            vec![
                e(100, "00:25:9e:11:22:33", "0/1/0", true),
                e(2105, "48:f8:db:00:aa:01", "0/1/15", true),
            ]
        );
        assert_eq!(
            Dialect::HuaweiSmartax.parse_mac_table("  Failure: nothing"),
            Err(ParseError::NoTable)
        );
    }

    #[test]
    fn vrp_older_vlan_vsi_layout_ce_age_column_and_cursor_escapes() {
        let old = "\
MAC Address    VLAN/VSI                          Learned-From        Type
-------------------------------------------------------------------------------
0018-82b2-b3c0 100/-                             Eth0/0/7            dynamic
0018-82b2-b3c1 100/-                             Eth0/0/8            static
  ---- More ----\x1b[16D                \x1b[16D0018-82b2-b3c2 200/-                             Eth0/0/9            dynamic
-------------------------------------------------------------------------------
Total items displayed = 3
";
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table(old).unwrap(),
            vec![
                e(100, "00:18:82:b2:b3:c0", "Eth0/0/7", true),
                e(100, "00:18:82:b2:b3:c1", "Eth0/0/8", false),
                e(200, "00:18:82:b2:b3:c2", "Eth0/0/9", true),
            ]
        );
        let ce = "\
Flags: * - Backup
       # - forwarding logical interface, operations cannot be performed based
           on the interface.
BD   : bridge domain   Age : dynamic MAC learned time in seconds
-------------------------------------------------------------------------------
MAC Address    VLAN/VSI/BD   Learned-From        Type                Age
-------------------------------------------------------------------------------
00e0-fc12-3456 10/-/-        10GE1/0/1           dynamic               -
0100-5e00-0001 10/-/-        10GE1/0/2           dynamic               -
-------------------------------------------------------------------------------
Total items: 2
";
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table(ce).unwrap(),
            vec![e(10, "00:e0:fc:12:34:56", "10GE1/0/1", true)]
        );
    }

    #[test]
    fn vrp3_quidway_layout_with_two_word_states() {
        let out = "\
MAC ADDR        VLAN ID  STATE          PORT INDEX                AGING TIME(s)
000f-e20f-0101  1        Config static  Ethernet1/0/1             NOAGED
000f-e20f-0102  1        Learned        Ethernet1/0/2             AGING
000f-e20f-0103  20       Config dynamic GigabitEthernet1/1/1      AGING

  ---  3 mac address(es) found  ---
";
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table(out).unwrap(),
            vec![
                e(1, "00:0f:e2:0f:01:01", "Ethernet1/0/1", false),
                e(1, "00:0f:e2:0f:01:02", "Ethernet1/0/2", true),
                e(20, "00:0f:e2:0f:01:03", "GigabitEthernet1/1/1", false),
            ]
        );
        assert_eq!(
            Dialect::HuaweiVrp.parse_mac_table("  ---  0 mac address(es) found  ---\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn vrp_lookup_without_entries_and_lookup_commands() {
        let vrp = Dialect::HuaweiVrp;
        assert_eq!(
            vrp.mac_lookup_command("00:25:9E:80:24:94").as_deref(),
            Some("display mac-address 0025-9e80-2494")
        );
        assert_eq!(
            Dialect::HuaweiSmartax.mac_lookup_command("0025.9e80.2494"),
            None
        );
        let none = "-------------------------------------------------------------------------------\n\
                    MAC Address    VLAN/VSI/BD                       Learned-From        Type\n\
                    -------------------------------------------------------------------------------\n\
                    -------------------------------------------------------------------------------\n\
                    Total items displayed = 0\n";
        assert_eq!(vrp.parse_mac_table(none), Ok(vec![]));
        assert_eq!(
            vrp.parse_mac_table("Total items displayed = 0\n"),
            Ok(vec![])
        );
        assert_eq!(
            vrp.parse_mac_table("Error: Unrecognized command found at '^' position.\n"),
            Err(ParseError::NoTable)
        );
    }

    #[test]
    fn smartax_ethernet_rows_pager_residue_and_an_empty_table() {
        let out = "  SRV-P BUNDLE TYPE MAC            MAC TYPE F /S /P  VPI  VCI   VLAN ID\r\n\
  INDEX INDEX\r\n\
  -----------------------------------------------------------------------------\r\n\
      -      - eth  0025-9e11-2234 dynamic  0/ 2/3   -    -     300\r\n\
  ---- More ( Press 'Q' to break ) ----\x1b[42D                                          \x1b[42D     12      - gpon 0025-9e11-2233 dynamic  0 /1 /0  3    1     100\r\n\
     12      - gpon 0025-9e11-2233 dynamic  0 /1 /0  3    1     100\r\n\
  Total: 3\r\n";
        assert_eq!(
            Dialect::HuaweiSmartax.parse_mac_table(out).unwrap(),
            vec![
                e(300, "00:25:9e:11:22:34", "0/2/3", true),
                e(100, "00:25:9e:11:22:33", "0/1/0", true),
            ]
        );
        assert_eq!(
            Dialect::HuaweiSmartax.parse_mac_table("  Total: 0\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn vrp_trunks_and_hybrids_and_smartax_uplinks() {
        let cfg = "#\ninterface GigabitEthernet0/0/1\n port link-type access\n port default vlan 10\n#\n\
                   interface GigabitEthernet0/0/25\n port link-type hybrid\n port hybrid tagged vlan 10 20\n#\n\
                   interface Eth-Trunk1\n description uplink\n port link-type trunk\n port trunk allow-pass vlan 2 to 4094\n#\n\
                   interface XGigabitEthernet0/0/1\n eth-trunk 1\n#\nreturn\n";
        let t = Dialect::HuaweiVrp.trunk_ports(cfg);
        let ports: Vec<(&str, &str)> = t
            .iter()
            .map(|p| (p.port.as_str(), p.mode.as_str()))
            .collect();
        assert_eq!(ports, [("gi0/0/25", "hybrid"), ("eth-trunk1", "trunk")]);
        let olt = "[vlan]\n  <vlan>\n vlan 100 smart\n port vlan 100 0/9 0\n port vlan 200 0/9 1\n\
                   ont-srvprofile gpon profile-id 1\n  port vlan eth 1 100\n";
        let t = Dialect::HuaweiSmartax.trunk_ports(olt);
        let ports: Vec<&str> = t.iter().map(|p| p.port.as_str()).collect();
        assert_eq!(ports, ["0/9/0", "0/9/1"]);
    }

    #[test]
    fn prompts_and_pagers() {
        let vrp = Dialect::HuaweiVrp;
        for p in ["<SW1>", "[SW1]", "[~CE-1]", "[SW1-GigabitEthernet0/0/1]"] {
            assert!(vrp.is_prompt(p) && vrp.is_privileged_prompt(p), "{p}");
        }
        for p in ["[global-config]x", "<>", "Info: done>", "---- More ----"] {
            assert!(!vrp.is_prompt(p), "{p}");
        }
        let ax = Dialect::HuaweiSmartax;
        assert!(ax.is_prompt("MA5608T>") && !ax.is_privileged_prompt("MA5608T>"));
        assert!(ax.is_privileged_prompt("MA5608T(config-if-gpon-0/1)#"));
        let tail = "line 23\r\n---- More ( Press 'Q' to break ) ----";
        let p = ax.pager(tail).unwrap();
        assert_eq!(&tail[p.start..], "---- More ( Press 'Q' to break ) ----");
        assert!(ax.pager("line 23\r\nMA5608T#").is_none());
        assert_eq!(vrp.pager("x\n  ---- More ----").map(|p| p.start), Some(4));
    }

    #[test]
    fn errors_versions_and_config() {
        let vrp = Dialect::HuaweiVrp;
        let err = "                  ^\nError: Unrecognized command found at '^' position.\n";
        assert_eq!(
            vrp.command_error(err).as_deref(),
            Some("Error: Unrecognized command found at '^' position.")
        );
        assert_eq!(
            vrp.command_error("interface Vlanif1\n ip address 10.0.0.1 255.255.255.0"),
            None
        );
        let ax = Dialect::HuaweiSmartax;
        assert_eq!(
            ax.command_error("  Failure: The ONT does not exist\n")
                .as_deref(),
            Some("Failure: The ONT does not exist")
        );
        let v = vrp.parse_version(
            "Huawei Versatile Routing Platform Software\nVRP (R) software, Version 5.170 (S5720 V200R011C10SPC600)\n\
             Copyright (C) 2000-2018 HUAWEI TECH Co., Ltd.\nHUAWEI S5720-28X-SI-AC Routing Switch uptime is 2 weeks, 1 day\n",
        );
        assert_eq!(v.model.as_deref(), Some("S5720-28X-SI-AC"));
        assert_eq!(
            v.version.as_deref(),
            Some("5.170 (S5720 V200R011C10SPC600)")
        );
        let v = ax.parse_version(
            "  VERSION : MA5600V800R018C10\n  PATCH   : SPH210\n  PRODUCT : MA5608T\n",
        );
        assert_eq!(
            (v.model.as_deref(), v.version.as_deref()),
            (Some("MA5608T"), Some("MA5600V800R018C10"))
        );

        let a = "!Software Version V200R011C10SPC600\n!Last configuration was updated at 2024-05-01 10:00:00+03:00\n#\nsysname SW1\n#\nreturn\n";
        let b = "!Software Version V200R011C10SPC600\n!Last configuration was updated at 2024-05-02 11:11:11+03:00\n#\nsysname SW1\n#\nreturn\n";
        assert_eq!(
            vrp.normalise_config(a),
            "!Software Version V200R011C10SPC600\n#\nsysname SW1\n#\nreturn\n",
            "the last-updated comment is dropped"
        );
        assert_eq!(vrp.normalise_config(a), vrp.normalise_config(b));
        let c = "{ <cr>|ont<K>|port<K>||<K> }:\n\n  Command:\n          display current-configuration\n[MA5600V800R018: 8103]\n#\n sysname OLT\nreturn\n";
        let d = "[MA5600V800R018: 8104]\n#\n sysname OLT\nreturn\n";
        assert_eq!(
            ax.normalise_config(d),
            "#\n sysname OLT\nreturn\n",
            "the version banner is dropped"
        );
        assert_eq!(ax.normalise_config(c), ax.normalise_config(d));
    }
}
