//! MikroTik RouterOS (a PPPoE NAS): `Login:` with `+ct` flags, `[admin@gw] > `,
//! `/export` with its `# ... by RouterOS` header, `print terse`, the
//! `-- [Q quit|D dump|down]` pager for prints without `without-paging`.

use std::fmt::Write;

use super::engine::{line_erase, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::text::{clock, uptime_parts};
use super::{mgmt_ip, sample_macs, words, Sample};
use crate::shell::DeviceState;

pub(crate) struct RouterOs;

/// The account in a login name with console options (`admin+ct` → `admin`).
/// RouterOS takes the options at the telnet prompt and as the SSH user
/// name alike.
pub(crate) fn account(typed: &str) -> &str {
    typed.split('+').next().unwrap_or(typed)
}

impl Vendor for RouterOs {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        String::new()
    }
    fn user_prompt(&self) -> &'static str {
        "Login: "
    }
    fn password_prompt(&self) -> &'static str {
        "Password: "
    }
    fn login_failed(&self) -> &'static str {
        "\nLogin failed, incorrect username or password\n\n"
    }
    fn account<'a>(&self, typed: &'a str) -> &'a str {
        account(typed)
    }
    fn welcome(&self, st: &DeviceState) -> String {
        format!(
            "\n\n\n  MMM      MMM       KKK                          TTTTTTTTTTT      KKK\n\
             \x20 MMMM    MMMM       KKK                          TTTTTTTTTTT      KKK\n\
             \x20 MMM MMMM MMM  III  KKK  KKK  RRRRRR     OOOOOO      TTT     III  KKK  KKK\n\
             \x20 MMM  MM  MMM  III  KKKKK     RRR  RRR  OOO  OOO     TTT     III  KKKKK\n\
             \x20 MMM      MMM  III  KKK KKK   RRRRRR    OOO  OOO     TTT     III  KKK KKK\n\
             \x20 MMM      MMM  III  KKK  KKK  RRR  RRR   OOOOOO      TTT     III  KKK  KKK\n\n\
             \x20 MikroTik RouterOS {} (c) 1999-2023       https://www.mikrotik.com/\n\n\
             Press F1 for help\n\n",
            st.firmware
        )
    }
    fn first_mode(&self, _has_enable_password: bool) -> Mode {
        Mode::Privileged
    }
    fn prompt(&self, st: &DeviceState, _mode: &Mode) -> String {
        format!("[admin@{}] > ", st.hostname)
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: "-- [Q quit|D dump|down]",
            erase: line_erase,
            all_key: Some(b'D'),
        }
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(cmd);
        let st = &mut *ctx.st;
        let no_paging = cmd.ends_with(" without-paging");
        let base = cmd.trim_end_matches(" without-paging");
        match base {
            "/quit" | "quit" | "/exit" => Reply::Close("interrupted\n".into()),
            "/system resource print" => {
                let (d, h, m, s) = uptime_parts(st.uptime_secs);
                Reply::text(format!(
                    "                   uptime: {w}w{dd}d{h}h{m}m{s}s\n                  version: {fw} (long-term)\n\
                     \x20              build-time: Jun/06/2023 12:17:44\n          factory-software: 6.44.6\n\
                     \x20              free-memory: 3689.6MiB\n              total-memory: 4096.0MiB\n\
                     \x20                      cpu: tilegx\n                 cpu-count: 36\n             cpu-frequency: 1200MHz\n\
                     \x20                 cpu-load: 3%\n            free-hdd-space: 11.6MiB\n           total-hdd-space: 128.0MiB\n\
                     \x20        architecture-name: tile\n                board-name: {model}\n                  platform: MikroTik\n",
                    w = d / 7,
                    dd = d % 7,
                    fw = st.firmware,
                    model = st.model,
                ))
            }
            "/export" => Reply::config_print(st, false, |st| {
                format!(
                    "# {} by RouterOS {}\n",
                    clock(st.uptime_secs).mikrotik(),
                    st.firmware,
                )
            }),
            "/interface bridge host print terse" => {
                let mut s = String::from(
                    "Flags: X - disabled, I - invalid, D - dynamic, L - local, E - external \n",
                );
                for (i, r) in st.mac_table.iter().enumerate() {
                    let flags = if r.dynamic { "D" } else { "" };
                    let _ = writeln!(
                        s,
                        "{i:>2} {flags:<3} mac-address={} vid={} on-interface={} bridge=bridge1 age={}s",
                        r.mac.to_ascii_uppercase(),
                        r.vlan,
                        r.port,
                        (i * 13) % 300
                    );
                }
                if no_paging {
                    Reply::text(s)
                } else {
                    Reply::long(s)
                }
            }
            _ => {
                let first = cmd.split_whitespace().next().unwrap_or("");
                let word = first.trim_start_matches('/');
                Reply::text(format!(
                    "bad command name {word} (line 1 column {})\n",
                    cmd.len() - first.len() + 2
                ))
            }
        }
    }
}

pub(crate) fn sample(index: usize) -> Sample {
    let hostname = format!("nas-{}", index + 1);
    let vlans = [10 + (index % 8) as u16, 20];
    let net = 64 + index % 64;
    let mut c = format!(
        "# software id = {:04X}-{:04X}\n#\n# model = CCR1036-8G-2S+\n# serial number = 6A2B05{index:06}\n\
         /interface bridge\nadd name=bridge1 vlan-filtering=yes\n/interface ethernet\n\
         set [ find default-name=ether1 ] comment=uplink\nset [ find default-name=sfp1 ] comment=core\n",
        0x1000 + index,
        0x2000 + index * 7
    );
    c.push_str("/interface vlan\n");
    for v in vlans {
        let _ = writeln!(c, "add interface=bridge1 name=vlan{v} vlan-id={v}");
    }
    let _ = write!(
        c,
        "/interface pppoe-server server\nadd default-profile=pppoe disabled=no interface=bridge1 one-session-per-host=yes service-name=isp\n\
         /ip pool\nadd name=pppoe-pool ranges=100.{net}.0.2-100.{net}.3.254\n\
         /ppp profile\nadd dns-server=10.0.0.53 local-address=100.{net}.0.1 name=pppoe remote-address=pppoe-pool\n\
         /interface bridge port\n"
    );
    for p in 2..=5 {
        let _ = writeln!(
            c,
            "add bridge=bridge1 interface=ether{p} pvid={}",
            vlans[p % 2]
        );
    }
    let _ = write!(
        c,
        "/ip address\nadd address={}/24 interface=ether1 network={}\n/ip dns\nset servers=10.0.0.53\n\
         /ip firewall nat\nadd action=masquerade chain=srcnat out-interface=ether1\n/ip route\nadd distance=1 gateway={}\n\
         /ppp secret\n",
        mgmt_ip(index, 8),
        mgmt_ip(index, 0),
        mgmt_ip(index, 1)
    );
    for n in 1..=40 {
        let _ = writeln!(
            c,
            "add name=abon{index}-{n} password=pass-{index}-{n} profile=pppoe service=pppoe"
        );
    }
    let _ = write!(
        c,
        "/snmp\nset enabled=yes\n/snmp community\nset [ find default=yes ] name=mt-ro-{index}\n\
         /system clock\nset time-zone-name=Europe/Moscow\n/system identity\nset name={hostname}\n/system ntp client\nset enabled=yes primary-ntp=10.0.0.1\n"
    );
    let access: Vec<String> = (2..=5).map(|p| format!("ether{p}")).collect();
    Sample {
        hostname,
        config: c,
        mac_table: sample_macs(index, &access, "sfp1", &vlans),
        model: "CCR1036-8G-2S+",
        firmware: "6.49.10",
        enable: false,
    }
}
