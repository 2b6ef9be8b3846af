//! One emulated CLI per vendor dialect, and sample devices to run them.
//!
//! - [`engine`]: what every CLI shares (line editing, login, enable, paging,
//!   faults, encoding) behind the `Vendor` trait.
//! - [`smartax`] (the Huawei OLT, printing the [`GponOlt`](crate::gpon::GponOlt)
//!   model through [`olt`]), [`zte`] (the ZTE C320 OLT, same model),
//!   [`huawei`] (VRP), [`cisco`] (Cisco IOS and Qtech), [`dlink`],
//!   [`zyxel`], [`mikrotik`]: each vendor's words, commands and sample device.
//! - [`text`]: line endings, cp1251, clock and MAC formats.

pub(crate) mod cisco;
pub(crate) mod dlink;
pub(crate) mod engine;
pub(crate) mod huawei;
pub(crate) mod mikrotik;
pub(crate) mod olt;
pub(crate) mod smartax;
pub(crate) mod text;
pub(crate) mod zte;
pub(crate) mod zyxel;

#[cfg(test)]
mod gpon_tests;
#[cfg(test)]
mod tests;

use crate::shell::{DeviceSpec, DeviceState, Fault, Kind, MacRow, SharedState, Shell, Transport};
use engine::Engine;

pub fn new_shell(spec: &DeviceSpec, state: SharedState) -> Box<dyn Shell> {
    match spec.kind {
        Kind::HuaweiSmartax => Box::new(Engine::new(smartax::Smartax::new(), spec, state)),
        Kind::ZteC300 => Box::new(Engine::new(zte::Zte, spec, state)),
        Kind::HuaweiVrp => Box::new(Engine::new(huawei::Vrp, spec, state)),
        Kind::CiscoIos => Box::new(Engine::new(cisco::Ios, spec, state)),
        Kind::Qtech => Box::new(Engine::new(cisco::Qtech, spec, state)),
        Kind::DlinkDes => Box::new(Engine::new(dlink::Des, spec, state)),
        Kind::Zyxel => Box::new(Engine::new(zyxel::Zyxel, spec, state)),
        Kind::Mikrotik => Box::new(Engine::new(mikrotik::RouterOs, spec, state)),
    }
}

/// The account named by a login as typed (MikroTik strips its `+ct` flags).
pub(crate) fn account(kind: Kind, typed: &str) -> &str {
    match kind {
        Kind::Mikrotik => mikrotik::account(typed),
        _ => typed,
    }
}

/// What a vendor module contributes to a sample device.
pub(crate) struct Sample {
    pub hostname: String,
    pub config: String,
    pub mac_table: Vec<MacRow>,
    pub model: &'static str,
    pub firmware: &'static str,
    /// Whether this vendor's sample has an enable password.
    pub enable: bool,
}

pub fn sample_spec(kind: Kind, transport: Transport, index: usize) -> DeviceSpec {
    let mut gpon = None;
    let mut olt = |(s, g)| {
        gpon = Some(g);
        s
    };
    let s = match kind {
        Kind::HuaweiSmartax => olt(smartax::sample(index)),
        Kind::ZteC300 => olt(zte::sample(index)),
        Kind::HuaweiVrp => huawei::vrp_sample(index),
        Kind::CiscoIos => cisco::ios_sample(index),
        Kind::Qtech => cisco::qtech_sample(index),
        Kind::DlinkDes => dlink::sample(index),
        Kind::Zyxel => zyxel::sample(index),
        Kind::Mikrotik => mikrotik::sample(index),
    };
    DeviceSpec {
        kind,
        transport,
        login: "admin".to_string(),
        password: format!("pw-{index}-secret"),
        enable_password: s.enable.then(|| format!("en-{index}-secret")),
        legacy_ssh: matches!(kind, Kind::DlinkDes | Kind::Qtech) || index % 5 == 4,
        echo_typeahead: false,
        state: DeviceState {
            hostname: s.hostname,
            config: s.config,
            mac_table: s.mac_table,
            model: s.model.to_string(),
            firmware: s.firmware.to_string(),
            uptime_secs: 86_400 * (index as u64 % 40) + 3_600 * (index as u64 % 24) + 1_234,
            fault: Fault::None,
            ppp_sessions: Vec::new(),
            gpon,
            ..Default::default()
        },
    }
}

/// 5–34 rows over several access ports, an uplink with many MACs, a few
/// VLANs, one static entry; MACs differ per `index`.
pub(crate) fn sample_macs(
    index: usize,
    access: &[String],
    uplink: &str,
    vlans: &[u16],
) -> Vec<MacRow> {
    const OUIS: [&str; 4] = ["00:1e:58", "f8:1a:67", "b8:a3:86", "00:0f:3d"];
    let count = 5 + (index * 7) % 30;
    (0..count)
        .map(|r| MacRow {
            vlan: vlans[r % vlans.len()],
            mac: format!(
                "{}:{:02x}:{:02x}:{:02x}",
                OUIS[r % 4],
                (index >> 8) & 0xff,
                index & 0xff,
                r
            ),
            port: if r % 4 == 3 {
                uplink.to_string()
            } else {
                access[(r * 5 + index) % access.len()].clone()
            },
            dynamic: r != 1,
        })
        .collect()
}

/// The management address of sample device `index`: `10.A.B.C`.
pub(crate) fn mgmt_ip(index: usize, host: u8) -> String {
    format!("10.{}.{}.{}", 20 + index / 250, index % 250, host)
}

/// Subscriber names for port descriptions (Cyrillic where the vendor keeps cp1251).
pub(crate) const SURNAMES: [&str; 8] = [
    "Иванов",
    "Петров",
    "Сидорова",
    "Кузнецов",
    "Смирнова",
    "Попов",
    "Васильев",
    "Новикова",
];
pub(crate) const STREETS: [&str; 6] = [
    "lenina",
    "mira",
    "gagarina",
    "sovetskaya",
    "pushkina",
    "kirova",
];

/// The rows for a single-MAC lookup: when `cmd` is one of `prefixes`
/// followed by a MAC in any notation, the rows with that MAC (maybe none).
pub(crate) fn mac_lookup(cmd: &str, prefixes: &[&str], table: &[MacRow]) -> Option<Vec<MacRow>> {
    let arg = prefixes.iter().find_map(|p| cmd.strip_prefix(p))?;
    let mac = text::parse_mac(arg.trim())?;
    Some(table.iter().filter(|r| r.mac == mac).cloned().collect())
}

/// Normalised command words: `"show   run"` → `"show run"`.
pub(crate) fn words(cmd: &str) -> String {
    cmd.split_whitespace().collect::<Vec<_>>().join(" ")
}
