//! The population's OLTs: their devices, the GPON subscribers behind their
//! ONTs (subscribers like the others: login, MAC, IP, NAS, PPPoE session),
//! the ONTs waiting in autofind, and the GPON model each OLT starts with.

use std::collections::HashSet;

use super::{
    login_base, session_id, vendor_oui, MacPool, PopSwitch, Population, PopulationSize, Rng, Role,
    Subscriber, SubscriberOnt, WaitingOnt, CPE_OUIS,
};
use crate::gpon::{new_ont, random_sn, Fsp, GponOlt, OltVendor, OntMac};
use crate::shell::{Kind, Transport};

/// OLT `k`'s vendor: the Huawei ones first.
fn vendor_of(size: &PopulationSize, k: usize) -> OltVendor {
    if k < size.huawei_olts {
        OltVendor::Huawei
    } else {
        OltVendor::Zte
    }
}

/// The `p`-th GPON port (0-based) with subscribers on an OLT.
fn port(vendor: OltVendor, p: usize) -> Fsp {
    match vendor {
        OltVendor::Huawei if p < 16 => (0, 1, p as u8),
        OltVendor::Huawei => (0, 0, (p - 16) as u8),
        OltVendor::Zte if p < 16 => (1, 2, p as u8 + 1),
        OltVendor::Zte => (1, 1, (p - 16) as u8 + 1),
    }
}

fn max_ports(vendor: OltVendor) -> usize {
    match vendor {
        // 16 on the GPFD in slot 1, 8 on the GPBD in slot 0.
        OltVendor::Huawei => 24,
        OltVendor::Zte => 24,
    }
}

/// The service VLAN of GPON port `p`.
fn port_vlan(p: usize) -> u16 {
    100 + (p % 11) as u16
}

pub(super) fn olt_device(
    rng: &mut Rng,
    pool: &mut MacPool,
    size: &PopulationSize,
    k: usize,
) -> PopSwitch {
    let vendor = vendor_of(size, k);
    let (kind, model, firmware) = match vendor {
        OltVendor::Huawei => (Kind::HuaweiSmartax, "MA5608T", "MA5600V800R018C10"),
        OltVendor::Zte => (Kind::ZteC300, "C320", "V2.1.0"),
    };
    let ports = size.gpon_ports_per_olt.min(max_ports(vendor));
    let mut vlans: Vec<u16> = (0..ports).map(port_vlan).collect();
    vlans.sort_unstable();
    vlans.dedup();
    PopSwitch {
        name: format!("olt-{}", k + 1),
        role: Role::Olt,
        kind,
        transport: if rng.chance(50) {
            Transport::Telnet
        } else {
            Transport::Ssh
        },
        model: model.into(),
        firmware: firmware.into(),
        mgmt_mac: pool.take(rng, vendor_oui(kind)),
        mgmt_ip: format!("10.0.1.{}", 10 + k),
        parent: Some(0),
        uplinks: vec![match vendor {
            OltVendor::Huawei => "0/0/0".into(),
            OltVendor::Zte => "gei_1/3/1".into(),
        }],
        downlinks: Vec::new(),
        access_ports: Vec::new(),
        vlans,
        trunks_marked: true,
        uptime_secs: 3_600 + rng.below(200 * 86_400) as u64,
    }
}

/// Places the GPON subscribers of every OLT (appended to `subs`) and
/// returns each OLT's autofind entries.
pub(super) fn place(
    rng: &mut Rng,
    pool: &mut MacPool,
    size: &PopulationSize,
    olts: &[PopSwitch],
    n_access: usize,
    n_nas: usize,
    subs: &mut Vec<Subscriber>,
) -> Vec<Vec<WaitingOnt>> {
    let mut used: HashSet<String> = subs.iter().map(|s| s.login.clone()).collect();
    let used_ips: HashSet<String> = subs.iter().map(|s| s.ip.clone()).collect();
    let mut sns: HashSet<String> = HashSet::new();
    let mut host = 2u32;
    let mut autofind = Vec::new();
    for k in 0..olts.len() {
        let vendor = vendor_of(size, k);
        let ports = size.gpon_ports_per_olt.min(max_ports(vendor));
        let per_port = size.onts_per_port.min(128);
        for p in 0..ports {
            let fsp = port(vendor, p);
            for n in 0..per_port {
                let ont_id = vendor.first_id() + n as u32;
                let base = login_base(rng);
                let mut login = base.clone();
                let mut suffix = 2;
                while !used.insert(login.clone()) {
                    login = match base.split_once('@') {
                        Some((l, d)) => format!("{l}-{suffix}@{d}"),
                        None => format!("{base}{suffix}"),
                    };
                    suffix += 1;
                }
                let ip = loop {
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
                    if !used_ips.contains(&ip) {
                        break ip;
                    }
                };
                let sn = loop {
                    let (sn, _) = random_sn(vendor, rng);
                    if sns.insert(sn.clone()) {
                        break sn;
                    }
                };
                let oui = *rng.pick(&CPE_OUIS);
                let mac = pool.take(rng, oui);
                // Most ONTs up; some down after a dying gasp or a cut fibre;
                // a few with a marginal or bad signal.
                let roll = rng.below(100);
                let online = roll >= 8;
                let down_cause = match roll {
                    0..=4 => Some("dying-gasp".to_string()),
                    5..=7 => Some("LOSi/LOBi".to_string()),
                    _ if rng.chance(30) => Some("dying-gasp".to_string()),
                    _ => None,
                };
                let rx_centi_dbm = match rng.below(100) {
                    0..=3 => -2_750 - rng.below(230) as i32, // marginal: -27.5 … -29.8
                    4..=5 => -3_020 - rng.below(200) as i32, // bad: below -30
                    _ => -1_400 - rng.below(1_200) as i32,   // normal: -14 … -26
                };
                let session_online = online && !rng.chance(6);
                let idx = subs.len();
                subs.push(Subscriber {
                    login,
                    mac,
                    ip,
                    access: (k * 7 + p) % n_access.max(1),
                    port: 0,
                    vlan: port_vlan(p),
                    nas: idx % n_nas.max(1),
                    online: session_online,
                    in_fdb: online,
                    devices: Vec::new(),
                    session_id: session_id(idx as u32 + 1),
                    session_uptime_secs: rng.below(40 * 86_400) as u64 + 5,
                    radius: !rng.chance(10),
                    ont: Some(SubscriberOnt {
                        olt: k,
                        fsp,
                        ont_id,
                        sn,
                        online,
                        rx_centi_dbm,
                        down_cause,
                        vlan: port_vlan(p),
                    }),
                });
            }
        }
        let mut waiting = Vec::new();
        for a in 0..size.autofind_per_olt {
            let fsp = port(vendor, a % ports.max(1));
            let (sn, eq) = loop {
                let (sn, eq) = random_sn(vendor, rng);
                if sns.insert(sn.clone()) {
                    break (sn, eq);
                }
            };
            waiting.push(WaitingOnt {
                fsp,
                sn,
                equipment_id: eq.to_string(),
            });
        }
        autofind.push(waiting);
    }
    autofind
}

/// The GPON model of OLT `k` as the population has it.
pub(super) fn model(pop: &Population, k: usize) -> GponOlt {
    let dev = &pop.olts()[k];
    let vendor = match dev.kind {
        Kind::ZteC300 => OltVendor::Zte,
        _ => OltVendor::Huawei,
    };
    let mut olt = match vendor {
        OltVendor::Huawei => GponOlt::ma5608t(),
        OltVendor::Zte => GponOlt::c320(),
    };
    olt.add_standard_profiles();
    olt.seed = pop.seed ^ (k as u64 + 1).wrapping_mul(0x0170_0000_0000);
    olt.clock = dev.uptime_secs;
    olt.dmy_dates = k % 2 == 1;
    let now = dev.uptime_secs;
    let types: &[&str] = match vendor {
        OltVendor::Huawei => &["HG8310M", "HG8245H", "EG8145V5"],
        OltVendor::Zte => &["ZTE-F601", "ZTE-F660", "ZTE-F670L"],
    };
    for s in &pop.subscribers {
        let Some(o) = s.ont.as_ref().filter(|o| o.olt == k) else {
            continue;
        };
        let h =
            o.sn.bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
        let mut ont = new_ont(
            o.fsp,
            o.ont_id,
            &o.sn,
            &s.login,
            types[(h % types.len() as u64) as usize].to_string(),
            h,
        );
        let rx = f64::from(o.rx_centi_dbm) / 100.0;
        ont.olt_rx_dbm = ((rx - 2.0 - (h % 150) as f64 / 100.0) * 100.0).round() / 100.0;
        ont.rx_dbm = rx;
        ont.online = o.online;
        ont.version = "10C7.A".into();
        ont.software_version = "V3R015C10S106".into();
        let up = now.saturating_sub(1 + h % (now / 2 + 1));
        ont.last_up_secs = Some(up);
        ont.last_down_cause = o.down_cause.clone();
        if o.down_cause.is_some() {
            ont.last_down_secs = Some(if o.online {
                up.saturating_sub(30 + h % 600)
            } else {
                now.saturating_sub(60 + h % 3_600)
            });
        }
        if vendor == OltVendor::Huawei {
            ont.line_profile = 10;
            ont.srv_profile = 10;
            ont.native_vlan = Some(o.vlan);
        } else {
            ont.tconts = vec![(1, "UP-100M".into())];
            ont.gemports = vec![(1, 1)];
        }
        if s.in_fdb && !pop.aged_out.contains(&s.mac) {
            ont.macs.push(OntMac {
                mac: s.mac.clone(),
                vlan: o.vlan,
            });
        }
        olt.onts.push(ont);
        let local = u16::from(vendor == OltVendor::Zte);
        let _ = olt.add_service_port(None, o.vlan, o.fsp, o.ont_id, 1, o.vlan, local);
    }
    if let Some(waiting) = pop.gpon_autofind.get(k) {
        for w in waiting {
            olt.add_autofind(w.fsp, &w.sn, &w.equipment_id);
        }
    }
    olt
}
