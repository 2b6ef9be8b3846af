//! Zyxel MES3500: `User name:`, `MES3500-24>` / `#`, `enable`, the
//! `-- more --, next page: Space, continue: c, quit: ESC` pager.

use std::fmt::Write;

use super::engine::{backspace_erase, host_prompt, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::text::{clock, uptime_parts};
use super::{mac_lookup, mgmt_ip, sample_macs, words, Sample, STREETS};
use crate::shell::{DeviceState, MacRow};

pub(crate) struct Zyxel;

impl Vendor for Zyxel {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        "User name: "
    }
    fn password_prompt(&self) -> &'static str {
        "Password: "
    }
    fn login_failed(&self) -> &'static str {
        "\nInvalid user name or password.\n\n"
    }
    fn welcome(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        host_prompt(st, mode)
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: "-- more --, next page: Space, continue: c, quit: ESC",
            erase: backspace_erase,
            all_key: Some(b'c'),
        }
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        let privileged = *ctx.mode != Mode::User;
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "enable" if !privileged => Reply::AskEnable {
                prompt: "Password: ",
                to: Mode::Privileged,
                failed: "% Access denied\n",
            },
            "disable" => {
                *ctx.mode = Mode::User;
                Reply::text("")
            }
            "terminal length 0" => {
                *ctx.page = None;
                Reply::text("")
            }
            "exit" | "logout" | "quit" => Reply::Close(String::new()),
            "show system-information" => {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                Reply::text(format!(
                    "  Product Model    : {model}\n  System Name      : {host}\n  System Contact   : noc@isp.local\n\
                     \x20 System Location  : \n  System up Time   : {d}:{h:02}:{m:02}:{s:02} ({t} ticks)\n\
                     \x20 Ethernet Address : 00:13:49:00:00:00\n  Bootbase Version : V1.00 | 01/15/2014\n\
                     \x20 Firmware Version : {fw} | 04/13/2015\n  Config Boot Version: V1.00 | 01/15/2014\n",
                    model = st.model,
                    host = st.hostname,
                    fw = st.firmware,
                    t = st.uptime_secs * 100,
                ))
            }
            "show running-config" if privileged => Reply::config_print(st, true, |st| {
                let (d, h, m, _) = uptime_parts(st.uptime_secs);
                format!(
                    "Building configuration...\n\n; Generated at {}\n; System up time: {d}d {h}h {m}m\n\n",
                    clock(st.uptime_secs).iso(),
                )
            }),
            "show mac address-table all" => Reply::long(zyxel_macs(&st.mac_table)),
            _ => match mac_lookup(&cmd, &["show mac address-table mac "], &st.mac_table) {
                Some(rows) => Reply::long(zyxel_macs(&rows)),
                None => Reply::text("% Invalid command\n"),
            },
        }
    }
}

fn zyxel_macs(rows: &[MacRow]) -> String {
    let mut s = String::from("Port      VLAN ID        MAC Address         Type\n");
    for r in rows {
        let kind = if r.dynamic { "Dynamic" } else { "Static" };
        let _ = writeln!(s, "{:<9} {:<14} {:<19} {kind}", r.port, r.vlan, r.mac);
    }
    s
}

pub(crate) fn sample(index: usize) -> Sample {
    let hostname = format!("MES-{}-{}", STREETS[(index + 4) % STREETS.len()], index + 1);
    let vlans = [1, 300 + (index % 20) as u16, 3000];
    let mut c = String::new();
    let _ = write!(
        c,
        "hostname {hostname}\nadmin-password Zy-{index}-adm cipher\ntime-zone 300\ntime-server 10.0.0.1\n\
         snmp-server get-community zyxel-ro-{index}\nsnmp-server set-community zyxel-rw-{index}\nsnmp-server trap-destination 10.0.0.2\n\
         loopguard\nspanning-tree\nspanning-tree priority 32768\n\n\
         vlan 1\n  name 1\n  normal \"\"\n  fixed 25-28\n  forbidden \"\"\n  untagged 25-28\n\
         \x20 ip address default-management {} 255.255.255.0\n  ip address default-gateway {}\nexit\n",
        mgmt_ip(index, 7),
        mgmt_ip(index, 1)
    );
    for v in &vlans[1..] {
        let _ = write!(c, "vlan {v}\n  name users-{v}\n  normal \"\"\n  fixed 1-24,25\n  forbidden \"\"\n  untagged 1-24\nexit\n");
    }
    for p in 1..=24 {
        let _ = write!(
            c,
            "interface port-channel {p}\n  name abon-{}-{p}\n  pvid {}\n  loopguard\nexit\n",
            index + 1,
            vlans[1 + p % 2]
        );
    }
    c.push_str("interface port-channel 25\n  name uplink\nexit\n");
    let access: Vec<String> = (1..=24).map(|p| p.to_string()).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "25", &vlans),
        model: "MES3500-24",
        firmware: "V4.00(AABE.0)",
        enable: true,
    }
}
