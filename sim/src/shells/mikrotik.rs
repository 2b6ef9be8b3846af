//! MikroTik RouterOS (a PPPoE NAS): `Login:` with `+ct` flags, `[admin@gw] > `,
//! `/export` with its `# ... by RouterOS` header, `print terse`, the
//! `-- [Q quit|D dump|down]` pager for prints without `without-paging`.

use std::fmt::Write;

use super::engine::{line_erase, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::text::{clock, parse_mac, routeros_duration, uptime_parts};
use super::{mgmt_ip, sample_macs, words, Sample};
use crate::shell::{DeviceState, PppRow};

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
        let (base, no_paging, filter) = split_print(&cmd);
        let paged = |s: String| {
            if no_paging {
                Reply::text(s)
            } else {
                Reply::long(s)
            }
        };
        if filter.is_some()
            && !matches!(
                base.as_str(),
                "/interface bridge host print terse" | "/ppp active print detail"
            )
        {
            return Reply::text(WHERE_ERROR);
        }
        match base.as_str() {
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
                let want = match filter.as_ref().map(|f| f.mac()) {
                    Some(None) => return Reply::text(WHERE_ERROR),
                    Some(Some(mac)) => Some(mac),
                    None => None,
                };
                for (i, r) in st.mac_table.iter().enumerate() {
                    if want.as_ref().is_some_and(|m| *m != r.mac) {
                        continue;
                    }
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
                paged(s)
            }
            "/ppp active print detail" => {
                let keep = |r: &PppRow| match &filter {
                    None => Some(true),
                    Some(f) => f.ppp(r),
                };
                let mut rows = Vec::new();
                for (i, r) in st.ppp_sessions.iter().enumerate() {
                    match keep(r) {
                        Some(true) => rows.push((i, r)),
                        Some(false) => {}
                        None => return Reply::text(WHERE_ERROR),
                    }
                }
                paged(ppp_detail(st.ppp_sessions.len(), &rows))
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

const WHERE_ERROR: &str = "expected end of command (line 1 column 1)\n";

/// A print command split into its words without `without-paging` and the
/// `where` condition: `("/ppp active print detail", true, Some(..))`.
fn split_print(cmd: &str) -> (String, bool, Option<Where>) {
    let mut words: Vec<&str> = cmd.split_whitespace().collect();
    let no_paging = words.contains(&"without-paging");
    words.retain(|w| *w != "without-paging");
    let filter = words.iter().position(|w| *w == "where").map(|at| {
        let cond = words.split_off(at);
        Where(cond[1..].join(" "))
    });
    (words.join(" "), no_paging, filter)
}

/// The condition after `where`: one `prop=value` (quotes optional).
struct Where(String);

impl Where {
    fn prop(&self) -> Option<(&str, &str)> {
        let (k, v) = self.0.split_once('=')?;
        Some((k.trim(), v.trim().trim_matches('"')))
    }
    /// `mac-address=AA:BB:...` as the colon form the state keeps.
    fn mac(&self) -> Option<String> {
        match self.prop()? {
            ("mac-address", v) => parse_mac(v),
            _ => None,
        }
    }
    /// Whether a session matches `name=`, `caller-id=` or `address=`;
    /// `None` for a condition RouterOS would refuse here.
    fn ppp(&self, r: &PppRow) -> Option<bool> {
        Some(match self.prop()? {
            ("name", v) => r.name == v,
            ("caller-id", v) => parse_mac(v)? == r.caller_id.to_ascii_lowercase(),
            ("address", v) => r.address == v,
            _ => return None,
        })
    }
}

/// RouterOS wraps `print detail` records at 80 columns.
const DETAIL_WIDTH: usize = 80;
const DETAIL_INDENT: &str = "      ";

/// `/ppp active print detail`: the flags legend, then each record's
/// `prop=value` items wrapped over indented lines, a blank line after each.
/// Numbers are the positions in the whole list of `total`, as after a plain print.
fn ppp_detail(total: usize, rows: &[(usize, &PppRow)]) -> String {
    let mut s = String::from("Flags: R - RADIUS \n");
    let width = total.saturating_sub(1).to_string().len().max(2);
    for (i, r) in rows {
        let flag = if r.radius { "R" } else { " " };
        let items = [
            format!("name=\"{}\"", r.name),
            format!("service={}", r.service),
            format!("caller-id=\"{}\"", r.caller_id),
            "encoding=\"\"".to_string(),
            format!("address={}", r.address),
            format!("uptime={}", routeros_duration(r.uptime_secs)),
            format!("session-id={}", r.session_id),
            "limit-bytes-in=0".to_string(),
            "limit-bytes-out=0".to_string(),
            format!("radius={}", if r.radius { "yes" } else { "no" }),
        ];
        s.push_str(&wrap_record(&format!("{i:>width$} {flag} "), &items));
        s.push('\n');
    }
    s
}

/// Items after `head`, each followed by a space, a new line indented by
/// [`DETAIL_INDENT`] whenever the next item would pass [`DETAIL_WIDTH`]
/// (an item longer than a line gets a line of its own).
pub(crate) fn wrap_record(head: &str, items: &[String]) -> String {
    let mut out = String::new();
    let mut line = head.to_string();
    let mut empty = true;
    for item in items {
        if !empty && line.len() + item.len() + 1 > DETAIL_WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = DETAIL_INDENT.to_string();
        }
        line.push_str(item);
        line.push(' ');
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
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
