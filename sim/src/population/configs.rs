//! Running configs of the population's devices, each in its vendor's
//! syntax. Uplinks and downlinks are marked as trunks the way each vendor
//! does it (`switchport mode trunk`, `port link-type trunk`, D-Link
//! `config vlan … add tagged`, Zyxel `fixed` without `untagged`), except on
//! the one access switch with `trunks_marked == false`.

use std::fmt::Write;

use super::{long_port, PopSwitch, Population, Role, MGMT_VLAN};
use crate::shell::Kind;

const GATEWAY: &str = "10.0.0.1";

pub(super) fn config(pop: &Population, d: usize) -> String {
    let dev = &pop.devices[d];
    let parent = dev
        .parent
        .map(|p| pop.devices[p].name.as_str())
        .unwrap_or("");
    match (dev.role, dev.kind) {
        (Role::Nas, _) => nas(pop, dev),
        (Role::Olt, kind) => {
            let k = d - pop.olt_device_index(0);
            let olt = pop.gpon(k);
            if kind == Kind::ZteC300 {
                crate::shells::zte::config_base(&dev.name, d, &olt)
            } else {
                crate::shells::smartax::config_base(&dev.name, d, &olt)
            }
        }
        (Role::Access, Kind::CiscoIos) => cisco_access(dev, parent),
        (Role::Access, Kind::Qtech) => qtech_access(dev, parent),
        (Role::Access, Kind::DlinkDes) => dlink_access(dev),
        (Role::Access, Kind::Zyxel) => zyxel_access(dev),
        (Role::Access, _) => vrp_access(dev, parent),
        (_, kind) => {
            let trunks = trunks(pop, dev, parent);
            if kind == Kind::CiscoIos {
                cisco_trunks(dev, &trunks)
            } else {
                vrp_trunks(dev, &trunks)
            }
        }
    }
}

/// A trunk port of a core or aggregation switch: (port, description, VLANs).
type Trunk = (String, String, Vec<u16>);

fn trunks(pop: &Population, dev: &PopSwitch, parent: &str) -> Vec<Trunk> {
    let mut out = Vec::new();
    let mut all = vec![MGMT_VLAN];
    for dl in &dev.downlinks {
        let vlans = vlans_below(pop, dl.child);
        all.extend(&vlans);
        for p in &dl.ports {
            out.push((p.clone(), pop.devices[dl.child].name.clone(), vlans.clone()));
        }
    }
    all.sort_unstable();
    all.dedup();
    for up in &dev.uplinks {
        out.push((up.clone(), parent.to_string(), all.clone()));
    }
    out
}

/// The management VLAN and every subscriber VLAN at or below device `d`.
fn vlans_below(pop: &Population, d: usize) -> Vec<u16> {
    let dev = &pop.devices[d];
    let mut v = vec![MGMT_VLAN];
    match dev.role {
        Role::Access | Role::Olt => v.extend(&dev.vlans),
        Role::Nas => v.extend(pop.access_switches().iter().flat_map(|a| a.vlans.iter())),
        _ => {
            for dl in &dev.downlinks {
                v.extend(vlans_below(pop, dl.child).into_iter().skip(1));
            }
        }
    }
    v
}

fn join(vlans: &[u16], sep: &str) -> String {
    vlans
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// `1-24` / `25` / `25-26`.
fn range(a: usize, b: usize) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// The access ports of each subscriber VLAN: `(vlan, first, last)`.
fn vlan_spans(dev: &PopSwitch) -> Vec<(u16, usize, usize)> {
    let n = dev.access_ports.len();
    if dev.vlans.len() > 1 {
        let half = n.div_ceil(2);
        vec![(dev.vlans[0], 1, half), (dev.vlans[1], half + 1, n)]
    } else {
        vec![(dev.vlans[0], 1, n)]
    }
}

fn cisco_head(dev: &PopSwitch) -> String {
    format!(
        "version 12.2\nno service pad\nservice timestamps debug datetime msec\nservice timestamps log datetime msec\n\
         service password-encryption\n!\nhostname {h}\n!\nboot-start-marker\nboot-end-marker\n!\n\
         enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX{h}\n!\n\
         username admin privilege 15 secret 5 $1$Xc2b$Q8mm0dGj1u8pZ{h}\n\
         aaa new-model\naaa authentication login default local\naaa authorization exec default local\n!\n\
         system mtu routing 1500\nip subnet-zero\nno ip domain-lookup\nip domain-name isp.local\n!\n\
         spanning-tree mode rapid-pvst\nspanning-tree extend system-id\n!\n\
         vlan internal allocation policy ascending\n!\nvlan {MGMT_VLAN}\n name mgmt\n!\n",
        h = dev.name
    )
}

fn cisco_tail(dev: &PopSwitch) -> String {
    format!(
        "interface Vlan1\n no ip address\n shutdown\n!\ninterface Vlan{MGMT_VLAN}\n ip address {ip} 255.0.0.0\n no ip route-cache\n!\n\
         ip default-gateway {GATEWAY}\nip http server\n!\nsnmp-server community isp-ro RO\nsnmp-server location {h}\n!\n\
         line con 0\nline vty 0 4\n login local\nline vty 5 15\n login local\n!\nntp server 10.0.0.1\nend\n",
        ip = dev.mgmt_ip,
        h = dev.name
    )
}

fn cisco_access(dev: &PopSwitch, parent: &str) -> String {
    let mut c = cisco_head(dev);
    for v in &dev.vlans {
        let _ = write!(c, "vlan {v}\n name users-{v}\n!\n");
    }
    for (i, p) in dev.access_ports.iter().enumerate() {
        let _ = write!(
            c,
            "interface {}\n description port-{}\n switchport access vlan {}\n switchport mode access\n spanning-tree portfast\n!\n",
            long_port(dev.kind, p),
            i + 1,
            dev.port_vlan(i as u16 + 1)
        );
    }
    for up in &dev.uplinks {
        let _ = writeln!(c, "interface {}", long_port(dev.kind, up));
        if dev.trunks_marked {
            let mut vl = vec![MGMT_VLAN];
            vl.extend(&dev.vlans);
            let _ = writeln!(
                c,
                " description uplink-{parent}\n switchport trunk allowed vlan {}\n switchport mode trunk",
                join(&vl, ",")
            );
        }
        c.push_str("!\n");
    }
    c + &cisco_tail(dev)
}

fn cisco_trunks(dev: &PopSwitch, trunks: &[Trunk]) -> String {
    let mut c = cisco_head(dev);
    let mut all: Vec<u16> = trunks.iter().flat_map(|t| t.2.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    for v in all.iter().filter(|v| **v != MGMT_VLAN) {
        let _ = write!(c, "vlan {v}\n name users-{v}\n!\n");
    }
    for (port, desc, vlans) in trunks {
        let _ = write!(
            c,
            "interface {}\n description {desc}\n switchport trunk encapsulation dot1q\n switchport trunk allowed vlan {}\n switchport mode trunk\n!\n",
            long_port(dev.kind, port),
            join(vlans, ",")
        );
    }
    c + &cisco_tail(dev)
}

fn qtech_access(dev: &PopSwitch, parent: &str) -> String {
    let mut c = format!(
        "no service password-encryption\n!\nhostname {h}\nsysLocation {h}\nsysContact noc@isp.local\n!\n\
         username admin privilege 15 password 0 adm-pass\n!\nauthentication line vty login local\n!\n\
         snmp-server enable\nsnmp-server securityip disable\nsnmp-server community ro 0 qtech-ro\n!\n\
         ntp enable\nntp server 10.0.0.1\nclock timezone MSK add 3 0\n!\nvlan {MGMT_VLAN}\n name mgmt\n!\n",
        h = dev.name
    );
    for v in &dev.vlans {
        let _ = write!(c, "vlan {v}\n name abon-{v}\n!\n");
    }
    for (i, p) in dev.access_ports.iter().enumerate() {
        let v = dev.port_vlan(i as u16 + 1);
        let _ = write!(
            c,
            "Interface {p}\n description port-{}\n switchport access vlan {v}\n loopback-detection specified-vlan {v}\n!\n",
            i + 1
        );
    }
    for up in &dev.uplinks {
        let _ = writeln!(c, "Interface {up}");
        if dev.trunks_marked {
            let mut vl = vec![MGMT_VLAN];
            vl.extend(&dev.vlans);
            let _ = writeln!(
                c,
                " description uplink-{parent}\n switchport mode trunk\n switchport trunk allowed vlan {}",
                join(&vl, ";")
            );
        }
        c.push_str("!\n");
    }
    let _ = write!(
        c,
        "interface Vlan{MGMT_VLAN}\n ip address {} 255.0.0.0\n!\nip default-gateway {GATEWAY}\n!\nno login\n!\nend\n",
        dev.mgmt_ip
    );
    c
}

fn dlink_access(dev: &PopSwitch) -> String {
    let n = dev.access_ports.len();
    let ups = range(n + 1, n + dev.uplinks.len());
    let mut c = format!(
        "# BASIC\n\nconfig serial_port baud_rate 9600 auto_logout 10_minutes\nenable telnet 23\nenable web 80\n\
         config terminal_line default\nenable clipaging\n\n# ACCOUNT LIST\n\ncreate account admin admin\n\
         config radius add 1 10.0.0.9 key radius-key default\n\n# SNMP\n\nenable snmp\n\
         create snmp community dlink-ro view CommunityView read_only\nconfig snmp system_name {h}\n\
         config snmp system_contact noc@isp.local\n\n# VLAN\n\nconfig vlan default delete 1-{all}\n\
         create vlan mgmt tag {MGMT_VLAN}\n",
        h = dev.name,
        all = n + 2,
    );
    if dev.trunks_marked {
        let _ = writeln!(c, "config vlan mgmt add tagged {ups}");
    } else {
        let _ = writeln!(c, "config vlan mgmt add untagged {ups}");
    }
    for (v, a, b) in vlan_spans(dev) {
        let _ = writeln!(c, "create vlan v{v} tag {v}");
        if dev.trunks_marked {
            let _ = writeln!(c, "config vlan v{v} add tagged {ups}");
            let _ = writeln!(c, "config vlan v{v} add untagged {}", range(a, b));
        } else {
            let _ = writeln!(c, "config vlan v{v} add untagged {},{ups}", range(a, b));
        }
    }
    c.push_str("\n# PORT\n\n");
    for p in 1..=n {
        let _ = writeln!(
            c,
            "config ports {p} speed auto flow_control disabled learning enabled state enabled description \"port-{p}\""
        );
    }
    for p in 1..=n {
        let _ = writeln!(c, "config loopdetect ports {p} state enabled");
    }
    let _ = write!(
        c,
        "\n# IP\n\nconfig ipif System ipaddress {}/8 vlan mgmt\n\n# ROUTE\n\ncreate iproute default {GATEWAY} 1 primary\n\n\
         # SNTP\n\nenable sntp\nconfig sntp primary 10.0.0.1 secondary 0.0.0.0 poll-interval 720\nconfig time_zone operator + hour 3 min 0\n\n\
         #-------------------------------------------------------------------\n#                    End of configuration file\n\
         #-------------------------------------------------------------------\n",
        dev.mgmt_ip
    );
    c
}

fn zyxel_access(dev: &PopSwitch) -> String {
    let n = dev.access_ports.len();
    let ups = range(n + 1, n + dev.uplinks.len());
    let mut c = format!(
        "hostname {h}\nadmin-password Zy-adm cipher\ntime-zone 300\ntime-server 10.0.0.1\n\
         snmp-server get-community zyxel-ro\nsnmp-server set-community zyxel-rw\nsnmp-server trap-destination 10.0.0.2\n\
         loopguard\nspanning-tree\nspanning-tree priority 32768\n\n\
         vlan {MGMT_VLAN}\n  name mgmt\n  normal \"\"\n  fixed {ups}\n  forbidden \"\"\n  untagged {mu}\n\
         \x20 ip address default-management {ip} 255.0.0.0\n  ip address default-gateway {GATEWAY}\nexit\n",
        h = dev.name,
        ip = dev.mgmt_ip,
        mu = if dev.trunks_marked { "\"\"".to_string() } else { ups.clone() },
    );
    for (v, a, b) in vlan_spans(dev) {
        let untagged = if dev.trunks_marked {
            range(a, b)
        } else {
            format!("{},{ups}", range(a, b))
        };
        let _ = write!(
            c,
            "vlan {v}\n  name users-{v}\n  normal \"\"\n  fixed {},{ups}\n  forbidden \"\"\n  untagged {untagged}\nexit\n",
            range(a, b)
        );
    }
    for p in 1..=n {
        let _ = write!(
            c,
            "interface port-channel {p}\n  name port-{p}\n  pvid {}\n  loopguard\nexit\n",
            dev.port_vlan(p as u16)
        );
    }
    for up in &dev.uplinks {
        if dev.trunks_marked {
            let _ = write!(c, "interface port-channel {up}\n  name uplink\nexit\n");
        } else {
            let _ = write!(c, "interface port-channel {up}\nexit\n");
        }
    }
    c
}

fn vrp_head(dev: &PopSwitch, vlans: &[u16]) -> String {
    format!(
        "#\nsysname {h}\n#\nvlan batch {}\n#\nstp mode rstp\nstp enable\n#\n\
         aaa\n authentication-scheme default\n authorization-scheme default\n accounting-scheme default\n\
         \x20domain default\n domain default_admin\n local-user admin password irreversible-cipher $1a$Vq0$kq!8D\n\
         \x20local-user admin privilege level 15\n local-user admin service-type telnet terminal ssh\n#\n\
         interface Vlanif{MGMT_VLAN}\n ip address {ip} 255.0.0.0\n#\n",
        join(vlans, " "),
        h = dev.name,
        ip = dev.mgmt_ip
    )
}

fn vrp_tail() -> String {
    format!(
        "ip route-static 0.0.0.0 0.0.0.0 {GATEWAY}\n#\nsnmp-agent\nsnmp-agent community read cipher %^%#vrp-ro-Q2w%^%#\n\
         snmp-agent sys-info version v2c v3\n#\nstelnet server enable\nssh user admin\nssh user admin authentication-type password\n\
         ssh user admin service-type all\n#\nuser-interface con 0\n authentication-mode aaa\nuser-interface vty 0 4\n\
         \x20authentication-mode aaa\n protocol inbound all\n#\nreturn\n"
    )
}

fn vrp_access(dev: &PopSwitch, parent: &str) -> String {
    let mut vl = vec![MGMT_VLAN];
    vl.extend(&dev.vlans);
    let mut c = vrp_head(dev, &vl);
    for (i, p) in dev.access_ports.iter().enumerate() {
        let _ = write!(
            c,
            "interface {}\n description port-{}\n port link-type access\n port default vlan {}\n stp edged-port enable\n#\n",
            long_port(dev.kind, p),
            i + 1,
            dev.port_vlan(i as u16 + 1)
        );
    }
    for up in &dev.uplinks {
        let _ = writeln!(c, "interface {}", long_port(dev.kind, up));
        if dev.trunks_marked {
            let _ = writeln!(
                c,
                " description uplink-{parent}\n port link-type trunk\n port trunk allow-pass vlan {}",
                join(&vl, " ")
            );
        } else {
            let _ = writeln!(c, " port hybrid untagged vlan {}", join(&vl, " "));
        }
        c.push_str("#\n");
    }
    c + &vrp_tail()
}

fn vrp_trunks(dev: &PopSwitch, trunks: &[Trunk]) -> String {
    let mut all: Vec<u16> = trunks.iter().flat_map(|t| t.2.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    let mut c = vrp_head(dev, &all);
    for (port, desc, vlans) in trunks {
        let _ = write!(
            c,
            "interface {}\n description {desc}\n port link-type trunk\n port trunk allow-pass vlan {}\n#\n",
            long_port(dev.kind, port),
            join(vlans, " ")
        );
    }
    c + &vrp_tail()
}

fn nas(pop: &Population, dev: &PopSwitch) -> String {
    let vlans: Vec<u16> = pop
        .access_switches()
        .iter()
        .flat_map(|a| a.vlans.iter().copied())
        .collect();
    let mut c = format!(
        "# software id = 4C5E-0C{h}\n#\n# model = {model}\n# serial number = 6A2B05{h}\n\
         /interface ethernet\nset [ find default-name=sfp1 ] comment=core\n/interface vlan\n\
         add interface=sfp1 name=vlan{MGMT_VLAN} vlan-id={MGMT_VLAN}\n",
        h = dev.name.trim_start_matches("nas-"),
        model = dev.model,
    );
    for v in &vlans {
        let _ = writeln!(c, "add interface=sfp1 name=vlan{v} vlan-id={v}");
    }
    c.push_str("/interface pppoe-server server\n");
    for v in &vlans {
        let _ = writeln!(
            c,
            "add default-profile=pppoe disabled=no interface=vlan{v} one-session-per-host=yes service-name=isp"
        );
    }
    let _ = write!(
        c,
        "/ip pool\nadd name=pppoe-pool ranges=100.64.0.2-100.127.255.254\n\
         /ppp profile\nadd dns-server=10.0.0.53 local-address=100.64.0.1 name=pppoe remote-address=pppoe-pool\n\
         /ip address\nadd address={ip}/8 interface=vlan{MGMT_VLAN} network=10.0.0.0\n/ip dns\nset servers=10.0.0.53\n\
         /ip route\nadd distance=1 gateway={GATEWAY}\n/ppp aaa\nset interim-update=5m use-radius=yes\n\
         /radius\nadd address=10.0.0.9 secret=radius-key service=ppp\n/ppp secret\n",
        ip = dev.mgmt_ip
    );
    let k = pop.devices.iter().position(|d| d == dev).unwrap_or(0) - pop.nas_device_index(0);
    for s in pop.subscribers.iter().filter(|s| !s.radius && s.nas == k) {
        let _ = writeln!(
            c,
            "add name={} password=pw-{} profile=pppoe remote-address={} service=pppoe",
            s.login,
            s.mac.replace(':', ""),
            s.ip
        );
    }
    let _ = write!(
        c,
        "/snmp\nset enabled=yes\n/system clock\nset time-zone-name=Europe/Moscow\n/system identity\nset name={}\n\
         /system ntp client\nset enabled=yes primary-ntp=10.0.0.1\n",
        dev.name
    );
    c
}
