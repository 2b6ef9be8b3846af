//! Cisco IOS and the IOS-like Qtech/Orion QSW switches: `host>` / `host#`,
//! `enable`, ` --More-- `, `% Invalid input ...` errors, `Vlan Mac Type Ports` tables.

use super::{block_trunks, clean_lines, comment_mentions, parse_mac_columns, Col};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, TrunkPort, VersionInfo};

pub(crate) const CISCO_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "% login invalid",
        "% authentication failed",
        "% bad passwords",
        "% access denied",
    ],
};

pub(crate) const QTECH_LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["username:", "login:"],
    password_prompts: &["password:"],
    failure_markers: &[
        "bad username or password",
        "login invalid",
        "authentication failed",
        "% bad passwords",
    ],
};

/// `% Invalid input detected at '^' marker.`, `% Incomplete command.`, `% Ambiguous command: ...`.
pub(crate) fn is_error(line: &str) -> bool {
    line.starts_with("% ") || line.to_ascii_lowercase().starts_with("error:")
}

/// `Building configuration...`, `Current configuration : N bytes`, change
/// stamps, `ntp clock-period` (it drifts), clock lines.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("Building configuration")
        || t.starts_with("Current configuration :")
        || t.starts_with("ntp clock-period")
        || comment_mentions(
            t,
            &[
                "last configuration change",
                "nvram config last updated",
                "no configuration change since",
                "time:",
                "uptime",
            ],
        )
}

/// `Cisco IOS Software, C2960 Software (...), Version 12.2(55)SE5, RELEASE ...`
/// and `Model number : WS-C2960-24TT-L` or `cisco WS-C2960-24TT-L (PowerPC405) processor`.
pub(crate) fn parse_cisco_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for line in clean_lines(output) {
        let t = line.trim();
        if info.version.is_none() && (t.contains("IOS") || t.starts_with("Cisco")) {
            if let Some(at) = t.find("Version ") {
                let v = t[at + "Version ".len()..]
                    .split([',', ' '])
                    .next()
                    .unwrap_or("");
                if !v.is_empty() {
                    info.version = Some(v.to_string());
                }
            }
        }
        if t.to_ascii_lowercase().starts_with("model number") {
            if let Some((_, v)) = t.split_once(':') {
                info.model = Some(v.trim().to_string());
            }
        } else if info.model.is_none() && t.starts_with("cisco ") && t.contains("processor") {
            info.model = t.split_whitespace().nth(1).map(str::to_string);
        }
    }
    info
}

/// `QSW-2800-28T-AC Device, Compiled on ...` and `SoftWare Version 6.2.172.0`.
pub(crate) fn parse_qtech_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for line in clean_lines(output) {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if info.model.is_none() && lower.contains(" device") {
            info.model = t
                .split_whitespace()
                .next()
                .map(|m| m.trim_end_matches(',').to_string());
        }
        if info.version.is_none() {
            if let Some(at) = lower.find("software version") {
                let v = t[at + "software version".len()..]
                    .trim_start_matches([' ', ':'])
                    .trim();
                info.version = v.split_whitespace().next().map(str::to_string);
            }
        }
    }
    info
}

/// `show mac address-table` on Cisco IOS and Qtech, read by the header's
/// column names: IOS 12.2+/15 and Qtech `Vlan  Mac Address  Type  [Creator]
/// Ports`; Catalyst 2950/3550 `Destination Address  Address Type  VLAN
/// Destination Port` (MAC first, type before VLAN); Catalyst 6500
/// `vlan  mac address  type  learn  age  ports` with `*`/`+`/`R` flags;
/// NX-OS `VLAN  MAC Address  Type  age  Secure NTFY Ports` with `*`/`G`/`+`
/// flags and `vPC Peer-Link`; Cat4500 `... type protocols port`. Rows of
/// the switch itself (VLAN `All`, port `CPU`, `Router`, `sup-eth1(R)`, type
/// `Self`), multicast rows (group MACs, port lists) are skipped; a row
/// printed again per linecard is kept once. A header and no rows, or only
/// the `Total Mac Addresses for this criterion: 0` footer, is an empty table.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    parse_mac_columns(
        output,
        &[Col::Vlan, Col::Mac, Col::Type, Col::Port],
        &[
            "total mac addresses for this criterion",
            "read mac address table",
        ],
    )
}

/// `interface X` / `interface range …` blocks whose last `switchport mode`
/// is `trunk` or `hybrid` (Qtech). `switchport trunk allowed vlan …` alone
/// does not make a trunk: IOS keeps the list but carries it only in trunk
/// mode, and `dynamic auto|desirable` is negotiated, not configured.
pub(crate) fn trunk_ports(config: &str) -> Vec<TrunkPort> {
    block_trunks(
        config,
        |words| match words {
            ["switchport", "mode", mode, ..] => Some(mode.to_string()),
            ["no", "switchport"] => Some("routed".to_string()),
            _ => None,
        },
        &["trunk", "hybrid"],
    )
}

#[cfg(test)]
mod tests {
    use super::super::entry as e;
    use crate::cli::dialect::{Dialect, ParseError};

    #[test]
    fn cisco_mac_table_skips_cpu_rows_footer_and_pager_blanks() {
        let out = "\
          Mac Address Table
-------------------------------------------

Vlan    Mac Address       Type        Ports
----    -----------       --------    -----
 All    0100.0ccc.cccc    STATIC      CPU
 All    ffff.ffff.ffff    STATIC      CPU
  10    0018.b974.528f    DYNAMIC     Gi0/1
 120    00e0.4c68.0001    DYNAMIC     Fa0/13

 
1001    0cc4.7a00.beef    STATIC      Po1
Total Mac Addresses for this criterion: 5
";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:18:b9:74:52:8f", "Gi0/1", true),
                e(120, "00:e0:4c:68:00:01", "Fa0/13", true),
                e(1001, "0c:c4:7a:00:be:ef", "Po1", false),
            ]
        );
    }

    #[test]
    fn catalyst_2950_layout_has_the_mac_first_and_the_type_before_the_vlan() {
        let out = "\r
          Mac Address Table\r
------------------------------------------\r
\r
Destination Address  Address Type  VLAN  Destination Port\r
-------------------  ------------  ----  --------------------\r
000a.b8c0.1a40       Self          1     Vlan1\r
0008.e3ff.fc28       Dynamic       1     FastEthernet0/24\r
00e0.4c68.0001       Static        120   FastEthernet0/3   \r
";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(out).unwrap(),
            vec![
                e(1, "00:08:e3:ff:fc:28", "FastEthernet0/24", true),
                e(120, "00:e0:4c:68:00:01", "FastEthernet0/3", false),
            ]
        );
    }

    #[test]
    fn catalyst_6500_flags_learn_age_multicast_lists_and_linecard_repeats() {
        let out = "\
Legend: * - primary entry
        age - seconds since last seen
        n/a - not available

  vlan   mac address     type    learn     age              ports
------+----------------+--------+-----+----------+--------------------------
Module  1:
*   10  0011.2233.4455   dynamic  Yes          0   Gi1/1
R   20  0011.2233.4456    static   No          -   Router
*    1  0100.5e00.0001    static  Yes          -   Gi1/1,Gi1/2,Router
                                                   Gi1/3
+  300  0011.2233.4457   dynamic  Yes         30   Po1
Module  5:
*   10  0011.2233.4455   dynamic  Yes          0   Gi1/1
*  300  0011.2233.4458    static  Yes          -   Gi5/48
";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:11:22:33:44:55", "Gi1/1", true),
                e(300, "00:11:22:33:44:57", "Po1", true),
                e(300, "00:11:22:33:44:58", "Gi5/48", false),
            ]
        );
    }

    #[test]
    fn nx_os_flags_gateway_rows_and_the_vpc_peer_link() {
        let out = "\
Legend:
        * - primary entry, G - Gateway MAC, (R) - Routed MAC, O - Overlay MAC
        age - seconds since last seen,+ - primary entry using vPC Peer-Link,
        (T) - True, (F) - False, C - ControlPlane MAC, ~ - vsan
   VLAN     MAC Address      Type      age     Secure NTFY Ports
---------+-----------------+--------+---------+------+----+------------------
*   10     0011.2233.4455   dynamic  0         F      F    Eth1/1
+   20     0011.2233.4466   dynamic  0         F      F    vPC Peer-Link
G    -     0011.2233.ffff   static   -         F      F    sup-eth1(R)
G   10     5254.0012.3456   static   -         F      F    sup-eth1(R)
*  100     0011.2233.4477   static   -         F      F    Po10
";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:11:22:33:44:55", "Eth1/1", true),
                e(20, "00:11:22:33:44:66", "vPC Peer-Link", true),
                e(100, "00:11:22:33:44:77", "Po10", false),
            ]
        );
    }

    #[test]
    fn igmp_rows_wide_ports_protocols_column_and_pager_residue() {
        let out = "Vlan    Mac Address       Type        Ports\r\n\
----    -----------       --------    -----\r\n\
   1    0100.5e00.0128    IGMP        Gi1/0/1, Gi1/0/2\r\n\
   1    ffff.ffff.ffff    STATIC      CPU\r\n\
  10    0018.b974.528f    DYNAMIC     TenGigabitEthernet1/0/1\r\n\
 --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08  20    0018.b974.5290    DYNAMIC     Gi1/0/48\r\n\
Total Mac Addresses for this criterion: 4\r\n";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:18:b9:74:52:8f", "TenGigabitEthernet1/0/1", true),
                e(20, "00:18:b9:74:52:90", "Gi1/0/48", true),
            ]
        );
        let cat4500 = "\
Unicast Entries
 vlan   mac address     type        protocols               port
-------+---------------+--------+---------------------+--------------------
   1    0001.0203.0405   dynamic ip,ipx,assigned,other GigabitEthernet1/1
 100    0001.0203.0406    static ip,ipx,assigned,other Switch

Multicast Entries
 vlan    mac address     type    ports
-------+---------------+-------+-------------------------------------------
   1    ffff.ffff.ffff   system Gi1/1,Gi1/2,Switch
";
        assert_eq!(
            Dialect::CiscoIos.parse_mac_table(cat4500).unwrap(),
            vec![e(1, "00:01:02:03:04:05", "GigabitEthernet1/1", true)]
        );
    }

    #[test]
    fn an_unknown_column_order_is_read_by_the_header_names() {
        // Orion-style: the port before the VLAN, a flags column for the type.
        let out = "Aging time: 300 seconds\n\
                   Mac Address        Port          Vlan   Flags\n\
                   ---------------------------------------------\n\
                   000e.5e00.0001     Ethernet1/0/3  10     dynamic\n\
                   000e.5e00.0002     Ethernet1/0/4  20     static\n";
        assert_eq!(
            Dialect::Qtech.parse_mac_table(out).unwrap(),
            vec![
                e(10, "00:0e:5e:00:00:01", "Ethernet1/0/3", true),
                e(20, "00:0e:5e:00:00:02", "Ethernet1/0/4", false),
            ]
        );
    }

    #[test]
    fn a_lookup_without_entries_is_an_empty_table_and_no_table_is_an_error() {
        let c = Dialect::CiscoIos;
        let header_only = "          Mac Address Table\n-------------------------------------------\n\n\
                           Vlan    Mac Address       Type        Ports\n----    -----------       --------    -----\n";
        assert_eq!(c.parse_mac_table(header_only), Ok(vec![]));
        assert_eq!(
            c.parse_mac_table("Total Mac Addresses for this criterion: 0\n"),
            Ok(vec![])
        );
        assert_eq!(c.parse_mac_table(""), Err(ParseError::NoTable));
        assert_eq!(
            c.parse_mac_table(
                "show mac foo\n         ^\n% Invalid input detected at '^' marker.\n"
            ),
            Err(ParseError::NoTable)
        );
        assert_eq!(
            c.mac_lookup_command("00-18-B9-74-52-8F").as_deref(),
            Some("show mac address-table address 0018.b974.528f")
        );
        assert_eq!(
            Dialect::Qtech
                .mac_lookup_command("0018.b974.528f")
                .as_deref(),
            Some("show mac-address-table address 00-18-b9-74-52-8f")
        );
        assert_eq!(c.mac_lookup_command("not a mac"), None);
        let one = "Vlan    Mac Address       Type        Ports\n----    -----------       --------    -----\n  10    0018.b974.528f    DYNAMIC     Gi0/1\nTotal Mac Addresses for this criterion: 1\n";
        assert_eq!(
            c.parse_mac_table(one).unwrap(),
            vec![e(10, "00:18:b9:74:52:8f", "Gi0/1", true)]
        );
    }

    #[test]
    fn ios_and_qtech_trunks_need_switchport_mode() {
        let cfg = "\
interface FastEthernet0/1
 switchport access vlan 100
 switchport mode access
!
interface FastEthernet0/2
 switchport trunk allowed vlan 100,200
!
interface range GigabitEthernet0/1 - 2
 switchport trunk encapsulation dot1q
 switchport mode trunk
!
interface Port-channel1
 switchport mode trunk
!
interface GigabitEthernet0/3
 switchport mode trunk
 no switchport
 ip address 10.0.0.1 255.255.255.252
!
interface FastEthernet0/24
 switchport mode dynamic desirable
!
";
        let t = Dialect::CiscoIos.trunk_ports(cfg);
        let ports: Vec<(&str, &str)> = t
            .iter()
            .map(|p| (p.port.as_str(), p.mode.as_str()))
            .collect();
        assert_eq!(
            ports,
            [("gi0/1", "trunk"), ("gi0/2", "trunk"), ("po1", "trunk")]
        );
        let q = "Interface Ethernet1/0/25\n description uplink\n switchport mode trunk\n!\n\
                 Interface Ethernet 1/0/27-28\n switchport mode trunk\n!\n\
                 Interface Ethernet1/0/26\n switchport mode hybrid\n!\nInterface Ethernet1/0/1\n switchport access vlan 1000\n!\n";
        let t = Dialect::Qtech.trunk_ports(q);
        let ports: Vec<(&str, &str)> = t
            .iter()
            .map(|p| (p.port.as_str(), p.mode.as_str()))
            .collect();
        assert_eq!(
            ports,
            [
                ("eth1/0/25", "trunk"),
                ("eth1/0/27", "trunk"),
                ("eth1/0/28", "trunk"),
                ("eth1/0/26", "hybrid")
            ]
        );
    }

    #[test]
    fn qtech_l2_address_table_with_creator_column() {
        let out = "\
Read mac address table....
Vlan Mac Address                 Type    Creator   Ports
---- --------------------------- ------- -------------------------------------
1    00-03-0f-12-34-56           STATIC  System    CPU
100  00-1e-58-aa-bb-cc           DYNAMIC Hardware  Ethernet1/0/5
2001 f8-1a-67-00-00-10           DYNAMIC Hardware  Ethernet1/0/28
";
        assert_eq!(
            Dialect::Qtech.parse_mac_table(out).unwrap(),
            vec![
                // The CPU row is the switch's own MAC: skipped.
                e(100, "00:1e:58:aa:bb:cc", "Ethernet1/0/5", true),
                e(2001, "f8:1a:67:00:00:10", "Ethernet1/0/28", true),
            ]
        );
    }

    #[test]
    fn prompts_pager_errors() {
        let c = Dialect::CiscoIos;
        assert!(c.is_prompt("Switch>") && !c.is_privileged_prompt("Switch>"));
        assert!(c.is_privileged_prompt("sw-core-1(config-if)#"));
        assert!(!c.is_prompt("Total Mac Addresses for this criterion: 5"));
        assert!(!c.is_prompt(" --More-- "));
        let tail = "  10    0018.b974.528f    DYNAMIC     Gi0/1\r\n --More-- ";
        let p = c.pager(tail).unwrap();
        assert_eq!(&tail[p.start..], "--More-- ");
        assert_eq!(p.answer, " ");
        let err = "show foo\n         ^\n% Invalid input detected at '^' marker.\n";
        assert_eq!(
            c.command_error(err).as_deref(),
            Some("% Invalid input detected at '^' marker.")
        );
        assert_eq!(
            c.command_error("hostname a\nbanner motd ^C\n%%% ^C\n"),
            None
        );
        assert!(Dialect::Qtech.is_prompt("QSW-2800(config-if-ethernet1/0/1)#"));
    }

    #[test]
    fn versions() {
        let v = Dialect::CiscoIos.parse_version(
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE5, RELEASE SOFTWARE (fc1)\n\
             cisco WS-C2960-24TT-L (PowerPC405) processor (revision B0) with 65536K bytes of memory.\n\
             Model number                    : WS-C2960-24TT-L\n",
        );
        assert_eq!(v.version.as_deref(), Some("12.2(55)SE5"));
        assert_eq!(v.model.as_deref(), Some("WS-C2960-24TT-L"));
        let v = Dialect::Qtech.parse_version(
            "  QSW-2800-28T-AC Device, Compiled on Jun 10 14:54:48 2016\n  SoftWare Version 6.2.172.0\n  BootRom Version 7.2.27\n",
        );
        assert_eq!(v.model.as_deref(), Some("QSW-2800-28T-AC"));
        assert_eq!(v.version.as_deref(), Some("6.2.172.0"));
    }

    #[test]
    fn config_normalising_and_masking() {
        let c = Dialect::CiscoIos;
        let a = "Building configuration...\r\n\r\nCurrent configuration : 1402 bytes\r\n!\r\n! Last configuration change at 10:01:02 UTC Mon May 1 2024 by admin\r\nhostname sw\r\nntp clock-period 36028797018963968\r\nend\r\n\r\n";
        let b = "Building configuration...\n\nCurrent configuration : 1402 bytes\n!\n! Last configuration change at 11:11:11 UTC Tue May 2 2024 by admin\nhostname sw\nntp clock-period 36028797018963900\nend\n";
        assert_eq!(c.normalise_config(a), c.normalise_config(b));
        assert_eq!(c.normalise_config(a), "!\nhostname sw\nend\n");
        let m = c.mask_secrets("username admin privilege 15 secret 5 $1$mERr$abc\n line vty 0 4\n  password 7 0822455D0A16\n");
        assert_eq!(
            m,
            "username admin privilege 15 secret 5 <masked>\n line vty 0 4\n  password 7 <masked>\n"
        );
        let q = Dialect::Qtech.mask_secrets(
            "snmp-server community ro 0 public\nusername admin privilege 15 password 0 x1\n",
        );
        assert_eq!(q, "snmp-server community ro 0 <masked>\nusername admin privilege 15 password 0 <masked>\n");
    }
}
