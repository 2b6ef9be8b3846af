//! Huawei VRP switches (`Username:`, `<SW1>`, `system-view`, `  ---- More ----`);
//! the SmartAX OLT is in [`smartax`](super::smartax).

use std::fmt::Write;

use super::engine::{caret_error, cursor_erase, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::text::{clock, mac_huawei, uptime_parts};
use super::{mac_lookup, mgmt_ip, sample_macs, words, Sample, STREETS};
use crate::shell::{DeviceState, MacRow};

/// A VRP switch.
pub(crate) struct Vrp;

fn vrp_prompt(st: &DeviceState, mode: &Mode) -> String {
    match mode {
        Mode::User | Mode::Privileged => format!("<{}>", st.hostname),
        Mode::Config(sub) => format!("[{}{}]", st.hostname, sub),
    }
}

impl Vendor for Vrp {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n\nLogin authentication\n\n\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        "Username:"
    }
    fn password_prompt(&self) -> &'static str {
        "Password:"
    }
    fn login_failed(&self) -> &'static str {
        "Error: Local authentication is rejected.\n\nLogin authentication\n\n\n"
    }
    fn welcome(&self, st: &DeviceState) -> String {
        format!(
            "\nInfo: The max number of VTY users is 5, and the number\n      of current VTY users on line is 1.\n      The current login time is {}+03:00.\n",
            clock(st.uptime_secs).iso()
        )
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        vrp_prompt(st, mode)
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: "  ---- More ----",
            erase: cursor_erase,
            all_key: None,
        }
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "screen-length 0 temporary" => {
                *ctx.page = None;
                Reply::text("Info: The configuration takes effect on the current user terminal interface only.\n")
            }
            "super" => Reply::AskEnable {
                prompt: "Password:",
                to: Mode::Privileged,
                failed: "Error: Failed to pass the authentication.\n",
            },
            "system-view" | "sys" => {
                *ctx.mode = Mode::Config(String::new());
                Reply::text("Enter system view, return user view with Ctrl+Z.\n")
            }
            "return" => {
                *ctx.mode = Mode::Privileged;
                Reply::text("")
            }
            "quit" => match &*ctx.mode {
                Mode::Config(sub) if !sub.is_empty() => {
                    *ctx.mode = Mode::Config(String::new());
                    Reply::text("")
                }
                Mode::Config(_) => {
                    *ctx.mode = Mode::Privileged;
                    Reply::text("")
                }
                _ => Reply::Close("  Configuration console exit, please retry to log on\n".into()),
            },
            "exit" | "logout" => Reply::Close(String::new()),
            "display version" => {
                let (d, h, m, _) = uptime_parts(st.uptime_secs);
                Reply::text(format!(
                    "Huawei Versatile Routing Platform Software\nVRP (R) software, Version {fw}\n\
                     Copyright (C) 2000-2018 HUAWEI TECH Co., Ltd.\n\
                     HUAWEI {model} Routing Switch uptime is {w} weeks, {dd} days, {h} hours, {m} minutes\n\n\
                     ES5D2S28C000 0(Master) : uptime is {w} weeks, {dd} days, {h} hours, {m} minutes\n",
                    fw = st.firmware,
                    model = st.model,
                    w = d / 7,
                    dd = d % 7,
                ))
            }
            "display current-configuration" => Reply::config_print(st, true, |st| {
                let now = clock(st.uptime_secs).iso();
                let ver = st
                    .firmware
                    .split_whitespace()
                    .last()
                    .unwrap_or("")
                    .trim_end_matches(')');
                format!("!Software Version {ver}\n!Last configuration was updated at {now}+03:00 by SYSTEM automatically\n")
            }),
            "display mac-address" => Reply::long(vrp_macs(&st.mac_table)),
            _ => match mac_lookup(&cmd, &["display mac-address "], &st.mac_table) {
                Some(rows) => Reply::long(vrp_macs(&rows)),
                None => Reply::text(caret_error(
                    &cmd,
                    vrp_prompt(st, ctx.mode).len(),
                    "Error: Unrecognized command found at '^' position.\n",
                )),
            },
        }
    }
}

fn vrp_macs(rows: &[MacRow]) -> String {
    let line = "-------------------------------------------------------------------------------\n";
    let mut s = format!("{line}MAC Address    VLAN/VSI/BD                       Learned-From        Type      \n{line}");
    for r in rows {
        let kind = if r.dynamic { "dynamic" } else { "static" };
        let vlan = format!("{}/-/-", r.vlan);
        let _ = writeln!(
            s,
            "{} {vlan:<33} {:<19} {kind:<10}",
            mac_huawei(&r.mac),
            r.port
        );
    }
    s.push_str(line);
    let _ = writeln!(s, "Total items displayed = {}", rows.len());
    s
}

pub(crate) fn vrp_sample(index: usize) -> Sample {
    let hostname = format!("HW-{}-{}", STREETS[(index + 1) % STREETS.len()], index + 1);
    let vlans = [10 + (index % 4) as u16, 20, 30 + (index % 3) as u16];
    let mut c = String::new();
    let _ = write!(
        c,
        "#\nsysname {hostname}\n#\nvlan batch {} {} {}\n#\nstp mode rstp\nstp enable\n#\n\
         dhcp enable\n#\naaa\n authentication-scheme default\n authorization-scheme default\n accounting-scheme default\n\
         \x20domain default\n domain default_admin\n local-user admin password irreversible-cipher $1a$Vq0{index}$kq!8D\n\
         \x20local-user admin privilege level 15\n local-user admin service-type telnet terminal ssh\n#\n\
         interface Vlanif1\n ip address {} 255.255.255.0\n#\n",
        vlans[0],
        vlans[1],
        vlans[2],
        mgmt_ip(index, 5)
    );
    for p in 1..=24 {
        let v = vlans[p % 3];
        let _ = write!(
            c,
            "interface GigabitEthernet0/0/{p}\n description abon-{}-{p}\n port link-type access\n port default vlan {v}\n stp edged-port enable\n#\n",
            index + 1
        );
    }
    let _ = write!(
        c,
        "interface Eth-Trunk1\n description uplink\n port link-type trunk\n port trunk allow-pass vlan 2 to 4094\n#\n\
         ip route-static 0.0.0.0 0.0.0.0 {}\n#\nsnmp-agent\nsnmp-agent local-engineid 800007DB03{index:012}\n\
         snmp-agent community read cipher %^%#vrp-ro-{index}-Q2w%^%#\nsnmp-agent sys-info version v2c v3\n#\n\
         stelnet server enable\nssh user admin\nssh user admin authentication-type password\nssh user admin service-type all\n#\n\
         user-interface con 0\n authentication-mode aaa\nuser-interface vty 0 4\n authentication-mode aaa\n protocol inbound all\n#\nreturn\n",
        mgmt_ip(index, 1)
    );
    let access: Vec<String> = (1..=24).map(|p| format!("GE0/0/{p}")).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "Eth-Trunk1", &vlans),
        model: "S5720-28X-SI-AC",
        firmware: "5.170 (S5720 V200R011C10SPC600)",
        enable: false,
    }
}
