//! Huawei SmartAX MA5608T OLT (`>>User name:`, `MA5608T>`, `enable`,
//! `config`, `interface gpon 0/1`, `---- More ( Press 'Q' to break ) ----`
//! erased with `ESC[37D`), speaking GPON from the [`GponOlt`] model.
//!
//! While "smart" mode is on (until `undo smart`), commands with optional
//! parameters first ask `{ <cr>|…<K> }:` and wait for an Enter, then echo
//! `  Command:` and the command before their output.

use std::fmt::Write;

use super::engine::{caret_error, cursor_erase, host_prompt, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::olt::{self, failure, parse_fsp};
use super::text::{clock, uptime_parts};
use super::{mgmt_ip, words, Sample, STREETS};
use crate::gpon::{Fsp, GponError, GponOlt, OltVendor, Registration};
use crate::shell::DeviceState;

/// The Huawei OLT (one per session: smart mode is per session).
pub(crate) struct Smartax {
    smart: bool,
}

impl Smartax {
    pub fn new() -> Self {
        Smartax { smart: true }
    }
}

fn unknown(cmd: &str, prompt_len: usize) -> Reply {
    Reply::text(caret_error(
        cmd,
        prompt_len,
        "  % Unknown command, the error locates at '^'\n",
    ))
}

fn parameter_error(cmd: &str, prompt_len: usize) -> Reply {
    Reply::text(caret_error(
        cmd,
        prompt_len,
        "  % Parameter error, the error locates at '^'\n",
    ))
}

fn fail(e: GponError) -> Reply {
    Reply::text(failure(e))
}

/// The text after `desc ` in the command as typed, without its quotes.
fn desc_of(raw: &str) -> Option<String> {
    let at = raw.find(" desc ")?;
    let rest = raw[at + 6..].trim();
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let rest = rest.strip_suffix('"').unwrap_or(rest);
    Some(rest.to_string())
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

/// The value after `key` among the words.
fn after<'a>(t: &[&'a str], key: &str) -> Option<&'a str> {
    t.iter()
        .position(|w| *w == key)
        .and_then(|i| t.get(i + 1).copied())
}

impl Smartax {
    /// Wraps a long answer in the smart-mode question when smart mode is on.
    fn ask(&self, cmd: &str, question: &str, reply: Reply) -> Reply {
        if !self.smart {
            return reply;
        }
        let then = match reply {
            Reply::Out(mut o) => {
                o.text = format!("\n  Command:\n          {cmd}\n{}", o.text);
                Reply::Out(o)
            }
            Reply::Slow { first, delay, then } => Reply::Slow {
                first: format!("\n  Command:\n          {cmd}\n{first}"),
                delay,
                then,
            },
            other => other,
        };
        Reply::Ask {
            question: format!("{{ {question} }}:"),
            then: Box::new(then),
        }
    }

    fn gpon(
        &mut self,
        cmd: &str,
        raw: &str,
        in_gpon: Option<(u8, u8)>,
        ctx: &mut Ctx,
    ) -> Option<Reply> {
        let st = &mut *ctx.st;
        let config = matches!(ctx.mode, Mode::Config(_));
        let prompt_len = host_prompt(st, ctx.mode).len();
        let uptime = st.uptime_secs;
        let olt = st
            .gpon
            .get_or_insert_with(|| GponOlt::sample(OltVendor::Huawei, 0));
        olt.clock = uptime;
        let t: Vec<&str> = cmd.split(' ').collect();
        // F/S/P from `F S P` (global) or `P` (in `interface gpon F/S`).
        let here = |p: &str| -> Option<Fsp> { in_gpon.and_then(|(f, s)| Some((f, s, num(p)?))) };
        let reply = match t.as_slice() {
            ["display", "board", "0"] => Reply::long(olt::display_board(olt)),
            ["display", "ont", "info", "summary", arg] => {
                let fsp = parse_fsp(arg).or_else(|| here(arg))?;
                match olt.check_port(fsp) {
                    Ok(()) => self.ask(cmd, "<cr>||<K>", Reply::long(olt::ont_summary(olt, fsp))),
                    Err(e) => fail(e),
                }
            }
            ["display", "ont", "info", "by-sn", sn] => match olt.ont_by_sn(sn) {
                Some(o) => Reply::long(olt::ont_detail(olt, o)),
                None => fail(GponError::NoOnt),
            },
            ["display", "ont", "info", f, s, p, "all"] => {
                let fsp = parse_fsp(&format!("{f}/{s}/{p}"))?;
                self.ont_list(cmd, olt, fsp)
            }
            ["display", "ont", "info", p, "all"] if in_gpon.is_some() => {
                self.ont_list(cmd, olt, here(p)?)
            }
            ["display", "ont", "info", f, s, p, id] => {
                let fsp = parse_fsp(&format!("{f}/{s}/{p}"))?;
                ont_detail(olt, fsp, num(id)?)
            }
            ["display", "ont", "info", p, id] if in_gpon.is_some() => {
                ont_detail(olt, here(p)?, num(id)?)
            }
            ["display", "ont", "optical-info", p, "all"] if in_gpon.is_some() => {
                if !olt.port_optical_table {
                    return Some(unknown(cmd, prompt_len));
                }
                let fsp = here(p)?;
                match olt.check_port(fsp) {
                    Ok(()) => Reply::long(olt::optical_table(olt, fsp)),
                    Err(e) => fail(e),
                }
            }
            ["display", "ont", "optical-info", p, id] if in_gpon.is_some() => {
                let (fsp, id) = (here(p)?, num(id)?);
                match olt.read_optics(fsp, id) {
                    Ok(levels) => {
                        let o = olt.ont(fsp, id)?;
                        Reply::long(olt::optical_detail(o, levels))
                    }
                    Err(e) => fail(e),
                }
            }
            ["display", "ont", "autofind", "all"] if config => {
                self.ask(cmd, "<cr>||<K>", Reply::long(olt::autofind(olt, None)))
            }
            ["display", "ont", "autofind", p] if in_gpon.is_some() => {
                let fsp = here(p)?;
                match olt.check_port(fsp) {
                    Ok(()) => Reply::long(olt::autofind(olt, Some(fsp))),
                    Err(e) => fail(e),
                }
            }
            ["display", "ont-lineprofile", "gpon", "all"] if config => {
                Reply::long(olt::profiles(olt, true))
            }
            ["display", "ont-srvprofile", "gpon", "all"] if config => {
                Reply::long(olt::profiles(olt, false))
            }
            ["display", "service-port", "all"] => {
                let all = olt.service_ports_sorted();
                let text = olt::service_ports(olt, &all);
                self.ask(cmd, "<cr>|sort-by<K>||<K>", Reply::long(text))
            }
            ["display", "service-port", "port", fsp, "ont", n] => {
                let fsp = parse_fsp(fsp)?;
                let n: u32 = num(n)?;
                let ports = olt.service_ports_of(fsp, Some(n));
                let reply = if let Err(e) = olt.check_port(fsp) {
                    fail(e)
                } else if ports.is_empty() {
                    Reply::text("  Failure: No service virtual port can be operated\n")
                } else {
                    Reply::long(olt::service_ports(olt, &ports))
                };
                self.ask(cmd, "<cr>|gemport<K>|sort-by<K>||<K>", reply)
            }
            ["display", "service-port", "next-free-index"] => {
                let text = format!(
                    "  Next valid free service virtual port ID: {}\n",
                    olt.next_free_index()
                );
                self.ask(cmd, "<cr>||<K>", Reply::text(text))
            }
            ["display", "mac-address", "ont", fsp, n] => {
                let fsp = parse_fsp(fsp)?;
                match olt.check_port(fsp) {
                    Ok(()) => Reply::long(olt::macs(olt, Some((fsp, num(n)?)))),
                    Err(e) => fail(e),
                }
            }
            ["display", "mac-address", "all"] => {
                self.ask(cmd, "<cr>|vlan<K>||<K>", Reply::long(olt::macs(olt, None)))
            }
            ["display", "port", "traffic", p] if in_gpon.is_some() => {
                let fsp = here(p)?;
                match olt.check_port(fsp) {
                    Ok(()) => Reply::text(olt::port_traffic(olt, fsp)),
                    Err(e) => fail(e),
                }
            }
            ["display", "traffic", "vlan", v] => {
                let v: u16 = num(v)?;
                if olt.vlans.contains(&v) {
                    Reply::text(olt::vlan_traffic(olt, v))
                } else {
                    fail(GponError::NoVlan)
                }
            }
            ["ont", verb @ ("confirm" | "add"), p, rest @ ..] if in_gpon.is_some() => {
                let fsp = here(p)?;
                // `ont add P [ID] sn-auth SN …`
                let id = rest.first().and_then(|w| num::<u32>(w));
                let sn = after(rest, "sn-auth")?;
                let line = num(after(rest, "ont-lineprofile-id")?)?;
                let srv = num(after(rest, "ont-srvprofile-id")?)?;
                if !rest.contains(&"omci") {
                    return Some(parameter_error(cmd, prompt_len));
                }
                let desc = desc_of(raw).unwrap_or_default();
                let r = Registration {
                    fsp,
                    sn,
                    ont_id: id,
                    line_profile: line,
                    srv_profile: srv,
                    description: &desc,
                    from_autofind: *verb == "confirm",
                    onu_type: None,
                };
                match olt.register(&r) {
                    Ok(id) => Reply::text(format!(
                        "  Number of ONTs that can be added: 1, success: 1\n  PortID :{}, ONTID :{id}\n",
                        fsp.2
                    )),
                    Err(e) => fail(e),
                }
            }
            ["ont", "delete", p, n] if in_gpon.is_some() => {
                match olt.delete_ont(here(p)?, num(n)?, false) {
                    Ok(_) => Reply::text("  Number of ONTs that can be deleted: 1, success: 1\n"),
                    Err(e) => fail(e),
                }
            }
            ["ont", "modify", p, n, "desc", ..] if in_gpon.is_some() => {
                let desc = desc_of(raw).unwrap_or_default();
                match olt.set_description(here(p)?, num(n)?, &desc) {
                    Ok(()) => Reply::text(""),
                    Err(e) => fail(e),
                }
            }
            ["ont", "port", "native-vlan", p, n, "eth", _, "vlan", v, ..] if in_gpon.is_some() => {
                match olt.set_native_vlan(here(p)?, num(n)?, num(v)?) {
                    Ok(()) => Reply::text(""),
                    Err(e) => fail(e),
                }
            }
            ["service-port", rest @ ..] if config && in_gpon.is_none() => {
                // service-port [IDX] vlan V gpon F/S/P ont N gemport G multi-service user-vlan U tag-transform translate
                let index = rest.first().and_then(|w| num::<u32>(w));
                let vlan = num(after(rest, "vlan")?)?;
                let fsp = parse_fsp(after(rest, "gpon")?)?;
                let ont = num(after(rest, "ont")?)?;
                let gem = num(after(rest, "gemport")?)?;
                let user = after(rest, "user-vlan").and_then(num).unwrap_or(vlan);
                match olt.add_service_port(index, vlan, fsp, ont, gem, user, 0) {
                    Ok(_) => Reply::text(""),
                    Err(e) => fail(e),
                }
            }
            ["undo", "service-port", idx] if config && in_gpon.is_none() => {
                match olt.remove_service_port(num(idx)?) {
                    Ok(_) => Reply::text(""),
                    Err(e) => fail(e),
                }
            }
            ["save"] => {
                olt.saves += 1;
                let reply = Reply::Slow {
                    first: "  It will take several minutes to save configuration file, please wait...\n"
                        .into(),
                    delay: olt.save_delay,
                    then: Box::new(Reply::text(
                        "  The percentage of saved data on control board: 100%\n  Configuration file has been saved\n",
                    )),
                };
                self.ask(cmd, "<cr>|configuration<K>|data<K>", reply)
            }
            _ => return None,
        };
        st.mac_table = st.gpon.as_ref().map(GponOlt::mac_rows).unwrap_or_default();
        Some(reply)
    }

    fn ont_list(&self, cmd: &str, olt: &GponOlt, fsp: Fsp) -> Reply {
        match olt.check_port(fsp) {
            Ok(()) => self.ask(cmd, "<cr>||<K>", Reply::long(olt::ont_list(olt, fsp))),
            Err(e) => fail(e),
        }
    }
}

fn ont_detail(olt: &GponOlt, fsp: Fsp, id: u32) -> Reply {
    if let Err(e) = olt.check_port(fsp) {
        return fail(e);
    }
    match olt.ont(fsp, id) {
        Some(o) => Reply::long(olt::ont_detail(olt, o)),
        None => fail(GponError::NoOnt),
    }
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
    fn execute(&mut self, raw: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(raw);
        let privileged = *ctx.mode != Mode::User;
        let in_gpon: Option<(u8, u8)> = match &*ctx.mode {
            Mode::Config(sub) => sub
                .strip_prefix("(config-if-gpon-")
                .and_then(|s| s.strip_suffix(')'))
                .and_then(|fs| {
                    let (f, s) = fs.split_once('/')?;
                    Some((f.parse().ok()?, s.parse().ok()?))
                }),
            _ => None,
        };
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
            "undo smart" => {
                self.smart = false;
                return Reply::text("");
            }
            "smart" => {
                self.smart = true;
                return Reply::text("");
            }
            "undo interactive" | "interactive" => return Reply::text(""),
            "scroll" => {
                *ctx.page = None;
                return Reply::text("");
            }
            _ => {}
        }
        let st = &mut *ctx.st;
        if cmd == "display version" {
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
        if cmd == "display current-configuration" && privileged {
            st.uptime_secs += 7;
            let header = format!("[MA5600V800R018: {}]\n", 8000 + st.uptime_secs % 1000);
            let section = st
                .gpon
                .as_ref()
                .map(olt::config_section)
                .unwrap_or_default();
            let text = match st.config.find("#\n[post-system]") {
                Some(at) => format!("{header}{}{section}{}", &st.config[..at], &st.config[at..]),
                None => format!("{header}{}{section}", st.config),
            };
            return Reply::config(text, true);
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
            if matches!(ctx.mode, Mode::Config(_)) {
                let Some((f, s)) = parse_fsp(&format!("{fs}/0")).map(|(f, s, _)| (f, s)) else {
                    return parameter_error(&cmd, prompt_len);
                };
                let exists = st
                    .gpon
                    .as_ref()
                    .is_none_or(|g| f == 0 && g.has_gpon_board(s));
                if !exists {
                    return fail(GponError::NoBoard);
                }
                *ctx.mode = Mode::Config(format!("(config-if-gpon-{f}/{s})"));
                return Reply::text("");
            }
        }
        if privileged {
            if let Some(reply) = self.gpon(&cmd, raw, in_gpon, ctx) {
                return reply;
            }
        }
        unknown(&cmd, prompt_len)
    }
}

/// A sample MA5608T: the GPON model of [`GponOlt::sample`], a config with
/// the profiles and VLANs (the registrations are printed from the live model).
pub(crate) fn sample(index: usize) -> (Sample, GponOlt) {
    let hostname = format!(
        "OLT-{}-{}",
        STREETS[index % STREETS.len()].to_ascii_uppercase(),
        index + 1
    );
    let olt = GponOlt::sample(OltVendor::Huawei, index);
    let config = config_base(&hostname, index, &olt);
    (
        Sample {
            hostname,
            config,
            mac_table: olt.mac_rows(),
            model: "MA5608T",
            firmware: "MA5600V800R018C10",
            enable: false,
        },
        olt,
    )
}

/// The static part of an MA5608T configuration: global settings, profiles,
/// VLANs and their uplink, the management interface.
pub(crate) fn config_base(hostname: &str, index: usize, olt: &GponOlt) -> String {
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
    for p in olt.line_profiles.iter().filter(|p| p.id != 0) {
        let _ = write!(
            c,
            " ont-lineprofile gpon profile-id {} profile-name \"{}\"\n  tcont 1 dba-profile-id 10\n  gem add 1 eth tcont 1\n\
             \x20 gem mapping 1 0 vlan 100\n  commit\n  quit\n",
            p.id, p.name
        );
    }
    for p in olt.srv_profiles.iter().filter(|p| p.id != 0) {
        let _ = write!(
            c,
            " ont-srvprofile gpon profile-id {} profile-name \"{}\"\n  ont-port eth 1\n  port vlan eth 1 translation 100 user-vlan 100\n  commit\n  quit\n",
            p.id, p.name
        );
    }
    c.push_str("#\n[vlan]\n  <vlan>\n");
    for v in &olt.vlans {
        let _ = writeln!(c, " vlan {v} smart");
    }
    for v in &olt.vlans {
        let _ = writeln!(c, " port vlan {v} 0/0 0");
    }
    let _ = write!(
        c,
        "#\n[meth]\n  <meth>\n interface meth0\n ip address {} 255.255.255.0\n#\n",
        mgmt_ip(index, 4)
    );
    c.push_str("#\n[post-system]\n  <post-system>\n#\nreturn\n");
    c
}
