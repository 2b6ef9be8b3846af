//! One deterministic population every emulator derives from: a core switch,
//! aggregation switches, access switches of mixed vendors, MikroTik NAS and
//! the subscribers behind them, all from one seed.
//!
//! The switches' MAC tables, their configs and the NAS's PPPoE sessions are
//! all computed from the same [`Population`], so they agree: subscriber
//! `ivanov`'s MAC is on access port 12 of `sw-acc-017`, on that switch's
//! downlink port on `agg-2`, behind `agg-2`'s port on `core-1`, and in the
//! caller-id of its session on `nas-1`.
//!
//! - OLTs (opt-in, [`PopulationSize::demo_gpon`]) hang off the core; their
//!   subscribers sit behind ONTs ([`Subscriber::ont`]), their MACs in the
//!   OLT's table behind that ONT, on the core and on the NAS.
//! - [`Population::generate`] builds it; [`Population::device_specs`] turns
//!   it into [`DeviceSpec`]s for [`Fleet::start`](crate::Fleet::start).
//! - [`Population::move_subscriber`], [`Population::drop_session`],
//!   [`Population::start_session`], [`Population::age_out`] change it;
//!   [`LivePopulation`] does the same on a running fleet (every affected
//!   device's state is rewritten, the next CLI session sees it).

mod configs;
mod gpon;
mod live;

use std::collections::{BTreeSet, HashSet};

pub use live::LivePopulation;

use crate::shell::{DeviceSpec, DeviceState, Fault, Kind, MacRow, PppRow, Transport};
use crate::shells::text::parse_mac;

/// The management VLAN: switch management addresses live in it; uplinks
/// and downlinks carry it tagged.
pub const MGMT_VLAN: u16 = 99;

/// How big a population to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopulationSize {
    /// Always one core switch (other values are treated as 1).
    pub cores: usize,
    pub aggregations: usize,
    pub access_per_aggregation: usize,
    /// Access ports per access switch (24 or 48; the uplinks come after them).
    pub ports_per_access: usize,
    pub subscribers: usize,
    pub nas: usize,
    /// Huawei MA5608T OLTs (opt-in: 0 in [`PopulationSize::demo`] and
    /// [`PopulationSize::large`]); their subscribers come on top of `subscribers`.
    pub huawei_olts: usize,
    /// ZTE C320 OLTs.
    pub zte_olts: usize,
    /// GPON ports with subscribers per OLT (at most 24 on a SmartAX, 24 on a C320).
    pub gpon_ports_per_olt: usize,
    /// Registered ONTs (one subscriber each) per GPON port (at most 128).
    pub onts_per_port: usize,
    /// Unregistered ONTs waiting in autofind per OLT.
    pub autofind_per_olt: usize,
}

impl PopulationSize {
    /// 1 core, 2 aggregations with 3 access switches each (24 ports), 100
    /// subscribers, 1 NAS: 10 devices.
    pub fn demo() -> Self {
        PopulationSize {
            cores: 1,
            aggregations: 2,
            access_per_aggregation: 3,
            ports_per_access: 24,
            subscribers: 100,
            nas: 1,
            huawei_olts: 0,
            zte_olts: 0,
            gpon_ports_per_olt: 0,
            onts_per_port: 0,
            autofind_per_olt: 0,
        }
    }

    /// [`PopulationSize::demo`] plus one Huawei and one ZTE OLT with 4 GPON
    /// ports of 40 ONTs each (320 GPON subscribers) and 3 ONTs in autofind
    /// on each: 12 devices.
    pub fn demo_gpon() -> Self {
        PopulationSize {
            huawei_olts: 1,
            zte_olts: 1,
            gpon_ports_per_olt: 4,
            onts_per_port: 40,
            autofind_per_olt: 3,
            ..PopulationSize::demo()
        }
    }

    /// OLTs of both vendors.
    pub fn olts(&self) -> usize {
        self.huawei_olts + self.zte_olts
    }

    /// 500 access switches × 48 ports under 10 aggregations (each carrying
    /// over 2,000 MACs), 21,000 subscribers, 2 NAS.
    pub fn large() -> Self {
        PopulationSize {
            cores: 1,
            aggregations: 10,
            access_per_aggregation: 50,
            ports_per_access: 48,
            subscribers: 21_000,
            nas: 2,
            huawei_olts: 0,
            zte_olts: 0,
            gpon_ports_per_olt: 0,
            onts_per_port: 0,
            autofind_per_olt: 0,
        }
    }

    pub fn access_switches(&self) -> usize {
        self.aggregations.max(1) * self.access_per_aggregation.max(1)
    }
}

/// A device's place in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Core,
    Aggregation,
    Access,
    Nas,
    /// A GPON OLT (SmartAX or ZTE) under the core.
    Olt,
}

/// The ports of a switch toward one of its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downlink {
    /// The child's index in [`Population::devices`].
    pub child: usize,
    /// As the MAC table names them (`"GE0/0/3"`, `"Gi1/0/3"`); the child's
    /// first uplink is cabled to the first, its second (if any) to the second.
    pub ports: Vec<String>,
}

/// One device of the population (a switch or a NAS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopSwitch {
    /// `"core-1"`, `"agg-2"`, `"sw-acc-017"`, `"nas-1"`: also its hostname.
    pub name: String,
    pub role: Role,
    pub kind: Kind,
    pub transport: Transport,
    pub model: String,
    pub firmware: String,
    /// Lower-case colon form; what its neighbours learn from it.
    pub mgmt_mac: String,
    pub mgmt_ip: String,
    /// The parent's index in [`Population::devices`] (`None` for the core).
    pub parent: Option<usize>,
    /// Ports toward the parent, as the MAC table names them. The first
    /// carries the subscriber VLANs (and the NAS MACs); with two, the second
    /// carries the management VLAN (where the upstream switches' MACs are).
    pub uplinks: Vec<String>,
    pub downlinks: Vec<Downlink>,
    /// Access switches: access port `n` is `access_ports[n - 1]`.
    pub access_ports: Vec<String>,
    /// Access switches: the subscriber VLANs (the first for the first half
    /// of the ports, the second, if any, for the rest).
    pub vlans: Vec<u16>,
    /// Whether the config marks the uplinks/downlinks as trunks (false for
    /// one access switch: only its FDB tells its uplink apart).
    pub trunks_marked: bool,
    pub uptime_secs: u64,
}

impl PopSwitch {
    /// The subscriber VLAN of access port `port` (1-based).
    pub fn port_vlan(&self, port: u16) -> u16 {
        let half = self.access_ports.len().div_ceil(2);
        if self.vlans.len() > 1 && usize::from(port) > half {
            self.vlans[1]
        } else {
            self.vlans.first().copied().unwrap_or(MGMT_VLAN)
        }
    }
}

/// One subscriber (a PPPoE login with its CPE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub login: String,
    /// The CPE's MAC, lower-case colon form.
    pub mac: String,
    /// `100.64.x.y`.
    pub ip: String,
    /// Index into [`Population::access_switches`].
    pub access: usize,
    /// Access port, 1-based.
    pub port: u16,
    pub vlan: u16,
    /// Index into [`Population::nas_devices`].
    pub nas: usize,
    /// Has a PPPoE session on its NAS.
    pub online: bool,
    /// Its MACs are in the switches' tables (false: aged out).
    pub in_fdb: bool,
    /// More MACs behind the same port (devices behind a bridging CPE).
    pub devices: Vec<String>,
    pub session_id: String,
    pub session_uptime_secs: u64,
    /// Authenticated by RADIUS (else a local `/ppp secret`).
    pub radius: bool,
    /// A GPON subscriber sits behind an ONT instead of an access-switch
    /// port (then `access` is only its billing district and `port` is 0).
    pub ont: Option<SubscriberOnt>,
}

/// An ONT plugged into an OLT port but not registered (in its autofind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingOnt {
    pub fsp: (u8, u8, u8),
    /// Canonical 16 hex digits.
    pub sn: String,
    pub equipment_id: String,
}

/// Where a GPON subscriber's ONT is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberOnt {
    /// Index into [`Population::olts`].
    pub olt: usize,
    /// The OLT's own F/S/P (Huawei `0/1/3`, ZTE `1/2/1`).
    pub fsp: (u8, u8, u8),
    pub ont_id: u32,
    /// Canonical 16 hex digits.
    pub sn: String,
    /// The ONT is up (its MACs are learned only then).
    pub online: bool,
    /// The ONT's receive level in hundredths of a dBm (`-1926` = −19.26 dBm).
    pub rx_centi_dbm: i32,
    /// Why it last went down (`"dying-gasp"`, `"LOSi/LOBi"`), if it did.
    pub down_cause: Option<String>,
    /// The service VLAN of its service port.
    pub vlan: u16,
}

/// A device ready for [`Fleet::start`](crate::Fleet::start).
#[derive(Debug, Clone)]
pub struct PopDevice {
    pub spec: DeviceSpec,
    pub role: Role,
    pub name: String,
    pub mgmt_mac: String,
}

/// What a churn operation refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChurnError {
    #[error("no subscriber with login {0:?}")]
    UnknownLogin(String),
    #[error("no device has MAC {0:?}")]
    UnknownMac(String),
    #[error("access switch {access} has no port {port}")]
    NoSuchPort { access: usize, port: u16 },
    #[error("{0:?} already has a session")]
    AlreadyOnline(String),
    #[error("{0:?} has no session")]
    NotOnline(String),
    #[error("the fleet does not match the population: {0}")]
    FleetMismatch(String),
}

/// The whole population. `devices` is ordered core, aggregations, access
/// switches, NAS (the order of [`Population::device_specs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    pub seed: u64,
    pub size: PopulationSize,
    pub devices: Vec<PopSwitch>,
    pub subscribers: Vec<Subscriber>,
    /// Non-subscriber MACs removed from every table by [`Population::age_out`].
    pub aged_out: BTreeSet<String>,
    /// Per OLT: the unregistered ONTs in its autofind.
    pub gpon_autofind: Vec<Vec<WaitingOnt>>,
    next_session: u32,
}

/// SplitMix64: small, fast and the same on every platform and crate version.
/// The billing emulator draws from it too, so its pages stay put across crate
/// versions.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Hands out MACs, never the same twice.
struct MacPool {
    used: HashSet<String>,
}

impl MacPool {
    fn take(&mut self, rng: &mut Rng, oui: &str) -> String {
        loop {
            let n = rng.next();
            let mac = format!(
                "{oui}:{:02x}:{:02x}:{:02x}",
                n & 0xff,
                (n >> 8) & 0xff,
                (n >> 16) & 0xff
            );
            if self.used.insert(mac.clone()) {
                return mac;
            }
        }
    }
}

const CPE_OUIS: [&str; 10] = [
    "50:c7:bf", "f4:f2:6d", "c0:4a:00", "1c:7e:e5", "50:ff:20", "04:d9:f5", "64:09:80", "d8:07:b6",
    "b0:be:76", "e8:94:f6",
];
const DEVICE_OUIS: [&str; 5] = ["3c:22:fb", "a4:83:e7", "f0:18:98", "00:e0:4c", "b4:2e:99"];

fn vendor_oui(kind: Kind) -> &'static str {
    match kind {
        Kind::CiscoIos => "00:1b:54",
        Kind::DlinkDes => "00:1e:58",
        Kind::Zyxel => "00:13:49",
        Kind::HuaweiVrp => "4c:1f:cc",
        Kind::HuaweiSmartax => "00:e0:fc",
        Kind::Qtech => "00:03:0f",
        Kind::Mikrotik => "4c:5e:0c",
        Kind::ZteC300 => "34:4b:50",
    }
}

const ACCESS_KINDS: [Kind; 5] = [
    Kind::CiscoIos,
    Kind::DlinkDes,
    Kind::Zyxel,
    Kind::HuaweiVrp,
    Kind::Qtech,
];

pub(crate) const SURNAMES: [&str; 50] = [
    "ivanov",
    "petrov",
    "sidorov",
    "kuznetsov",
    "smirnov",
    "popov",
    "vasiliev",
    "novikov",
    "sokolov",
    "mikhailov",
    "fedorov",
    "morozov",
    "volkov",
    "alekseev",
    "lebedev",
    "semenov",
    "egorov",
    "pavlov",
    "kozlov",
    "stepanov",
    "nikolaev",
    "orlov",
    "andreev",
    "makarov",
    "nikitin",
    "zakharov",
    "zaitsev",
    "soloviev",
    "borisov",
    "yakovlev",
    "grigoriev",
    "romanov",
    "vorobiev",
    "sergeev",
    "kuzmin",
    "frolov",
    "dmitriev",
    "korolev",
    "gusev",
    "kiselev",
    "maksimov",
    "polyakov",
    "sorokin",
    "vinogradov",
    "kovalev",
    "belov",
    "medvedev",
    "antonov",
    "tarasov",
    "zhukov",
];
const INITIALS: [char; 10] = ['a', 'e', 'i', 'm', 'n', 'o', 's', 't', 'v', 'd'];
const ORGS: [&str; 6] = [
    "ooo-romashka",
    "ip-kuznetsov",
    "ooo-vektor-plus",
    "zao-stroitrest",
    "ooo-sever-logistik",
    "ooo-apteka-zdorovie",
];
const SITES: [&str; 4] = ["office", "sklad", "magazin", "filial"];
const PLACES: [&str; 5] = [
    "krasnaya-ploshchad",
    "ulitsa-lenina",
    "prospekt-mira",
    "ulitsa-gagarina",
    "naberezhnaya-kirova",
];
/// The 40+ character login every population has.
pub const LONG_LOGIN: &str = "ooo-romashka-office-krasnaya-ploshchad-1@corp";

pub(crate) fn login_base(rng: &mut Rng) -> String {
    let surname = *rng.pick(&SURNAMES);
    let female = rng.chance(45);
    let name = if female {
        format!("{surname}a")
    } else {
        surname.to_string()
    };
    let initial = *rng.pick(&INITIALS);
    match rng.below(100) {
        0..=44 => name,
        45..=69 => format!("{name}.{initial}"),
        70..=81 => format!("{name}{}", 10 + rng.below(90)),
        82..=89 => format!("{name}_{initial}"),
        90..=95 => format!("{initial}.{name}"),
        _ => format!(
            "{}-{}-{}-{}@{}",
            rng.pick(&ORGS),
            rng.pick(&SITES),
            rng.pick(&PLACES),
            1 + rng.below(120),
            if rng.chance(50) { "corp" } else { "biz" }
        ),
    }
}

/// Port names of an access switch: (access ports, uplinks, model, firmware).
fn access_hardware(
    kind: Kind,
    ports: usize,
) -> (Vec<String>, [String; 2], &'static str, &'static str) {
    let big = ports > 24;
    let n = |f: &dyn Fn(usize) -> String| (1..=ports).map(f).collect::<Vec<_>>();
    match kind {
        Kind::CiscoIos => (
            n(&|p| format!("Fa0/{p}")),
            ["Gi0/1".into(), "Gi0/2".into()],
            if big {
                "WS-C2960-48TT-L"
            } else {
                "WS-C2960-24TT-L"
            },
            "12.2(55)SE5",
        ),
        Kind::DlinkDes => (
            n(&|p| p.to_string()),
            [(ports + 1).to_string(), (ports + 2).to_string()],
            if big { "DES-3200-52" } else { "DES-3200-28" },
            "1.85.B008",
        ),
        Kind::Zyxel => (
            n(&|p| p.to_string()),
            [(ports + 1).to_string(), (ports + 2).to_string()],
            if big { "MES3500-48" } else { "MES3500-24" },
            "V4.00(AABE.0)",
        ),
        Kind::HuaweiVrp if big => (
            n(&|p| format!("GE0/0/{p}")),
            ["XGE0/0/1".into(), "XGE0/0/2".into()],
            "S5720-52X-SI-AC",
            "5.170 (S5720 V200R011C10SPC600)",
        ),
        Kind::HuaweiVrp => (
            n(&|p| format!("Eth0/0/{p}")),
            ["GE0/0/1".into(), "GE0/0/2".into()],
            "S2350-28TP-EI-AC",
            "5.160 (S2350 V200R010C00SPC300)",
        ),
        _ => (
            n(&|p| format!("Ethernet1/0/{p}")),
            [
                format!("Ethernet1/0/{}", ports + 1),
                format!("Ethernet1/0/{}", ports + 2),
            ],
            if big {
                "QSW-2800-52T-AC"
            } else {
                "QSW-2800-28T-AC"
            },
            "6.2.172.0",
        ),
    }
}

/// The `i`-th downlink port (0-based) of an aggregation switch.
fn agg_port(kind: Kind, i: usize) -> String {
    match kind {
        Kind::CiscoIos => format!("Gi{}/0/{}", i / 48 + 1, i % 48 + 1),
        _ => format!("GE{}/0/{}", i / 48, i % 48 + 1),
    }
}

/// The config's name of a port the MAC table names `short`.
pub(crate) fn long_port(kind: Kind, short: &str) -> String {
    let table: &[(&str, &str)] = match kind {
        Kind::CiscoIos => &[
            ("Fa", "FastEthernet"),
            ("Gi", "GigabitEthernet"),
            ("Te", "TenGigabitEthernet"),
        ],
        Kind::HuaweiVrp => &[
            ("XGE", "XGigabitEthernet"),
            ("GE", "GigabitEthernet"),
            ("Eth", "Ethernet"),
        ],
        _ => &[],
    };
    for (s, l) in table {
        if let Some(rest) = short.strip_prefix(s) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("{l}{rest}");
            }
        }
    }
    short.to_string()
}

impl Population {
    /// The population of `seed`: the same seed and size always give the
    /// same population.
    pub fn generate(seed: u64, size: PopulationSize) -> Population {
        let mut rng = Rng(seed ^ 0x5eed_1595_0000_0000);
        let mut pool = MacPool {
            used: HashSet::new(),
        };
        let aggs = size.aggregations.max(1);
        let per_agg = size.access_per_aggregation.max(1);
        let n_access = aggs * per_agg;
        let n_nas = size.nas.max(1);
        let ports = size.ports_per_access.max(2);
        let transport = |rng: &mut Rng| {
            if rng.chance(35) {
                Transport::Telnet
            } else {
                Transport::Ssh
            }
        };
        let uptime = |rng: &mut Rng| 3_600 + rng.below(200 * 86_400) as u64;
        let agg_dev = |g: usize| 1 + g;
        let access_dev = |i: usize| 1 + aggs + i;
        let nas_dev = |k: usize| 1 + aggs + n_access + k;

        let mut devices = Vec::with_capacity(1 + aggs + n_access + n_nas);
        devices.push(PopSwitch {
            name: "core-1".into(),
            role: Role::Core,
            kind: Kind::HuaweiVrp,
            transport: Transport::Ssh,
            model: "S6720-30C-EI-24S-AC".into(),
            firmware: "5.170 (S6720 V200R011C10SPC600)".into(),
            mgmt_mac: pool.take(&mut rng, vendor_oui(Kind::HuaweiVrp)),
            mgmt_ip: "10.0.0.2".into(),
            parent: None,
            uplinks: Vec::new(),
            downlinks: Vec::new(),
            access_ports: Vec::new(),
            vlans: Vec::new(),
            trunks_marked: true,
            uptime_secs: uptime(&mut rng),
        });
        for g in 0..aggs {
            let kind = if g % 2 == 0 {
                Kind::HuaweiVrp
            } else {
                Kind::CiscoIos
            };
            let (model, firmware, uplink) = match kind {
                Kind::CiscoIos => ("WS-C3750X-48T-S", "15.0(2)SE11", "Te1/1/1"),
                _ => (
                    "S5720-52X-SI-AC",
                    "5.170 (S5720 V200R011C10SPC600)",
                    "XGE0/0/1",
                ),
            };
            devices.push(PopSwitch {
                name: format!("agg-{}", g + 1),
                role: Role::Aggregation,
                kind,
                transport: transport(&mut rng),
                model: model.into(),
                firmware: firmware.into(),
                mgmt_mac: pool.take(&mut rng, vendor_oui(kind)),
                mgmt_ip: format!("10.0.0.{}", 10 + g),
                parent: Some(0),
                uplinks: vec![uplink.into()],
                downlinks: Vec::new(),
                access_ports: Vec::new(),
                vlans: Vec::new(),
                trunks_marked: true,
                uptime_secs: uptime(&mut rng),
            });
        }
        let mut first_kinds = ACCESS_KINDS;
        rng.shuffle(&mut first_kinds);
        let unmarked = rng.below(n_access);
        let forced_two = rng.below(n_access);
        for i in 0..n_access {
            let kind = if i < first_kinds.len() {
                first_kinds[i]
            } else {
                *rng.pick(&ACCESS_KINDS)
            };
            let (access_ports, uplinks, model, firmware) = access_hardware(kind, ports);
            let two = i == forced_two || rng.chance(20);
            let mut vlans = vec![100 + (i % 1900) as u16];
            if rng.chance(25) {
                vlans.push(2000 + (i % 2000) as u16);
            }
            let up_count = if two { 2 } else { 1 };
            devices.push(PopSwitch {
                name: format!("sw-acc-{:03}", i + 1),
                role: Role::Access,
                kind,
                transport: transport(&mut rng),
                model: model.into(),
                firmware: firmware.into(),
                mgmt_mac: pool.take(&mut rng, vendor_oui(kind)),
                mgmt_ip: format!("10.{}.{}.{}", 1 + i / 62_500, i / 250 % 250, 2 + i % 250),
                parent: Some(agg_dev(i / per_agg)),
                uplinks: uplinks[..up_count].to_vec(),
                downlinks: Vec::new(),
                access_ports,
                vlans,
                trunks_marked: i != unmarked,
                uptime_secs: uptime(&mut rng),
            });
        }
        for k in 0..n_nas {
            devices.push(PopSwitch {
                name: format!("nas-{}", k + 1),
                role: Role::Nas,
                kind: Kind::Mikrotik,
                transport: transport(&mut rng),
                model: "CCR1036-8G-2S+".into(),
                firmware: "6.49.10".into(),
                mgmt_mac: pool.take(&mut rng, vendor_oui(Kind::Mikrotik)),
                mgmt_ip: format!("10.0.0.{}", 200 + k),
                parent: Some(0),
                uplinks: vec!["sfp1".into()],
                downlinks: Vec::new(),
                access_ports: Vec::new(),
                vlans: Vec::new(),
                trunks_marked: true,
                uptime_secs: uptime(&mut rng),
            });
        }
        // Cabling: aggregation downlinks, one port per access uplink; the
        // core's ports toward the aggregations, then toward the NAS.
        for g in 0..aggs {
            let kind = devices[agg_dev(g)].kind;
            let mut next = 0;
            for j in 0..per_agg {
                let child = access_dev(g * per_agg + j);
                let n = devices[child].uplinks.len();
                let ports = (next..next + n).map(|p| agg_port(kind, p)).collect();
                next += n;
                devices[agg_dev(g)]
                    .downlinks
                    .push(Downlink { child, ports });
            }
        }
        let children: Vec<usize> = (0..aggs)
            .map(agg_dev)
            .chain((0..n_nas).map(nas_dev))
            .collect();
        for (p, child) in children.into_iter().enumerate() {
            devices[0].downlinks.push(Downlink {
                child,
                ports: vec![format!("XGE0/0/{}", p + 1)],
            });
        }

        let mut subscribers = place_subscribers(
            &mut rng,
            &mut pool,
            &devices[access_dev(0)..nas_dev(0)],
            size.subscribers,
            n_nas,
        );
        let mut gpon_autofind = Vec::new();
        if size.olts() > 0 {
            let first_port = children_count(&devices[0]);
            for k in 0..size.olts() {
                let olt = gpon::olt_device(&mut rng, &mut pool, &size, k);
                devices.push(olt);
                devices[0].downlinks.push(Downlink {
                    child: nas_dev(n_nas) + k,
                    ports: vec![format!("XGE0/0/{}", first_port + k + 1)],
                });
            }
            gpon_autofind = gpon::place(
                &mut rng,
                &mut pool,
                &size,
                &devices[nas_dev(n_nas)..],
                n_access,
                n_nas,
                &mut subscribers,
            );
        }
        let next_session = subscribers.len() as u32 + 1;
        Population {
            seed,
            size,
            devices,
            subscribers,
            aged_out: BTreeSet::new(),
            gpon_autofind,
            next_session,
        }
    }

    fn aggs(&self) -> usize {
        self.size.aggregations.max(1)
    }

    fn n_access(&self) -> usize {
        self.size.access_switches()
    }

    /// The index in [`Population::devices`] of access switch `i`.
    pub fn access_device_index(&self, i: usize) -> usize {
        1 + self.aggs() + i
    }

    /// The index in [`Population::devices`] of NAS `k`.
    pub fn nas_device_index(&self, k: usize) -> usize {
        1 + self.aggs() + self.n_access() + k
    }

    pub fn core(&self) -> &PopSwitch {
        &self.devices[0]
    }

    pub fn aggregations(&self) -> &[PopSwitch] {
        &self.devices[1..1 + self.aggs()]
    }

    pub fn access_switches(&self) -> &[PopSwitch] {
        &self.devices[self.access_device_index(0)..self.nas_device_index(0)]
    }

    pub fn nas_devices(&self) -> &[PopSwitch] {
        &self.devices[self.nas_device_index(0)..self.olt_device_index(0)]
    }

    /// The index in [`Population::devices`] of OLT `k` (after the NAS).
    pub fn olt_device_index(&self, k: usize) -> usize {
        self.nas_device_index(self.size.nas.max(1)) + k
    }

    /// The OLTs (Huawei first, then ZTE).
    pub fn olts(&self) -> &[PopSwitch] {
        &self.devices[self.olt_device_index(0)..]
    }

    /// The live GPON model OLT `k` starts with: its subscribers' ONTs with
    /// their service ports and MACs, the autofind entries, the standard
    /// profiles and VLANs.
    pub fn gpon(&self, k: usize) -> crate::gpon::GponOlt {
        gpon::model(self, k)
    }

    /// The device named `name` (`"sw-acc-017"`).
    pub fn device(&self, name: &str) -> Option<&PopSwitch> {
        self.devices.iter().find(|d| d.name == name)
    }

    pub fn subscriber(&self, login: &str) -> Option<&Subscriber> {
        self.subscribers.iter().find(|s| s.login == login)
    }

    /// The subscriber's port as its access switch's MAC table names it.
    pub fn port_name(&self, s: &Subscriber) -> &str {
        &self.access_switches()[s.access].access_ports[usize::from(s.port) - 1]
    }

    /// The ports of `parent` toward its child device `child` (indices in
    /// [`Population::devices`]).
    pub fn downlink(&self, parent: usize, child: usize) -> Option<&Downlink> {
        self.devices[parent]
            .downlinks
            .iter()
            .find(|d| d.child == child)
    }

    /// Every device's MAC table, parallel to [`Population::devices`].
    pub fn mac_tables(&self) -> Vec<Vec<MacRow>> {
        let row = |vlan: u16, mac: &str, port: &str| MacRow {
            vlan,
            mac: mac.to_string(),
            port: port.to_string(),
            dynamic: true,
        };
        let n_access = self.n_access();
        // (port, vlan, mac) behind each access switch's access ports.
        let mut behind: Vec<Vec<(u16, u16, &str)>> = vec![Vec::new(); n_access];
        for s in self
            .subscribers
            .iter()
            .filter(|s| s.in_fdb && s.ont.is_none())
        {
            behind[s.access].push((s.port, s.vlan, &s.mac));
            for d in &s.devices {
                behind[s.access].push((s.port, s.vlan, d));
            }
        }
        for b in &mut behind {
            b.retain(|(_, _, m)| !self.aged_out.contains(*m));
            b.sort();
        }
        let nas_macs: Vec<&str> = self
            .nas_devices()
            .iter()
            .map(|n| n.mgmt_mac.as_str())
            .collect();
        let mut tables = vec![Vec::new(); self.devices.len()];
        let access = self.access_switches();
        let core = self.core();
        for (i, sw) in access.iter().enumerate() {
            let t = &mut tables[self.access_device_index(i)];
            for (p, v, m) in &behind[i] {
                t.push(row(*v, m, &sw.access_ports[usize::from(*p) - 1]));
            }
            let (up, up_mgmt) = (&sw.uplinks[0], sw.uplinks.last().expect("an uplink"));
            for nas in &nas_macs {
                for v in &sw.vlans {
                    t.push(row(*v, nas, up));
                }
            }
            let parent = &self.devices[sw.parent.expect("access has a parent")];
            t.push(row(MGMT_VLAN, &parent.mgmt_mac, up_mgmt));
            t.push(row(MGMT_VLAN, &core.mgmt_mac, up_mgmt));
        }
        let mut under_agg: Vec<Vec<MacRow>> = Vec::new();
        for (g, agg) in self.aggregations().iter().enumerate() {
            let mut t = Vec::new();
            let mut vlans = Vec::new();
            for dl in &agg.downlinks {
                let i = dl.child - self.access_device_index(0);
                for (_, v, m) in &behind[i] {
                    t.push(row(*v, m, &dl.ports[0]));
                }
                t.push(row(
                    MGMT_VLAN,
                    &access[i].mgmt_mac,
                    dl.ports.last().expect("a port"),
                ));
                vlans.extend(access[i].vlans.iter().copied());
            }
            under_agg.push(t.clone());
            let up = &agg.uplinks[0];
            for nas in &nas_macs {
                for v in &vlans {
                    t.push(row(*v, nas, up));
                }
                t.push(row(MGMT_VLAN, nas, up));
            }
            t.push(row(MGMT_VLAN, &core.mgmt_mac, up));
            for (h, other) in self.aggregations().iter().enumerate() {
                if h != g {
                    t.push(row(MGMT_VLAN, &other.mgmt_mac, up));
                    for dl in &other.downlinks {
                        t.push(row(MGMT_VLAN, &self.devices[dl.child].mgmt_mac, up));
                    }
                }
            }
            tables[1 + g] = t;
        }
        let all_vlans: Vec<u16> = access
            .iter()
            .flat_map(|a| a.vlans.iter().copied())
            .collect();
        let mut core_t = Vec::new();
        for dl in &core.downlinks {
            let child = &self.devices[dl.child];
            let port = &dl.ports[0];
            match child.role {
                Role::Olt => {
                    let k = dl.child - self.olt_device_index(0);
                    for (vlan, mac) in self.gpon_macs(k) {
                        core_t.push(row(vlan, mac, port));
                    }
                    core_t.push(row(MGMT_VLAN, &child.mgmt_mac, port));
                }
                Role::Aggregation => {
                    let g = dl.child - 1;
                    for r in &under_agg[g] {
                        core_t.push(row(r.vlan, &r.mac, port));
                    }
                    core_t.push(row(MGMT_VLAN, &child.mgmt_mac, port));
                }
                _ => {
                    for v in &all_vlans {
                        core_t.push(row(*v, &child.mgmt_mac, port));
                    }
                    core_t.push(row(MGMT_VLAN, &child.mgmt_mac, port));
                }
            }
        }
        tables[0] = core_t;
        for (k, nas) in self.nas_devices().iter().enumerate() {
            let port = &nas.uplinks[0];
            let mut t = Vec::new();
            for (i, b) in behind.iter().enumerate() {
                for (_, v, m) in b {
                    t.push(row(*v, m, port));
                }
                t.push(row(MGMT_VLAN, &access[i].mgmt_mac, port));
            }
            for d in &self.devices[..self.access_device_index(0)] {
                t.push(row(MGMT_VLAN, &d.mgmt_mac, port));
            }
            for (o, olt) in self.olts().iter().enumerate() {
                for (vlan, mac) in self.gpon_macs(o) {
                    t.push(row(vlan, mac, port));
                }
                t.push(row(MGMT_VLAN, &olt.mgmt_mac, port));
            }
            for (j, other) in nas_macs.iter().enumerate() {
                if j != k {
                    t.push(row(MGMT_VLAN, other, port));
                }
            }
            tables[self.nas_device_index(k)] = t;
        }
        for k in 0..self.olts().len() {
            tables[self.olt_device_index(k)] = self.gpon(k).mac_rows();
        }
        for t in &mut tables {
            t.retain(|r| !self.aged_out.contains(&r.mac));
        }
        tables
    }

    /// `(vlan, mac)` of every learned MAC behind OLT `k`'s ONTs.
    fn gpon_macs(&self, k: usize) -> Vec<(u16, &str)> {
        let mut v = Vec::new();
        for s in &self.subscribers {
            let Some(o) = s.ont.as_ref().filter(|o| o.olt == k) else {
                continue;
            };
            if s.in_fdb && o.online {
                v.push((o.vlan, s.mac.as_str()));
                v.extend(s.devices.iter().map(|d| (o.vlan, d.as_str())));
            }
        }
        v.retain(|(_, m)| !self.aged_out.contains(*m));
        v
    }

    /// The active sessions of NAS `k`.
    pub fn ppp_sessions(&self, k: usize) -> Vec<PppRow> {
        self.subscribers
            .iter()
            .filter(|s| s.online && s.nas == k)
            .map(|s| PppRow {
                name: s.login.clone(),
                service: "pppoe".into(),
                caller_id: s.mac.to_ascii_uppercase(),
                address: s.ip.clone(),
                uptime_secs: s.session_uptime_secs,
                session_id: s.session_id.clone(),
                radius: s.radius,
            })
            .collect()
    }

    /// The running config of device `d` (index in [`Population::devices`]),
    /// in its vendor's syntax.
    pub fn config(&self, d: usize) -> String {
        configs::config(self, d)
    }

    /// One spec per device, in [`Population::devices`] order, with its
    /// config, MAC table and (NAS) sessions; credentials as
    /// [`DeviceSpec::sample`]'s (`admin` / `pw-{i}-secret`, enable
    /// `en-{i}-secret` where the vendor has one).
    pub fn device_specs(&self) -> Vec<PopDevice> {
        let tables = self.mac_tables();
        self.devices
            .iter()
            .zip(tables)
            .enumerate()
            .map(|(i, (d, mac_table))| {
                let enable = match d.kind {
                    Kind::CiscoIos | Kind::Zyxel => true,
                    Kind::Qtech => i % 2 == 0,
                    _ => false,
                };
                let ppp_sessions = match d.role {
                    Role::Nas => self.ppp_sessions(i - self.nas_device_index(0)),
                    _ => Vec::new(),
                };
                let gpon = (d.role == Role::Olt).then(|| self.gpon(i - self.olt_device_index(0)));
                PopDevice {
                    spec: DeviceSpec {
                        kind: d.kind,
                        transport: d.transport,
                        login: "admin".into(),
                        password: format!("pw-{i}-secret"),
                        enable_password: enable.then(|| format!("en-{i}-secret")),
                        legacy_ssh: matches!(d.kind, Kind::DlinkDes | Kind::Qtech),
                        echo_typeahead: false,
                        state: DeviceState {
                            hostname: d.name.clone(),
                            config: self.config(i),
                            mac_table,
                            model: d.model.clone(),
                            firmware: d.firmware.clone(),
                            uptime_secs: d.uptime_secs,
                            fault: Fault::None,
                            ppp_sessions,
                            gpon,
                            ..Default::default()
                        },
                    },
                    role: d.role,
                    name: d.name.clone(),
                    mgmt_mac: d.mgmt_mac.clone(),
                }
            })
            .collect()
    }

    fn subscriber_mut(&mut self, login: &str) -> Result<&mut Subscriber, ChurnError> {
        self.subscribers
            .iter_mut()
            .find(|s| s.login == login)
            .ok_or_else(|| ChurnError::UnknownLogin(login.to_string()))
    }

    /// Moves a subscriber (and the devices behind its CPE) to another access
    /// port; its MACs are learned there (and on every upstream switch toward it).
    pub fn move_subscriber(
        &mut self,
        login: &str,
        to_access: usize,
        to_port: u16,
    ) -> Result<(), ChurnError> {
        let bad = ChurnError::NoSuchPort {
            access: to_access,
            port: to_port,
        };
        let sw = self.access_switches().get(to_access).ok_or(bad.clone())?;
        if to_port == 0 || usize::from(to_port) > sw.access_ports.len() {
            return Err(bad);
        }
        let vlan = sw.port_vlan(to_port);
        let s = self.subscriber_mut(login)?;
        s.ont = None;
        s.access = to_access;
        s.port = to_port;
        s.vlan = vlan;
        s.in_fdb = true;
        Ok(())
    }

    /// Ends the subscriber's PPPoE session (its MAC stays in the tables until aged out).
    pub fn drop_session(&mut self, login: &str) -> Result<(), ChurnError> {
        let s = self.subscriber_mut(login)?;
        if !s.online {
            return Err(ChurnError::NotOnline(login.to_string()));
        }
        s.online = false;
        Ok(())
    }

    /// Starts a new PPPoE session (a fresh session id, uptime 1 s); the CPE's
    /// MAC is learned again.
    pub fn start_session(&mut self, login: &str) -> Result<(), ChurnError> {
        let id = self.next_session;
        let s = self.subscriber_mut(login)?;
        if s.online {
            return Err(ChurnError::AlreadyOnline(login.to_string()));
        }
        s.online = true;
        s.in_fdb = true;
        s.session_id = session_id(id);
        s.session_uptime_secs = 1;
        self.next_session += 1;
        Ok(())
    }

    /// Removes a MAC (any notation) from every table. A subscriber's CPE MAC
    /// takes the devices behind it along; its session, if any, stays.
    pub fn age_out(&mut self, mac: &str) -> Result<(), ChurnError> {
        let unknown = || ChurnError::UnknownMac(mac.to_string());
        let m = parse_mac(mac).ok_or_else(unknown)?;
        if let Some(s) = self.subscribers.iter_mut().find(|s| s.mac == m) {
            s.in_fdb = false;
            return Ok(());
        }
        let known = self.devices.iter().any(|d| d.mgmt_mac == m)
            || self.subscribers.iter().any(|s| s.devices.contains(&m));
        if !known {
            return Err(unknown());
        }
        self.aged_out.insert(m);
        Ok(())
    }
}

/// The ports a switch already uses toward its children.
fn children_count(dev: &PopSwitch) -> usize {
    dev.downlinks.len()
}

pub(crate) fn session_id(n: u32) -> String {
    format!("0x81C{n:05X}")
}

/// Subscribers on the access switches: most ports with one, a few with 2–5
/// MACs (devices behind a bridging CPE), one or two "basement" ports with an
/// unmanaged switch and 10–14 subscribers behind it; some offline.
fn place_subscribers(
    rng: &mut Rng,
    pool: &mut MacPool,
    access: &[PopSwitch],
    count: usize,
    n_nas: usize,
) -> Vec<Subscriber> {
    let mut ports: Vec<(usize, u16)> = access
        .iter()
        .enumerate()
        .flat_map(|(i, a)| (1..=a.access_ports.len() as u16).map(move |p| (i, p)))
        .collect();
    rng.shuffle(&mut ports);
    let mut slots: Vec<(usize, u16, bool)> = Vec::with_capacity(count);
    let mut free = ports.iter().copied();
    if count >= 40 {
        for _ in 0..1 + rng.below(2) {
            let Some((a, p)) = free.next() else { break };
            let n = (10 + rng.below(5)).min(count - slots.len());
            slots.extend(std::iter::repeat_n((a, p, true), n));
        }
    }
    let rest: Vec<(usize, u16)> = free.collect();
    let mut k = 0;
    while slots.len() < count && !rest.is_empty() {
        let (a, p) = rest[k % rest.len()];
        slots.push((a, p, false));
        k += 1;
    }
    slots.sort();
    let long_at = rng.below(count.max(1));
    let mut used = HashSet::from([LONG_LOGIN.to_string()]);
    let mut subs = Vec::with_capacity(count);
    let mut host = 2u32;
    for (n, (a, p, basement)) in slots.into_iter().enumerate() {
        let base = if n == long_at {
            LONG_LOGIN.to_string()
        } else {
            login_base(rng)
        };
        let mut login = base.clone();
        let mut suffix = 2;
        while n != long_at && !used.insert(login.clone()) {
            login = match base.split_once('@') {
                Some((l, d)) => format!("{l}-{suffix}@{d}"),
                None => format!("{base}{suffix}"),
            };
            suffix += 1;
        }
        while matches!(host & 0xff, 0 | 255) {
            host += 1;
        }
        let ip = format!(
            "100.{}.{}.{}",
            64 + (host >> 16),
            (host >> 8) & 0xff,
            host & 0xff
        );
        host += 1;
        let oui = *rng.pick(&CPE_OUIS);
        let mac = pool.take(rng, oui);
        let devices = if !basement && rng.chance(5) {
            (0..1 + rng.below(4))
                .map(|_| {
                    let oui = *rng.pick(&DEVICE_OUIS);
                    pool.take(rng, oui)
                })
                .collect()
        } else {
            Vec::new()
        };
        let online = !rng.chance(8);
        // Behind a basement switch the MAC stays learned (its neighbours keep
        // the unmanaged switch's port busy).
        let in_fdb = online || basement || rng.chance(50);
        subs.push(Subscriber {
            login,
            mac,
            ip,
            access: a,
            port: p,
            vlan: access[a].port_vlan(p),
            nas: n % n_nas,
            online,
            in_fdb,
            devices,
            session_id: String::new(),
            session_uptime_secs: rng.below(40 * 86_400) as u64 + 5,
            radius: !rng.chance(10),
            ont: None,
        });
    }
    // Every population has each case at least once (small ones too).
    let singles: Vec<usize> = (0..subs.len())
        .filter(|&i| {
            let s = &subs[i];
            subs.iter()
                .filter(|o| o.access == s.access && o.port == s.port)
                .count()
                == 1
        })
        .take(4)
        .collect();
    if !subs.iter().any(|s| !s.devices.is_empty()) {
        for (j, &i) in singles.iter().take(2).enumerate() {
            subs[i].devices = (0..2 + j)
                .map(|_| {
                    let oui = *rng.pick(&DEVICE_OUIS);
                    pool.take(rng, oui)
                })
                .collect();
        }
    }
    if singles.len() >= 4 {
        if !subs.iter().any(|s| !s.online && s.in_fdb) {
            subs[singles[2]].online = false;
            subs[singles[2]].in_fdb = true;
        }
        if !subs.iter().any(|s| !s.in_fdb) {
            subs[singles[3]].online = false;
            subs[singles[3]].in_fdb = false;
        }
    }
    for (id, s) in (1..).zip(subs.iter_mut()) {
        s.session_id = session_id(id);
    }
    subs
}

#[cfg(test)]
mod tests;
