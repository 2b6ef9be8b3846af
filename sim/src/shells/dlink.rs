//! D-Link DES-3200: `UserName:` / `PassWord:`, `DES-3200-28:admin#`, the
//! `Command: ...` echo, the full-width pager line, cp1251 port descriptions.

use std::fmt::Write;

use super::engine::{line_erase, Ctx, Mode, PagerStyle, Reply, Vendor, PAGE_LINES};
use super::text::{clock, mac_dashed, uptime_parts};
use super::{mac_lookup, mgmt_ip, sample_macs, words, Sample, STREETS, SURNAMES};
use crate::shell::{DeviceState, MacRow};

pub(crate) struct Des;

impl Vendor for Des {
    fn telnet_banner(&self, st: &DeviceState) -> String {
        format!(
            "\n\n                    {} Fast Ethernet Switch\n                        Command Line Interface\n\n\
             \x20                      Firmware: Build {}\n        Copyright(C) 2010 D-Link Corporation. All rights reserved.\n\n",
            st.model, st.firmware
        )
    }
    fn user_prompt(&self) -> &'static str {
        "UserName:"
    }
    fn password_prompt(&self) -> &'static str {
        "PassWord:"
    }
    fn login_failed(&self) -> &'static str {
        "\n Fail!\n\n"
    }
    fn welcome(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn first_mode(&self, _has_enable_password: bool) -> Mode {
        Mode::Privileged
    }
    fn prompt(&self, st: &DeviceState, _mode: &Mode) -> String {
        format!("{}:admin#", st.hostname)
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: "CTRL+C ESC q Quit SPACE n Next Page ENTER Next Entry a All",
            erase: line_erase,
            all_key: Some(b'a'),
        }
    }
    fn cp1251(&self) -> bool {
        true
    }
    fn command_echo(&self, cmd: &str) -> String {
        format!("Command: {}\n\n", words(cmd))
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        let st = &mut *ctx.st;
        match cmd.as_str() {
            "disable clipaging" => {
                *ctx.page = None;
                Reply::text("Success.\n")
            }
            "enable clipaging" => {
                *ctx.page = Some(PAGE_LINES);
                Reply::text("Success.\n")
            }
            "logout" | "exit" | "quit" => Reply::Close(String::new()),
            "show switch" => {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                Reply::text(format!(
                    "Device Type        : {model} Fast Ethernet Switch\nMAC Address        : 00-1E-58-A9-6B-9D\n\
                     IP Address         : {ip} (Manual)\nVLAN Name          : default\nSubnet Mask        : 255.255.255.0\n\
                     Default Gateway    : {gw}\nBoot PROM Version  : Build 1.00.B007\nFirmware Version   : Build {fw}\n\
                     Hardware Version   : C1\nSystem Name        : {host}\nSystem Location    : \nSystem Uptime      : {d} days, {h} hours, {m} minutes, {s} seconds\n\
                     System Contact     : \nSpanning Tree      : Enabled\nTelnet             : Enabled (TCP 23)\nSSH                : Enabled\n",
                    model = st.model,
                    fw = st.firmware,
                    host = st.hostname,
                    ip = mgmt_ip(0, 6),
                    gw = mgmt_ip(0, 1),
                ))
            }
            "show config current_config" => Reply::config_print(st, true, |st| {
                let line = "#-------------------------------------------------------------------\n";
                format!(
                    "{line}#                       {model} Fast Ethernet Switch\n#                                Configuration\n#\n\
                     #                           Firmware: Build {fw}\n#           Copyright(C) 2010 D-Link Corporation. All rights reserved.\n\
                     #                           Time: {now}\n{line}\n",
                    model = st.model,
                    fw = st.firmware,
                    now = clock(st.uptime_secs).iso(),
                )
            }),
            "show fdb" => Reply::long(fdb(&st.mac_table)),
            _ => match mac_lookup(&cmd, &["show fdb mac_address "], &st.mac_table) {
                Some(rows) => Reply::long(fdb(&rows)),
                None => Reply::text(
                "Available commands:\n..                  ?                   cable_diag          clear\nconfig              create              delete              disable\n\
                 download            enable              login               logout\nping                reboot              reset               save\nshow                upload\n",
                ),
            },
        }
    }
}

fn fdb(rows: &[MacRow]) -> String {
    let mut s = String::from(
                    "Unicast MAC Address Aging Time  = 300\n\nVID  VLAN Name                        MAC Address       Port  Type\n\
                     ---- -------------------------------- ----------------- ----- ---------------\n",
                );
    for r in rows {
        let name = if r.vlan == 1 {
            "default".to_string()
        } else {
            format!("v{}", r.vlan)
        };
        let kind = if r.dynamic { "Dynamic" } else { "Static" };
        let _ = writeln!(
            s,
            "{:<4} {name:<32} {} {:<5} {kind}",
            r.vlan,
            mac_dashed(&r.mac, true),
            r.port
        );
    }
    let _ = write!(s, "\nTotal Entries: {}\n", rows.len());
    s
}

pub(crate) fn sample(index: usize) -> Sample {
    let hostname = format!("DES-{}-{}", STREETS[(index + 3) % STREETS.len()], index + 1);
    let vlans = [1, 100 + (index % 10) as u16, 250];
    let mut c = String::new();
    let _ = write!(
        c,
        "# BASIC\n\nconfig serial_port baud_rate 9600 auto_logout 10_minutes\nenable telnet 23\nenable web 80\n\
         config terminal_line default\nenable clipaging\n\n# ACCOUNT LIST\n\ncreate account admin admin\n\
         config radius add 1 10.0.0.9 key radius-{index}-key default\n\n# SNMP\n\nenable snmp\n\
         create snmp community dlink-ro-{index} view CommunityView read_only\nconfig snmp system_name {hostname}\n\
         config snmp system_location {street}\nconfig snmp system_contact noc@isp.local\n\n# VLAN\n\n",
        street = STREETS[(index + 3) % STREETS.len()],
    );
    for v in &vlans[1..] {
        let _ = write!(
            c,
            "create vlan v{v} tag {v}\nconfig vlan v{v} add tagged 25-28\n"
        );
    }
    let _ = write!(
        c,
        "config vlan v{} add untagged 1-12\nconfig vlan v{} add untagged 13-24\n\n# PORT\n\n",
        vlans[1], vlans[2]
    );
    for p in 1..=24 {
        let who = SURNAMES[(p * 3 + index) % SURNAMES.len()];
        let _ = writeln!(
            c,
            "config ports {p} speed auto flow_control disabled learning enabled state enabled description \"Абонент {who} {}\"",
            p + index
        );
    }
    for p in 1..=24 {
        let _ = writeln!(c, "config loopdetect ports {p} state enabled");
    }
    let _ = write!(
        c,
        "\n# IP\n\nconfig ipif System ipaddress {}/24 vlan default\n\n# ROUTE\n\ncreate iproute default {} 1 primary\n\n\
         # SNTP\n\nenable sntp\nconfig sntp primary 10.0.0.1 secondary 0.0.0.0 poll-interval 720\nconfig time_zone operator + hour 3 min 0\n\n\
         #-------------------------------------------------------------------\n#                    End of configuration file\n\
         #-------------------------------------------------------------------\n",
        mgmt_ip(index, 6),
        mgmt_ip(index, 1)
    );
    let access: Vec<String> = (1..=24).map(|p| p.to_string()).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "25", &vlans),
        model: "DES-3200-28",
        firmware: "1.85.B008",
        enable: false,
    }
}
