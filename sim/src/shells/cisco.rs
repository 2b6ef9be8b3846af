//! Cisco IOS (Catalyst 2960) and Qtech QSW-2800 (IOS-like, cp1251): `host>`,
//! `enable`, ` --More-- ` erased with backspaces, `% Invalid input` errors.

use std::fmt::Write;

use super::engine::{
    backspace_erase, caret_error, host_prompt, Ctx, Mode, PagerStyle, Reply, Vendor,
};
use super::text::{clock, mac_dashed, mac_dotted, uptime_parts};
use super::{mac_lookup, mgmt_ip, sample_macs, words, Sample, STREETS, SURNAMES};
use crate::shell::{DeviceState, MacRow};

/// The ` --More-- ` pager both print, erased with backspaces.
fn more_pager() -> PagerStyle {
    PagerStyle {
        prompt: " --More-- ",
        erase: backspace_erase,
        all_key: None,
    }
}

fn invalid(cmd: &str, prompt_len: usize) -> String {
    caret_error(cmd, prompt_len, "% Invalid input detected at '^' marker.\n")
}

/// The commands both share: enable, configure, exit, paging.
fn common(cmd: &str, ctx: &mut Ctx) -> Option<Reply> {
    let reply = match cmd {
        "enable" | "en" if *ctx.mode == Mode::User => Reply::AskEnable {
            prompt: "Password: ",
            to: Mode::Privileged,
            failed: "% Access denied\n",
        },
        "disable" => {
            *ctx.mode = Mode::User;
            Reply::text("")
        }
        "configure terminal" | "conf t" | "config" if *ctx.mode == Mode::Privileged => {
            *ctx.mode = Mode::Config("(config)".into());
            Reply::text("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        }
        "end" if matches!(ctx.mode, Mode::Config(_)) => {
            *ctx.mode = Mode::Privileged;
            Reply::text("")
        }
        "exit" if matches!(ctx.mode, Mode::Config(_)) => {
            *ctx.mode = Mode::Privileged;
            Reply::text("")
        }
        "exit" | "quit" | "logout" => Reply::Close(String::new()),
        _ => {
            let n = cmd
                .strip_prefix("terminal length ")?
                .parse::<usize>()
                .ok()?;
            *ctx.page = (n > 0).then_some(n);
            Reply::text("")
        }
    };
    Some(reply)
}

/// Cisco IOS.
pub(crate) struct Ios;

impl Vendor for Ios {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n\nUser Access Verification\n\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        "Username: "
    }
    fn password_prompt(&self) -> &'static str {
        "Password: "
    }
    fn login_failed(&self) -> &'static str {
        "% Login invalid\n\n"
    }
    fn too_many_failures(&self) -> &'static str {
        "% Bad passwords\n"
    }
    fn welcome(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        host_prompt(st, mode)
    }
    fn pager(&self) -> PagerStyle {
        more_pager()
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        if let Some(r) = common(&cmd, ctx) {
            return r;
        }
        let privileged = *ctx.mode != Mode::User;
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "show version" => Reply::text(ios_version(st)),
            "show running-config" | "sh run" | "show run" if privileged => {
                Reply::config_print(st, true, |st| {
                    let c = clock(st.uptime_secs);
                    format!(
                        "Building configuration...\n\nCurrent configuration : {} bytes\n!\n! Last configuration change at {} by admin\n! NVRAM config last updated at {} by admin\n!\n",
                        st.config.len(),
                        c.cisco(),
                        c.cisco(),
                    )
                })
            }
            "show mac address-table" | "show mac-address-table" => {
                Reply::long(ios_macs(&st.mac_table, true))
            }
            _ => match mac_lookup(
                &cmd,
                &[
                    "show mac address-table address ",
                    "show mac-address-table address ",
                ],
                &st.mac_table,
            ) {
                Some(rows) => Reply::long(ios_macs(&rows, false)),
                None => Reply::text(invalid(&cmd, host_prompt(st, ctx.mode).len())),
            },
        }
    }
}

fn ios_version(st: &DeviceState) -> String {
    let (d, h, m, _) = uptime_parts(st.uptime_secs);
    format!(
        "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version {fw}, RELEASE SOFTWARE (fc1)\n\
         Technical Support: http://www.cisco.com/techsupport\n\
         Copyright (c) 1986-2012 by Cisco Systems, Inc.\n\n\
         ROM: Bootstrap program is C2960 boot loader\n\
         {host} uptime is {d} days, {h} hours, {m} minutes\n\
         System image file is \"flash:c2960-lanbasek9-mz.bin\"\n\n\
         cisco {model} (PowerPC405) processor (revision B0) with 65536K bytes of memory.\n\
         24 FastEthernet interfaces\n2 Gigabit Ethernet interfaces\n\n\
         Model number                    : {model}\n\
         Configuration register is 0xF\n",
        fw = st.firmware,
        host = st.hostname,
        model = st.model,
    )
}

/// The table; `cpu` adds the CPU's static entries (the full table has them,
/// a lookup by address does not).
fn ios_macs(rows: &[MacRow], cpu: bool) -> String {
    let mut s = String::from(
        "          Mac Address Table\n-------------------------------------------\n\n\
         Vlan    Mac Address       Type        Ports\n----    -----------       --------    -----\n",
    );
    if cpu {
        s.push_str(" All    0100.0ccc.cccc    STATIC      CPU\n All    ffff.ffff.ffff    STATIC      CPU\n");
    }
    for r in rows {
        let kind = if r.dynamic { "DYNAMIC" } else { "STATIC" };
        let _ = writeln!(
            s,
            "{:>4}    {}    {:<11} {}",
            r.vlan,
            mac_dotted(&r.mac),
            kind,
            r.port
        );
    }
    let _ = writeln!(
        s,
        "Total Mac Addresses for this criterion: {}",
        rows.len() + if cpu { 2 } else { 0 }
    );
    s
}

pub(crate) fn ios_sample(index: usize) -> Sample {
    let hostname = format!("sw-{}-{}", STREETS[index % STREETS.len()], index + 1);
    let vlans = [100 + (index % 5) as u16, 200, 300 + (index % 7) as u16];
    let mut c = String::new();
    let _ = write!(
        c,
        "version 12.2\nno service pad\nservice timestamps debug datetime msec\nservice timestamps log datetime msec\n\
         service password-encryption\n!\nhostname {hostname}\n!\nboot-start-marker\nboot-end-marker\n!\n\
         enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX{index:03}\n!\n\
         username admin privilege 15 secret 5 $1$Xc2b$Q8mm0dGj1u8pZ{index:03}\n\
         aaa new-model\naaa authentication login default local\naaa authorization exec default local\n!\n\
         system mtu routing 1500\nip subnet-zero\nno ip domain-lookup\nip domain-name isp.local\n!\n\
         spanning-tree mode rapid-pvst\nspanning-tree extend system-id\n!\n\
         vlan internal allocation policy ascending\n!\n"
    );
    for v in vlans {
        let _ = write!(c, "vlan {v}\n name users-{v}\n!\n");
    }
    for p in 1..=24 {
        let v = vlans[p % 2];
        let _ = write!(
            c,
            "interface FastEthernet0/{p}\n description abon-{}-{p}\n switchport access vlan {v}\n switchport mode access\n spanning-tree portfast\n!\n",
            index + 1
        );
    }
    let _ = write!(
        c,
        "interface GigabitEthernet0/1\n description uplink-to-core\n switchport mode trunk\n!\n\
         interface GigabitEthernet0/2\n shutdown\n!\n\
         interface Vlan1\n ip address {ip} 255.255.255.0\n no ip route-cache\n!\n\
         ip default-gateway {gw}\nip http server\n!\n\
         snmp-server community isp-ro-{index} RO\nsnmp-server location {street} {n}\n!\n\
         line con 0\nline vty 0 4\n password 7 0822455D0A16{index:02}\n login local\nline vty 5 15\n login local\n!\n\
         ntp server 10.0.0.1\nend\n",
        ip = mgmt_ip(index, 2),
        gw = mgmt_ip(index, 1),
        street = STREETS[index % STREETS.len()],
        n = index + 1,
    );
    let access: Vec<String> = (1..=24).map(|p| format!("Fa0/{p}")).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "Gi0/1", &vlans),
        model: "WS-C2960-24TT-L",
        firmware: "12.2(55)SE5",
        enable: true,
    }
}

/// Qtech / Orion QSW.
pub(crate) struct Qtech;

impl Vendor for Qtech {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        "Username:"
    }
    fn password_prompt(&self) -> &'static str {
        "Password:"
    }
    fn login_failed(&self) -> &'static str {
        "% Bad username or password\n\n"
    }
    fn welcome(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        host_prompt(st, mode)
    }
    fn pager(&self) -> PagerStyle {
        more_pager()
    }
    fn cp1251(&self) -> bool {
        true
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        if let Some(r) = common(&cmd, ctx) {
            return r;
        }
        let privileged = *ctx.mode != Mode::User;
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "show version" => {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                Reply::text(format!(
                    "  {model} Device, Compiled on Jun 10 14:54:48 2016\n  sysLocation China\n  CPU Mac 00:03:0f:12:34:56\n  Vlan MAC 00:03:0f:12:34:55\n\
                     \x20 SoftWare Version {fw}\n  BootRom Version 7.2.27\n  HardWare Version 1.0.1\n  CPLD Version N/A\n\
                     \x20 Serial No.:SW05000000000{d}\n  Copyright (C) 2001-2016 by Qtech.\n  All rights reserved\n\
                     \x20 Uptime is {d} weeks, {h} days, {m} hours, {s} minutes\n",
                    model = st.model,
                    fw = st.firmware
                ))
            }
            "show running-config" if privileged => Reply::config_print(st, true, |st| {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                format!(
                    "!Current Time: {}\n!System uptime is {d} days {h} hours {m} minutes {s} seconds\n!\n",
                    clock(st.uptime_secs).iso(),
                )
            }),
            "show mac-address-table l2-address" | "show mac-address-table" => {
                Reply::long(qtech_macs(&st.mac_table))
            }
            _ => match mac_lookup(&cmd, &["show mac-address-table address "], &st.mac_table) {
                Some(rows) => Reply::long(qtech_macs(&rows)),
                None => Reply::text(invalid(&cmd, host_prompt(st, ctx.mode).len())),
            },
        }
    }
}

fn qtech_macs(rows: &[MacRow]) -> String {
    let mut s = String::from(
                    "Read mac address table....\nVlan Mac Address                 Type    Creator   Ports\n\
                     ---- --------------------------- ------- -------------------------------------\n",
                );
    for r in rows {
        let kind = if r.dynamic { "DYNAMIC" } else { "STATIC" };
        let creator = if r.dynamic { "Hardware" } else { "User" };
        let _ = writeln!(
            s,
            "{:<4} {:<27} {:<7} {:<9} {}",
            r.vlan,
            mac_dashed(&r.mac, false),
            kind,
            creator,
            r.port
        );
    }
    s
}

pub(crate) fn qtech_sample(index: usize) -> Sample {
    let hostname = format!("QSW-{}-{}", STREETS[(index + 2) % STREETS.len()], index + 1);
    let vlans = [1000 + (index % 9) as u16, 2001];
    let mut c = String::new();
    let _ = write!(
        c,
        "no service password-encryption\n!\nhostname {hostname}\nsysLocation {street}\nsysContact noc@isp.local\n!\n\
         username admin privilege 15 password 0 adm-{index}-pass\n!\n\
         authentication line vty login local\n!\n\
         snmp-server enable\nsnmp-server securityip disable\nsnmp-server community ro 0 qtech-ro-{index}\n!\n\
         ntp enable\nntp server 10.0.0.1\nclock timezone MSK add 3 0\n!\n",
        street = STREETS[(index + 2) % STREETS.len()],
    );
    for v in vlans {
        let _ = write!(c, "vlan {v}\n name abon-{v}\n!\n");
    }
    for p in 1..=24 {
        let v = vlans[p % 2];
        let who = SURNAMES[(p + index) % SURNAMES.len()];
        let _ = write!(
            c,
            "Interface Ethernet1/0/{p}\n description Абонент {who} кв {}\n switchport access vlan {v}\n loopback-detection specified-vlan {v}\n!\n",
            p * 3 + index
        );
    }
    let _ = write!(
        c,
        "Interface Ethernet1/0/25\n description uplink\n switchport mode trunk\n!\nInterface Ethernet1/0/26\n!\n\
         interface Vlan1\n ip address {ip} 255.255.255.0\n!\nip default-gateway {gw}\n!\nno login\n!\nend\n",
        ip = mgmt_ip(index, 3),
        gw = mgmt_ip(index, 1),
    );
    let access: Vec<String> = (1..=24).map(|p| format!("Ethernet1/0/{p}")).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "Ethernet1/0/25", &vlans),
        model: "QSW-2800-28T-AC",
        firmware: "6.2.172.0",
        enable: index.is_multiple_of(2),
    }
}
