use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::fleet::Fleet;

fn demo(seed: u64) -> Population {
    Population::generate(seed, PopulationSize::demo())
}

fn has(table: &[MacRow], mac: &str, port: &str) -> bool {
    table.iter().any(|r| r.mac == mac && r.port == port)
}

#[test]
fn the_same_seed_gives_the_same_population_and_another_seed_another() {
    let a = demo(7);
    assert_eq!(a, demo(7));
    let (sa, sb): (Vec<_>, Vec<_>) = (a.device_specs(), demo(7).device_specs());
    for (x, y) in sa.iter().zip(&sb) {
        assert_eq!(x.spec.state.config, y.spec.state.config);
        assert_eq!(x.spec.state.mac_table, y.spec.state.mac_table);
        assert_eq!(x.spec.state.ppp_sessions, y.spec.state.ppp_sessions);
        assert_eq!(x.spec.transport, y.spec.transport);
    }
    let b = demo(8);
    assert_ne!(a, b);
    assert_ne!(a.subscribers[0].mac, b.subscribers[0].mac);
}

#[test]
fn a_demo_population_has_every_case_the_search_needs() {
    for seed in 0..20 {
        let p = demo(seed);
        assert_eq!(p.devices.len(), 10, "seed {seed}");
        assert_eq!(p.core().name, "core-1");
        assert_eq!(p.aggregations()[1].name, "agg-2");
        assert_eq!(p.access_switches()[5].name, "sw-acc-006");
        assert_eq!(p.nas_devices()[0].name, "nas-1");
        assert_eq!(p.subscribers.len(), 100);
        let kinds: HashSet<Kind> = p.access_switches().iter().map(|a| a.kind).collect();
        assert_eq!(kinds.len(), 5, "every access vendor: {kinds:?}");
        assert!(p.subscribers.iter().any(|s| s.login == LONG_LOGIN));
        assert!(p.subscribers.iter().all(|s| s.ip.starts_with("100.64.")));
        let logins: HashSet<&str> = p.subscribers.iter().map(|s| s.login.as_str()).collect();
        assert_eq!(logins.len(), 100, "logins are unique");
        let mut per_port: HashMap<(usize, u16), usize> = HashMap::new();
        for s in p.subscribers.iter().filter(|s| s.in_fdb) {
            *per_port.entry((s.access, s.port)).or_default() += 1 + s.devices.len();
        }
        assert!(per_port.values().any(|n| *n >= 10), "a basement switch");
        assert!(
            per_port.values().any(|n| (2..=5).contains(n)),
            "a CPE with devices"
        );
        assert!(per_port.values().filter(|n| **n == 1).count() > 50);
        assert!(p.subscribers.iter().any(|s| !s.online && s.in_fdb));
        assert!(p.subscribers.iter().any(|s| !s.online && !s.in_fdb));
        assert_eq!(
            p.access_switches()
                .iter()
                .filter(|a| !a.trunks_marked)
                .count(),
            1
        );
        assert!(p.access_switches().iter().any(|a| a.uplinks.len() == 2));
        let macs: HashSet<&str> = p
            .subscribers
            .iter()
            .flat_map(|s| std::iter::once(&s.mac).chain(&s.devices))
            .chain(p.devices.iter().map(|d| &d.mgmt_mac))
            .map(String::as_str)
            .collect();
        let total = p.devices.len()
            + p.subscribers
                .iter()
                .map(|s| 1 + s.devices.len())
                .sum::<usize>();
        assert_eq!(macs.len(), total, "MACs are unique");
    }
}

/// Every online subscriber is on its port, on the downlinks toward it, in
/// its NAS's sessions; every access uplink carries the NAS MAC.
fn assert_consistent(p: &Population) {
    let tables = p.mac_tables();
    let nas_mac = &p.nas_devices()[0].mgmt_mac;
    for (i, sw) in p.access_switches().iter().enumerate() {
        let t = &tables[p.access_device_index(i)];
        assert!(
            has(t, nas_mac, &sw.uplinks[0]),
            "{}: NAS MAC on the uplink",
            sw.name
        );
        let parent = sw.parent.unwrap();
        assert!(has(
            t,
            &p.devices[parent].mgmt_mac,
            sw.uplinks.last().unwrap()
        ));
        assert!(
            t.iter().all(|r| r.mac != sw.mgmt_mac),
            "{} does not learn itself",
            sw.name
        );
    }
    for s in p.subscribers.iter().filter(|s| s.ont.is_none()) {
        let a = p.access_device_index(s.access);
        let sw = &p.devices[a];
        let in_access = tables[a]
            .iter()
            .any(|r| r.mac == s.mac && r.port == p.port_name(s) && r.vlan == s.vlan);
        assert_eq!(
            in_access,
            s.in_fdb,
            "{} on {} {}",
            s.login,
            sw.name,
            p.port_name(s)
        );
        let agg = sw.parent.unwrap();
        let down = &p.downlink(agg, a).unwrap().ports[0];
        assert_eq!(
            has(&tables[agg], &s.mac, down),
            s.in_fdb,
            "{} on {down}",
            s.login
        );
        let core_port = &p.downlink(0, agg).unwrap().ports[0];
        assert_eq!(has(&tables[0], &s.mac, core_port), s.in_fdb);
        let sessions = p.ppp_sessions(s.nas);
        let session = sessions.iter().find(|r| r.name == s.login);
        assert_eq!(session.is_some(), s.online, "{}", s.login);
        if let Some(r) = session {
            assert_eq!(r.caller_id, s.mac.to_ascii_uppercase());
            assert_eq!(r.address, s.ip);
        }
        // Nowhere else on the access layer.
        for (j, other) in p.access_switches().iter().enumerate() {
            let t = &tables[p.access_device_index(j)];
            if j != s.access {
                assert!(
                    t.iter().all(|r| r.mac != s.mac),
                    "{} also on {}",
                    s.login,
                    other.name
                );
            }
        }
    }
}

#[test]
fn the_tables_agree_from_access_port_to_core_and_nas() {
    for seed in [1, 2, 3] {
        let p = demo(seed);
        assert_consistent(&p);
        let specs = p.device_specs();
        assert_eq!(specs.len(), p.devices.len());
        for (d, spec) in p.devices.iter().zip(&specs) {
            assert_eq!(spec.name, d.name);
            assert_eq!(spec.spec.state.hostname, d.name);
            assert_eq!(spec.mgmt_mac, d.mgmt_mac);
            assert_eq!(spec.role, d.role);
            assert_eq!(spec.spec.kind, d.kind);
            assert_eq!(spec.spec.state.ppp_sessions.is_empty(), d.role != Role::Nas);
        }
        let online = p.subscribers.iter().filter(|s| s.online).count();
        assert_eq!(p.ppp_sessions(0).len(), online);
        assert!(specs.iter().any(|s| s.spec.transport == Transport::Telnet));
        assert!(specs.iter().any(|s| s.spec.transport == Transport::Ssh));
    }
}

#[test]
fn configs_mark_uplinks_and_downlinks_as_trunks_except_on_one_access_switch() {
    let p = demo(5);
    for (i, d) in p.devices.iter().enumerate() {
        let c = p.config(i);
        let marked = match d.kind {
            Kind::CiscoIos | Kind::Qtech => c.matches("switchport mode trunk").count(),
            Kind::HuaweiVrp => c.matches("port link-type trunk").count(),
            Kind::DlinkDes => c.matches(" add tagged ").count(),
            Kind::Zyxel => c.matches("name uplink").count(),
            _ => continue,
        };
        let links = d.uplinks.len() + d.downlinks.iter().map(|l| l.ports.len()).sum::<usize>();
        if d.trunks_marked {
            assert!(marked >= 1, "{}: {c}", d.name);
            if !matches!(d.kind, Kind::DlinkDes | Kind::Zyxel) {
                assert_eq!(marked, links, "{}", d.name);
            }
        } else {
            assert_eq!(marked, 0, "{}: {c}", d.name);
        }
        assert!(c.contains(&d.mgmt_ip), "{}", d.name);
    }
    let nas = p.config(p.nas_device_index(0));
    assert!(
        nas.contains("/interface pppoe-server server")
            && nas.contains("/system identity\nset name=nas-1")
    );
    let cisco = p
        .devices
        .iter()
        .position(|d| d.role == Role::Access && d.kind == Kind::CiscoIos)
        .unwrap();
    assert!(p.config(cisco).contains("interface FastEthernet0/24\n"));
}

#[test]
fn a_large_population_has_500_access_switches_and_busy_aggregations() {
    let p = Population::generate(42, PopulationSize::large());
    assert_eq!(p.access_switches().len(), 500);
    assert!(p
        .access_switches()
        .iter()
        .all(|a| a.access_ports.len() == 48));
    assert_eq!(p.access_switches()[499].name, "sw-acc-500");
    let tables = p.mac_tables();
    for g in 0..p.aggregations().len() {
        assert!(
            tables[1 + g].len() > 2_000,
            "agg-{}: {}",
            g + 1,
            tables[1 + g].len()
        );
    }
    assert_eq!(p.nas_devices().len(), 2);
    assert!(!p.ppp_sessions(1).is_empty());
    let sw = &p.access_switches()[0];
    let d = p.access_device_index(0);
    let up = &tables[d].iter().filter(|r| r.port == sw.uplinks[0]).count();
    assert!(*up >= 2, "the uplink carries both NAS MACs");
}

#[test]
fn churn_moves_a_mac_in_every_affected_table_and_keeps_the_population_consistent() {
    let mut p = demo(11);
    let s = p
        .subscribers
        .iter()
        .find(|s| s.online && s.devices.is_empty())
        .unwrap()
        .clone();
    // To an access switch under the other aggregation.
    let to = (s.access + 3) % 6;
    let port = (1..=24u16)
        .find(|n| !p.subscribers.iter().any(|o| o.access == to && o.port == *n))
        .unwrap();
    let before = p.mac_tables();
    p.move_subscriber(&s.login, to, port).unwrap();
    let after = p.mac_tables();
    let moved = p.subscriber(&s.login).unwrap().clone();
    assert_eq!((moved.access, moved.port), (to, port));
    let (old_a, new_a) = (p.access_device_index(s.access), p.access_device_index(to));
    let (old_agg, new_agg) = (
        p.devices[old_a].parent.unwrap(),
        p.devices[new_a].parent.unwrap(),
    );
    assert_ne!(old_agg, new_agg);
    assert!(before[old_a].iter().any(|r| r.mac == s.mac));
    assert!(!after[old_a].iter().any(|r| r.mac == s.mac));
    assert!(has(&after[new_a], &s.mac, p.port_name(&moved)));
    assert!(!after[old_agg]
        .iter()
        .any(|r| r.mac == s.mac && r.port != p.devices[old_agg].uplinks[0]));
    assert!(has(
        &after[new_agg],
        &s.mac,
        &p.downlink(new_agg, new_a).unwrap().ports[0]
    ));
    assert!(has(
        &after[0],
        &s.mac,
        &p.downlink(0, new_agg).unwrap().ports[0]
    ));
    assert!(!has(
        &after[0],
        &s.mac,
        &p.downlink(0, old_agg).unwrap().ports[0]
    ));
    assert_consistent(&p);

    p.drop_session(&s.login).unwrap();
    assert_eq!(
        p.drop_session(&s.login),
        Err(ChurnError::NotOnline(s.login.clone()))
    );
    assert!(!p.ppp_sessions(0).iter().any(|r| r.name == s.login));
    assert!(
        has(&p.mac_tables()[new_a], &s.mac, p.port_name(&moved)),
        "still in the FDB"
    );
    p.start_session(&s.login).unwrap();
    let r = p
        .ppp_sessions(0)
        .into_iter()
        .find(|r| r.name == s.login)
        .unwrap();
    assert_ne!(r.session_id, s.session_id);
    assert_consistent(&p);

    p.age_out(&s.mac.replace(':', "-").to_uppercase()).unwrap();
    assert!(p
        .mac_tables()
        .iter()
        .all(|t| t.iter().all(|r| r.mac != s.mac)));
    let agg_mac = p.devices[new_agg].mgmt_mac.clone();
    p.age_out(&agg_mac).unwrap();
    assert!(p
        .mac_tables()
        .iter()
        .all(|t| t.iter().all(|r| r.mac != agg_mac)));
    assert!(matches!(
        p.age_out("02:00:00:00:00:01"),
        Err(ChurnError::UnknownMac(_))
    ));
    assert!(matches!(
        p.move_subscriber("nobody", 0, 1),
        Err(ChurnError::UnknownLogin(_))
    ));
    assert!(matches!(
        p.move_subscriber(&s.login, 0, 25),
        Err(ChurnError::NoSuchPort { .. })
    ));
}

/// Everything the server sent, without its telnet option announcements.
fn strip_iac(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 255 {
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn read_until(s: &mut TcpStream, buf: &mut Vec<u8>, done: impl Fn(&str) -> bool) -> String {
    let start = buf.len();
    loop {
        let text = strip_iac(&buf[start..]);
        if done(&text) {
            return text;
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
            .await
            .unwrap_or_else(|_| panic!("no answer; so far: {text:?}"))
            .unwrap();
        assert!(n > 0, "closed; so far: {text:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn at_prompt(t: &str) -> bool {
    t.contains('\n') && t.trim_end().ends_with(['>', '#'])
}

/// Logs in over telnet, runs `cmd`, returns its output (without the lines
/// that echo the command).
async fn telnet(addr: SocketAddr, spec: &DeviceSpec, cmd: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    read_until(&mut s, &mut buf, |t| t.trim_end().ends_with(':')).await;
    s.write_all(format!("{}\r\n", spec.login).as_bytes())
        .await
        .unwrap();
    read_until(&mut s, &mut buf, |t| t.trim_end().ends_with(':')).await;
    s.write_all(format!("{}\r\n", spec.password).as_bytes())
        .await
        .unwrap();
    read_until(&mut s, &mut buf, at_prompt).await;
    s.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
    let out = read_until(&mut s, &mut buf, at_prompt).await;
    out.split("\r\n")
        .filter(|l| !l.contains(cmd))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The demo population with every device on telnet (no RSA key to make).
async fn start_on_telnet(seed: u64) -> (Fleet, LivePopulation) {
    let pop = demo(seed);
    let specs = pop
        .device_specs()
        .into_iter()
        .map(|mut d| {
            d.spec.transport = Transport::Telnet;
            d.spec.state.fault = Fault::None;
            d.spec
        })
        .collect();
    let fleet = Fleet::start(specs).await.unwrap();
    let live = LivePopulation::attach(pop, &fleet.devices).unwrap();
    (fleet, live)
}

/// Whether a line of `out` has `mac` (any notation) and `port`.
fn shows(out: &str, mac: &str, port: &str) -> bool {
    let hex = mac.replace(':', "");
    out.lines().any(|l| {
        let h: String = l
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_hexdigit)
            .collect();
        h.contains(&hex) && l.split_whitespace().any(|w| port.is_empty() || w == port)
    })
}

fn lookup(kind: Kind, mac: &str) -> String {
    let h = mac.replace(':', "");
    let (a, b, c) = (&h[0..4], &h[4..8], &h[8..12]);
    match kind {
        Kind::CiscoIos => format!("show mac address-table address {a}.{b}.{c}"),
        Kind::DlinkDes => format!(
            "show fdb mac_address {}",
            mac.replace(':', "-").to_uppercase()
        ),
        Kind::HuaweiVrp => format!("display mac-address {a}-{b}-{c}"),
        Kind::Zyxel => format!("show mac address-table mac {mac}"),
        Kind::Qtech => format!("show mac-address-table address {}", mac.replace(':', "-")),
        _ => format!(
            "/interface bridge host print terse without-paging where mac-address={}",
            mac.to_uppercase()
        ),
    }
}

#[tokio::test]
async fn the_nas_prints_the_populations_sessions_over_telnet_wrapping_a_long_login() {
    let (fleet, mut live) = start_on_telnet(3).await;
    if !live.population().subscriber(LONG_LOGIN).unwrap().online {
        live.start_session(LONG_LOGIN).unwrap();
    }
    let k = live.population().nas_device_index(0);
    let nas = &fleet.devices[k];
    let out = telnet(
        nas.addr,
        &nas.spec,
        "/ppp active print detail without-paging",
    )
    .await;
    assert!(out.contains("Flags: R - RADIUS"), "{out}");
    let online = live
        .population()
        .subscribers
        .iter()
        .filter(|s| s.online)
        .count();
    assert_eq!(out.matches(" service=pppoe ").count(), online, "{out}");
    for line in out.lines() {
        assert!(line.len() <= 80, "{line:?}");
    }
    let s = live.population().subscriber(LONG_LOGIN).unwrap().clone();
    let record: Vec<&str> = out
        .split("\r\n\r\n")
        .find(|r| r.contains(LONG_LOGIN))
        .unwrap()
        .lines()
        .collect();
    assert!(record.len() >= 3, "{record:?}");
    assert!(
        record[0].ends_with(&format!("name=\"{LONG_LOGIN}\" service=pppoe ")),
        "{record:?}"
    );
    assert!(record[1].starts_with("      caller-id=\""), "{record:?}");
    assert!(record.concat().contains(&format!("address={} ", s.ip)));
    assert!(record
        .concat()
        .contains(&format!("caller-id=\"{}\"", s.mac.to_uppercase())));
}

#[tokio::test]
async fn churn_on_a_running_fleet_is_seen_by_the_next_cli_session() {
    let (fleet, mut live) = start_on_telnet(9).await;
    let pop = live.population().clone();
    let s = pop.subscribers.iter().find(|s| s.online).unwrap().clone();
    let to = (s.access + 1) % pop.access_switches().len();
    let port = (1..=24u16)
        .rev()
        .find(|n| {
            !pop.subscribers
                .iter()
                .any(|o| o.access == to && o.port == *n)
        })
        .unwrap();
    let (old_d, new_d) = (
        pop.access_device_index(s.access),
        pop.access_device_index(to),
    );
    let old = &fleet.devices[old_d];
    let seen = telnet(old.addr, &old.spec, &lookup(old.spec.kind, &s.mac)).await;
    assert!(
        shows(&seen, &s.mac, pop.port_name(&s)),
        "{}: {seen}",
        old.spec.kind.slug()
    );

    live.move_subscriber(&s.login, to, port).unwrap();
    live.drop_session(&s.login).unwrap();
    let moved = live.population().subscriber(&s.login).unwrap().clone();
    let new = &fleet.devices[new_d];
    let now = telnet(new.addr, &new.spec, &lookup(new.spec.kind, &s.mac)).await;
    let port_name = live.population().port_name(&moved).to_string();
    assert!(
        shows(&now, &s.mac, &port_name),
        "{}: {now}",
        new.spec.kind.slug()
    );
    let gone = telnet(old.addr, &old.spec, &lookup(old.spec.kind, &s.mac)).await;
    assert!(
        !shows(&gone, &s.mac, ""),
        "{}: {gone}",
        old.spec.kind.slug()
    );
    let nas_d = pop.nas_device_index(0);
    let nas = &fleet.devices[nas_d];
    let sessions = telnet(
        nas.addr,
        &nas.spec,
        "/ppp active print detail without-paging",
    )
    .await;
    assert!(
        !sessions.contains(&format!("name=\"{}\"", s.login)),
        "{sessions}"
    );
    assert_eq!(
        live.state("nas-1").unwrap().lock().unwrap().ppp_sessions,
        live.population().ppp_sessions(0)
    );
}

#[tokio::test]
async fn a_population_starts_as_a_fleet_in_one_call() {
    let (fleet, live) = LivePopulation::start(demo(3)).await.unwrap();
    assert_eq!(fleet.devices.len(), live.population().devices.len());
    for (d, p) in fleet.devices.iter().zip(&live.population().devices) {
        assert_eq!(d.spec.transport, p.transport);
        assert_eq!(
            d.host_key_fingerprint().is_some(),
            p.transport == Transport::Ssh
        );
    }
    let nas = live
        .state("nas-1")
        .unwrap()
        .lock()
        .unwrap()
        .ppp_sessions
        .len();
    assert_eq!(nas, live.population().ppp_sessions(0).len());
}

fn gpon_demo(seed: u64) -> Population {
    Population::generate(seed, PopulationSize::demo_gpon())
}

#[test]
fn gpon_is_opt_in_and_deterministic_and_leaves_the_rest_of_the_population_alone() {
    let plain = demo(7);
    assert!(plain.olts().is_empty() && plain.subscribers.iter().all(|s| s.ont.is_none()));
    let a = gpon_demo(7);
    assert_eq!(a, gpon_demo(7));
    assert_ne!(a, gpon_demo(8));
    assert_eq!(a.subscribers[..100], plain.subscribers[..]);
    assert_eq!(a.devices.len(), 12);
    assert_eq!(a.nas_devices().len(), 1);
    let olts = a.olts();
    assert_eq!(
        olts.iter()
            .map(|o| (o.name.as_str(), o.kind, o.role))
            .collect::<Vec<_>>(),
        [
            ("olt-1", Kind::HuaweiSmartax, Role::Olt),
            ("olt-2", Kind::ZteC300, Role::Olt)
        ]
    );
    let (sa, sb) = (a.device_specs(), gpon_demo(7).device_specs());
    for (x, y) in sa.iter().zip(&sb) {
        assert_eq!(x.spec.state.config, y.spec.state.config);
        assert_eq!(x.spec.state.mac_table, y.spec.state.mac_table);
        assert_eq!(x.spec.state.gpon, y.spec.state.gpon);
    }
    assert_consistent(&a);
}

#[test]
fn every_gpon_subscriber_is_behind_its_ont_in_the_olt_core_and_nas_tables() {
    for seed in [1, 2] {
        let p = gpon_demo(seed);
        let specs = p.device_specs();
        let gpon: Vec<_> = p.subscribers.iter().filter(|s| s.ont.is_some()).collect();
        assert_eq!(gpon.len(), 320);
        let logins: HashSet<&str> = p.subscribers.iter().map(|s| s.login.as_str()).collect();
        assert_eq!(logins.len(), p.subscribers.len(), "logins are unique");
        let ips: HashSet<&str> = p.subscribers.iter().map(|s| s.ip.as_str()).collect();
        assert_eq!(ips.len(), p.subscribers.len(), "addresses are unique");
        let tables = p.mac_tables();
        for s in &gpon {
            let o = s.ont.as_ref().unwrap();
            let d = p.olt_device_index(o.olt);
            let st = &specs[d].spec.state;
            let g = st.gpon.as_ref().unwrap();
            let ont = g
                .ont(o.fsp, o.ont_id)
                .unwrap_or_else(|| panic!("{}", s.login));
            assert_eq!(
                (ont.sn.as_str(), ont.description.as_str()),
                (o.sn.as_str(), s.login.as_str())
            );
            assert_eq!(ont.online, o.online);
            let sp = g.service_ports_of(o.fsp, Some(o.ont_id));
            assert_eq!(sp.len(), 1, "{}", s.login);
            assert_eq!(sp[0].vlan, o.vlan);
            let port = match p.devices[d].kind {
                Kind::ZteC300 => {
                    format!("gpon-onu_{}/{}/{}:{}", o.fsp.0, o.fsp.1, o.fsp.2, o.ont_id)
                }
                _ => format!("{}/{}/{}", o.fsp.0, o.fsp.1, o.fsp.2),
            };
            let behind = st
                .mac_table
                .iter()
                .any(|r| r.mac == s.mac && r.port == port && r.vlan == o.vlan);
            assert_eq!(behind, s.in_fdb, "{} behind {port}", s.login);
            assert_eq!(st.mac_table, tables[d]);
            let learned = g.learned();
            let row = learned.iter().find(|(_, m, _)| m.mac == s.mac);
            assert_eq!(row.is_some(), s.in_fdb);
            if let Some((on, _, sp)) = row {
                assert_eq!((on.fsp, on.ont_id), (o.fsp, o.ont_id));
                assert_eq!(sp.map(|x| x.vlan), Some(o.vlan));
            }
            let core_port = &p.downlink(0, d).unwrap().ports[0];
            assert_eq!(has(&tables[0], &s.mac, core_port), s.in_fdb);
            let nas = &tables[p.nas_device_index(s.nas)];
            assert_eq!(nas.iter().any(|r| r.mac == s.mac), s.in_fdb);
            let session = p
                .ppp_sessions(s.nas)
                .into_iter()
                .find(|r| r.name == s.login);
            assert_eq!(session.is_some(), s.online);
            assert!(!s.online || o.online, "a session needs its ONT up");
            // Nowhere on the access layer.
            for (j, _) in p.access_switches().iter().enumerate() {
                assert!(tables[p.access_device_index(j)]
                    .iter()
                    .all(|r| r.mac != s.mac));
            }
        }
        let onts: Vec<_> = gpon.iter().map(|s| s.ont.as_ref().unwrap()).collect();
        assert!(
            onts.iter().filter(|o| !o.online).count() >= 5,
            "some ONTs down"
        );
        assert!(
            onts.iter()
                .any(|o| (-3_000..-2_700).contains(&o.rx_centi_dbm)),
            "marginal"
        );
        assert!(onts.iter().any(|o| o.rx_centi_dbm < -3_000), "bad");
        for k in 0..2 {
            let g = specs[p.olt_device_index(k)]
                .spec
                .state
                .gpon
                .clone()
                .unwrap();
            assert_eq!(g.autofind.len(), 3);
            assert_eq!(g.onts.len(), 160);
        }
        let core = p.config(0);
        assert!(
            core.contains("olt-1") && core.contains("olt-2"),
            "the core's trunks toward the OLTs"
        );
    }
}

/// Logs in over telnet and runs `cmds` one after another; the last one's output.
async fn telnet_many(addr: SocketAddr, spec: &DeviceSpec, cmds: &[&str]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    read_until(&mut s, &mut buf, |t| t.trim_end().ends_with(':')).await;
    s.write_all(format!("{}\r\n", spec.login).as_bytes())
        .await
        .unwrap();
    read_until(&mut s, &mut buf, |t| t.trim_end().ends_with(':')).await;
    s.write_all(format!("{}\r\n", spec.password).as_bytes())
        .await
        .unwrap();
    read_until(&mut s, &mut buf, at_prompt).await;
    let mut out = String::new();
    for cmd in cmds {
        s.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        out = read_until(&mut s, &mut buf, at_prompt).await;
    }
    out
}

#[tokio::test]
async fn the_gpon_population_answers_over_telnet_and_follows_churn() {
    let pop = gpon_demo(5);
    let specs = pop
        .device_specs()
        .into_iter()
        .map(|mut d| {
            d.spec.transport = Transport::Telnet;
            d.spec.state.fault = Fault::None;
            d.spec
        })
        .collect();
    let fleet = Fleet::start(specs).await.unwrap();
    let mut live = LivePopulation::attach(pop, &fleet.devices).unwrap();
    let sub = live
        .population()
        .subscribers
        .iter()
        .find(|s| s.in_fdb && s.online && s.ont.as_ref().is_some_and(|o| o.olt == 1))
        .unwrap()
        .clone();
    let o = sub.ont.clone().unwrap();
    let zte = &fleet.devices[live.population().olt_device_index(1)];
    let onu = format!("gpon-onu_{}/{}/{}:{}", o.fsp.0, o.fsp.1, o.fsp.2, o.ont_id);
    let out = telnet_many(zte.addr, &zte.spec, &[&format!("show mac gpon onu {onu}")]).await;
    let hex = sub.mac.replace(':', "");
    let dotted = format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12]);
    assert!(out.contains(&dotted) && out.contains(&onu), "{out}");
    let stats = zte.state.lock().unwrap().stats();
    assert!(
        stats.sessions_opened >= 1 && stats.commands_total >= 1,
        "{stats:?}"
    );

    let hw = &fleet.devices[live.population().olt_device_index(0)];
    let out = telnet_many(
        hw.addr,
        &hw.spec,
        &["enable", "undo smart", "scroll", "display mac-address all"],
    )
    .await;
    let hw_sub = live
        .population()
        .subscribers
        .iter()
        .find(|s| s.in_fdb && s.ont.as_ref().is_some_and(|o| o.olt == 0))
        .unwrap()
        .clone();
    let h = hw_sub.mac.replace(':', "");
    let dashed = format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12]);
    assert!(out.contains(&dashed), "{out}");

    // Churn reaches the OLT's live model.
    live.age_out(&hw_sub.mac).unwrap();
    let st = live.state("olt-1").unwrap().lock().unwrap().clone();
    assert!(st.mac_table.iter().all(|r| r.mac != hw_sub.mac));
    assert!(st
        .gpon
        .unwrap()
        .learned()
        .iter()
        .all(|(_, m, _)| m.mac != hw_sub.mac));
    live.drop_session(&sub.login).unwrap();
    assert!(live
        .population()
        .ppp_sessions(sub.nas)
        .iter()
        .all(|r| r.name != sub.login));
}
