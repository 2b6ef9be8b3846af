//! Huawei: the SmartAX MA5608T OLT (`>>User name:`, `MA5608T>`, `enable`,
//! `config`, `---- More ( Press 'Q' to break ) ----` erased with `ESC[37D`)
//! and VRP switches (`Username:`, `<SW1>`, `system-view`, `  ---- More ----`).

use std::fmt::Write;

use super::engine::{caret_error, cursor_erase, host_prompt, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::olt::{ont_ids, parse_fsp, Olt};
use super::text::{clock, mac_huawei, uptime_parts};
use super::{mac_lookup, mgmt_ip, sample_macs, words, Sample, STREETS};
use crate::shell::{DeviceState, MacRow};

/// The Huawei OLT.
pub(crate) struct Smartax;

impl Smartax {
    pub fn new() -> Self {
        Smartax
    }
}

fn smartax_unknown(cmd: &str, prompt_len: usize) -> String {
    caret_error(
        cmd,
        prompt_len,
        "  % Unknown command, the error locates at '^'\n",
    )
}

impl Vendor for Smartax {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        ">>User name:"
    }
    fn password_prompt(&self) -> &'static str {
        ">>User password:"
    }
    fn login_failed(&self) -> &'static str {
        "\n  Username or password invalid.\n\n"
    }
    fn too_many_failures(&self) -> &'static str {
        "  Reenter times have reached the upper limit.\n"
    }
    fn welcome(&self, st: &DeviceState) -> String {
        let now = clock(st.uptime_secs).iso();
        format!(
            "\n  Huawei Integrated Access Software (MA5600T).\n  Copyright(C) Huawei Technologies Co., Ltd. 2002-2019. All rights reserved.\n\n\
             \x20 -----------------------------------------------------------------------------\n\
             \x20 User last login information:\n\
             \x20 -----------------------------------------------------------------------------\n\
             \x20 Access Type : Telnet \n  IP-Address  : 10.0.0.5\n  Login  Time : {now}+03:00\n  Logout Time : {now}+03:00\n\
             \x20 -----------------------------------------------------------------------------\n\n"
        )
    }
    fn first_mode(&self, _has_enable_password: bool) -> Mode {
        Mode::User
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        host_prompt(st, mode)
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: "---- More ( Press 'Q' to break ) ----",
            erase: cursor_erase,
            all_key: None,
        }
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        let privileged = *ctx.mode != Mode::User;
        let in_gpon = match &*ctx.mode {
            Mode::Config(sub) => sub
                .strip_prefix("(config-if-gpon-")
                .and_then(|s| s.strip_suffix(')'))
                .map(str::to_string),
            _ => None,
        };
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "enable" => {
                if *ctx.mode == Mode::User {
                    *ctx.mode = Mode::Privileged;
                }
                return Reply::text("");
            }
            "config" if privileged => {
                *ctx.mode = Mode::Config("(config)".into());
                return Reply::text("");
            }
            "quit" => {
                match &*ctx.mode {
                    Mode::Config(sub) if sub != "(config)" => {
                        *ctx.mode = Mode::Config("(config)".into())
                    }
                    Mode::Config(_) => *ctx.mode = Mode::Privileged,
                    _ => return Reply::Close(String::new()),
                }
                return Reply::text("");
            }
            "logout" | "exit" => return Reply::Close(String::new()),
            "undo smart" | "smart" | "undo interactive" | "interactive" => return Reply::text(""),
            "scroll" => {
                *ctx.page = None;
                return Reply::text("");
            }
            "display version" => {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                return Reply::text(format!(
                    "\n  VERSION : {fw}\n  PATCH   : SPH210\n  PRODUCT : {model}\n\n  Active Mainboard Running Area Information: \n\
                     \x20 --------------------------------------------------\n  Current Program Area : Area A\n\
                     \x20 Current Data Area : Area A\n\n  Program Area A Version   : {fw}\n\
                     \x20 --------------------------------------------------\n\n\
                     \x20 Uptime is {d} day(s), {h} hour(s), {m} minute(s), {s} second(s)\n",
                    fw = st.firmware,
                    model = st.model
                ));
            }
            "display current-configuration" if privileged => {
                return Reply::config_print(st, true, |st| {
                    format!("[MA5600V800R018: {}]\n", 8000 + st.uptime_secs % 1000)
                });
            }
            "display mac-address all" if privileged => return Reply::long(smartax_macs(st)),
            "display board 0" => return Reply::long(Olt::from_state(st).display_board()),
            _ => {}
        }
        let prompt_len = host_prompt(st, ctx.mode).len();
        if let Some(n) = cmd
            .strip_prefix("scroll ")
            .and_then(|n| n.parse::<usize>().ok())
        {
            *ctx.page = Some(n.max(10));
            return Reply::text("");
        }
        if let Some(fs) = cmd.strip_prefix("interface gpon ") {
            if matches!(ctx.mode, Mode::Config(_)) && parse_fsp(&format!("{fs}/0")).is_some() {
                *ctx.mode = Mode::Config(format!("(config-if-gpon-{fs})"));
                return Reply::text("");
            }
        }
        // display ont info F S P all  |  (in interface gpon F/S) display ont info P all
        if let Some(args) = cmd
            .strip_prefix("display ont info ")
            .and_then(|a| a.strip_suffix(" all"))
        {
            let fsp = match (args.split(' ').collect::<Vec<_>>().as_slice(), &in_gpon) {
                ([f, s, p], _) => parse_fsp(&format!("{f}/{s}/{p}")),
                ([p], Some(fs)) => parse_fsp(&format!("{fs}/{p}")),
                _ => None,
            };
            if let Some(fsp) = fsp {
                return match Olt::from_state(st).display_ont_info(fsp) {
                    Some(text) => Reply::long(text),
                    None => Reply::text("  Failure: The board does not exist\n"),
                };
            }
        }
        Reply::text(smartax_unknown(&cmd, prompt_len))
    }
}

fn smartax_macs(st: &DeviceState) -> String {
    let line = "  -----------------------------------------------------------------------------\n";
    let mut s = format!("  It will take some time, please wait...\n{line}");
    s.push_str(
        "  SRV-P BUNDLE TYPE MAC            MAC TYPE F /S /P  VPI  VCI   VLAN ID\n  INDEX INDEX\n",
    );
    s.push_str(line);
    let ids = ont_ids(&st.mac_table);
    for (i, (r, id)) in st.mac_table.iter().zip(ids).enumerate() {
        let (f, sl, p) = parse_fsp(&r.port).unwrap_or((0, 1, 0));
        let kind = if r.dynamic { "dynamic" } else { "static " };
        let fsp = format!("{f} /{sl} /{p}");
        let _ = writeln!(
            s,
            "  {:>5}      - gpon {} {kind}  {fsp:<8}  {id:<4} 1     {}",
            i * 3 + 1,
            mac_huawei(&r.mac),
            r.vlan
        );
    }
    s.push_str(line);
    let _ = writeln!(s, "  Total: {}", st.mac_table.len());
    s
}

pub(crate) fn smartax_sample(index: usize) -> Sample {
    let hostname = format!(
        "OLT-{}-{}",
        STREETS[index % STREETS.len()].to_ascii_uppercase(),
        index + 1
    );
    let vlans = [100 + (index % 5) as u16, 2105];
    let access: Vec<String> = (0..4).map(|p| format!("0/1/{p}")).collect();
    let macs = sample_macs(index, &access, "0/1/4", &vlans);
    let mut c = String::new();
    let _ = write!(
        c,
        "#\n[global-config]\n  <global-config>\n sysname {hostname}\n timezone GMT+ 03:00\n\
         \x20sntp unicast-server ipv4 10.0.0.1\n ip route-static 0.0.0.0 0.0.0.0 {gw}\n\
         \x20snmp-agent community read cipher %@%@olt-ro-{index}-Zx9%@%@\n\
         \x20snmp-agent sys-info contact \"noc@isp.local\"\n snmp-agent sys-info location \"{street}\"\n\
         \x20snmp-agent sys-info version v2c\n#\n[gpon]\n  <gpon>\n",
        gw = mgmt_ip(index, 1),
        street = STREETS[index % STREETS.len()],
    );
    for (pid, v) in vlans.iter().enumerate() {
        let pid = pid + 10;
        let _ = write!(
            c,
            " ont-lineprofile gpon profile-id {pid} profile-name \"line-{v}\"\n  tcont 1 dba-profile-id 10\n  gem add 1 eth tcont 1\n\
             \x20 gem mapping 1 0 vlan {v}\n  commit\n  quit\n\
             \x20ont-srvprofile gpon profile-id {pid} profile-name \"srv-{v}\"\n  ont-port eth 1\n  port vlan eth 1 {v}\n  commit\n  quit\n"
        );
    }
    let _ = write!(c, "#\n[vlan]\n  <vlan>\n vlan {} smart\n vlan {} smart\n port vlan {} 0/0 0\n port vlan {} 0/0 0\n#\n", vlans[0], vlans[1], vlans[0], vlans[1]);
    let _ = write!(
        c,
        "[meth]\n  <meth>\n interface meth0\n ip address {} 255.255.255.0\n#\n",
        mgmt_ip(index, 4)
    );
    let olt = Olt::from_state(&DeviceState {
        hostname: hostname.clone(),
        config: String::new(),
        mac_table: macs.clone(),
        model: String::new(),
        firmware: String::new(),
        uptime_secs: 0,
        fault: Default::default(),
        ppp_sessions: Vec::new(),
    });
    let _ = write!(
        c,
        "[interface]\n  <interface gpon-0/1>\n interface gpon 0/1\n"
    );
    for p in 0..8 {
        let _ = writeln!(c, " port {p} ont-auto-find enable");
    }
    for o in &olt.onts {
        let _ = writeln!(
            c,
            " ont add {} {} sn-auth \"{}\" omci ont-lineprofile-id 10 ont-srvprofile-id 10 desc \"{}\"",
            o.fsp.2, o.id, o.sn, o.desc
        );
    }
    let _ = write!(c, "#\n[service-port]\n  <service-port>\n");
    for (i, (o, r)) in olt.onts.iter().zip(&macs).enumerate() {
        let _ = writeln!(
            c,
            " service-port {i} vlan {v} gpon 0/1/{p} ont {id} gemport 1 multi-service user-vlan {v} tag-transform translate",
            v = r.vlan,
            p = o.fsp.2,
            id = o.id
        );
    }
    c.push_str("#\n[post-system]\n  <post-system>\n#\nreturn\n");
    Sample {
        hostname,
        config: c,
        mac_table: macs,
        model: "MA5608T",
        firmware: "MA5600V800R018C10",
        enable: false,
    }
}

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
