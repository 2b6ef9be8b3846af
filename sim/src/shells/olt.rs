//! What the SmartAX MA5608T prints from the [`GponOlt`] model: boards, the
//! ONT tables, summaries, single-ONT views, optics, autofind, service ports,
//! MACs, profiles, traffic and the GPON part of the configuration.

use std::fmt::Write;

use super::text::{clock, mac_huawei, uptime_parts};
use crate::gpon::{sn_dashed, sn_vendor, Fsp, GponError, GponOlt, Ont};

pub(crate) const LINE: &str =
    "  -----------------------------------------------------------------------------\n";
const LINE78: &str =
    "  ------------------------------------------------------------------------------\n";

/// `"0/1/3"` or `"0/ 1/3"` → `(0, 1, 3)`.
pub(crate) fn parse_fsp(port: &str) -> Option<Fsp> {
    let mut it = port.split('/').map(|p| p.trim().parse::<u8>().ok());
    let fsp = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(fsp)
}

/// The words of each error, as the MA5608T prints them.
pub(crate) fn failure(e: GponError) -> String {
    let text = match e {
        GponError::NotInAutofind => "The automatically found ONT does not exist",
        GponError::SnExists => "SN already exists",
        GponError::IdInUse => "The ONT ID has already existed",
        GponError::NoFreeId => "The number of ONTs on the port reaches the upper limit",
        GponError::NoLineProfile => "The ont-lineprofile does not exist",
        GponError::NoSrvProfile => "The ont-srvprofile does not exist",
        GponError::NoOnuType => "The ONT type does not exist",
        GponError::IndexInUse => "Service virtual port has existed already",
        GponError::NoVlan => "The VLAN does not exist",
        GponError::NoOnt => "The ONT does not exist",
        GponError::NotOnline => "The ONT is not online",
        GponError::NoBoard => "The board does not exist",
        GponError::BadPort => "The port does not exist",
        GponError::HasServicePorts => "This configured object has some service virtual ports",
        GponError::NoServicePort => "The service virtual port does not exist",
        GponError::NoGemport => "The GEM port does not exist",
        GponError::BadSn => "The SN is invalid",
    };
    format!("  Failure: {text}\n")
}

/// A timestamp as this firmware prints it: `2024-07-24 10:12:01+03:00`
/// or (DD/MM/YYYY firmware) `24/07/2024 10:12:01+03:00`.
pub(crate) fn stamp(olt: &GponOlt, secs: Option<u64>) -> String {
    let Some(secs) = secs else {
        return "-".into();
    };
    let c = clock(secs);
    if olt.dmy_dates {
        format!(
            "{:02}/{:02}/{:04} {:02}:{:02}:{:02}+03:00",
            c.day, c.month, c.year, c.hour, c.min, c.sec
        )
    } else {
        format!("{}+03:00", c.iso())
    }
}

/// The summary's timestamp column (no zone): `2024-07-24 10:12:01`.
fn stamp_short(olt: &GponOlt, secs: Option<u64>) -> String {
    let s = stamp(olt, secs);
    s.strip_suffix("+03:00").unwrap_or(&s).to_string()
}

fn fsp_spaced(f: Fsp) -> String {
    format!("{}/{:>2}/{}", f.0, f.1, f.2)
}

/// `display board 0`
pub(crate) fn display_board(olt: &GponOlt) -> String {
    let mut s = String::from(
        "  -------------------------------------------------------------------------\n\
         \x20 SlotID  BoardName  Status          SubType0 SubType1    Online/Offline\n\
         \x20 -------------------------------------------------------------------------\n",
    );
    for b in &olt.boards {
        let row = format!(
            "  {:<7} {:<10} {:<15} {}",
            b.slot, b.name, b.status, b.subtype
        );
        let _ = writeln!(s, "{}", row.trim_end());
    }
    s.push_str("  -------------------------------------------------------------------------\n");
    s
}

/// `display ont info F S P all`: the state table, the description table, the footer.
pub(crate) fn ont_list(olt: &GponOlt, fsp: Fsp) -> String {
    let onts = olt.onts_on(fsp);
    let mut s = String::from(LINE);
    s.push_str("  F/S/P   ONT         SN         Control     Run      Config   Match    Protect\n");
    s.push_str("          ID                     flag        state    state    state    side\n");
    s.push_str(LINE);
    for o in &onts {
        let (run, config, matched) = if o.online {
            ("online", "normal", "match")
        } else if o.last_up_secs.is_some() {
            ("offline", "normal", "match")
        } else {
            ("offline", "initial", "initial")
        };
        let _ = writeln!(
            s,
            "  {} {:>4}  {}  active      {run:<8} {config:<8} {matched:<8} no",
            fsp_spaced(o.fsp),
            o.ont_id,
            o.sn,
        );
    }
    s.push_str(LINE);
    s.push_str("  F/S/P   ONT-ID   Description\n");
    s.push_str(LINE);
    for o in &onts {
        let desc = if o.description.is_empty() {
            "ONT_NO_DESCRIPTION"
        } else {
            &o.description
        };
        let _ = writeln!(s, "  {}    {:>4}   {desc}", fsp_spaced(o.fsp), o.ont_id);
    }
    s.push_str(LINE);
    let online = onts.iter().filter(|o| o.online).count();
    let _ = writeln!(
        s,
        "  In port {} , the total of ONTs are: {}, online: {online}",
        fsp_spaced(fsp),
        onts.len(),
    );
    s.push_str(LINE);
    s
}

/// `display ont info summary F/S/P`
pub(crate) fn ont_summary(olt: &mut GponOlt, fsp: Fsp) -> String {
    let ids: Vec<u32> = olt.onts_on(fsp).iter().map(|o| o.ont_id).collect();
    let online = olt.onts_on(fsp).iter().filter(|o| o.online).count();
    let mut s = String::from("  Command is being executed. Please wait\n");
    s.push_str(LINE78);
    let _ = writeln!(
        s,
        "  In port {}/{}/{}, the total of ONTs are: {}, online: {online}",
        fsp.0,
        fsp.1,
        fsp.2,
        ids.len()
    );
    s.push_str(LINE78);
    s.push_str("  ONT  Run     Last                Last                Last\n");
    s.push_str("  ID   State   UpTime              DownTime            DownCause\n");
    s.push_str(LINE78);
    for o in olt.onts_on(fsp) {
        let run = if o.online { "online" } else { "offline" };
        let _ = writeln!(
            s,
            "  {:<4} {run:<7} {:<19} {:<19} {}",
            o.ont_id,
            stamp_short(olt, o.last_up_secs),
            stamp_short(olt, o.last_down_secs),
            o.last_down_cause.as_deref().unwrap_or("-"),
        );
    }
    s.push_str(LINE78);
    s.push_str("  ONT        SN        Type          Distance Rx/Tx power  Description\n");
    s.push_str("  ID                                    (m)      (dBm)\n");
    s.push_str(LINE78);
    for id in ids {
        let power = match olt.read_optics(fsp, id) {
            Ok((rx, tx, _)) => format!("{rx:.2}/{tx:.2}"),
            Err(_) => "-/-".into(),
        };
        let Some(o) = olt.ont(fsp, id) else { continue };
        let (kind, dist) = if o.online {
            (short_type(&o.equipment_id), o.distance_m.to_string())
        } else {
            ("-".to_string(), "-".to_string())
        };
        let _ = writeln!(
            s,
            "  {:<3} {} {kind:<16} {dist:>5}  {power:<12} {}",
            o.ont_id, o.sn, o.description
        );
    }
    s.push_str(LINE78);
    s
}

/// `HG8310M` → `310M` (the summary's short type, as the OLT shortens it).
fn short_type(equipment: &str) -> String {
    equipment
        .strip_prefix("HG8")
        .or_else(|| equipment.strip_prefix("EG8"))
        .unwrap_or(equipment)
        .to_string()
}

fn kv(s: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = writeln!(s, "  {key:<24}: {value}");
}

fn duration(secs: u64) -> String {
    let (d, h, m, s) = uptime_parts(secs);
    format!("{d} day(s), {h} hour(s), {m} minute(s), {s} second(s)")
}

/// `display ont info F S P ID` / `display ont info by-sn SN`: key/value lines.
pub(crate) fn ont_detail(olt: &GponOlt, o: &Ont) -> String {
    let mut s = String::from(LINE);
    kv(
        &mut s,
        "F/S/P",
        format!("{}/{}/{}", o.fsp.0, o.fsp.1, o.fsp.2),
    );
    kv(&mut s, "ONT-ID", o.ont_id);
    kv(&mut s, "Control flag", "active");
    kv(
        &mut s,
        "Run state",
        if o.online { "online" } else { "offline" },
    );
    let configured = o.online || o.last_up_secs.is_some();
    kv(
        &mut s,
        "Config state",
        if configured { "normal" } else { "initial" },
    );
    kv(
        &mut s,
        "Match state",
        if configured { "match" } else { "initial" },
    );
    kv(&mut s, "DBA type", "SR");
    let online = |v: String| if o.online { v } else { "-".into() };
    kv(&mut s, "ONT distance(m)", online(o.distance_m.to_string()));
    kv(&mut s, "ONT battery state", "not support");
    if olt.dmy_dates {
        kv(&mut s, "Memory occupation", online("47%".into()));
        kv(&mut s, "CPU occupation", online("1%".into()));
    }
    kv(
        &mut s,
        "Temperature",
        online(format!("{}(C)", o.temperature_c)),
    );
    kv(&mut s, "Authentic type", "SN-auth");
    kv(&mut s, "SN", format!("{} ({})", o.sn, sn_dashed(&o.sn)));
    kv(&mut s, "Management mode", "OMCI");
    kv(&mut s, "Software work mode", "normal");
    kv(&mut s, "Isolation state", "normal");
    kv(&mut s, "ONT IP 0 address/mask", "-");
    kv(&mut s, "Description", &o.description);
    kv(
        &mut s,
        "Last down cause",
        o.last_down_cause.as_deref().unwrap_or("-"),
    );
    kv(&mut s, "Last up time", stamp(olt, o.last_up_secs));
    kv(&mut s, "Last down time", stamp(olt, o.last_down_secs));
    let gasp = (o.last_down_cause.as_deref() == Some("dying-gasp"))
        .then_some(o.last_down_secs)
        .flatten();
    kv(&mut s, "Last dying gasp time", stamp(olt, gasp));
    let up = match (o.online, o.last_up_secs) {
        (true, Some(t)) => duration(olt.clock.saturating_sub(t)),
        _ => "-".into(),
    };
    kv(&mut s, "ONT online duration", up);
    if olt.dmy_dates {
        kv(&mut s, "Type C support", "Not support");
        kv(&mut s, "Interoperability-mode", "ITU-T");
        kv(&mut s, "Power reduction status", "-");
    }
    kv(&mut s, "FEC upstream state", "use-profile-config");
    s.push_str(LINE);
    kv(&mut s, "VoIP configure method", "Default");
    s.push_str(LINE);
    let name = |ps: &[crate::gpon::Profile], id| {
        ps.iter()
            .find(|p| p.id == id)
            .map_or("-".to_string(), |p| p.name.clone())
    };
    let _ = writeln!(s, "  Line profile ID      : {}", o.line_profile);
    let _ = writeln!(
        s,
        "  Line profile name    : {}",
        name(&olt.line_profiles, o.line_profile)
    );
    s.push_str(LINE);
    s.push_str("  FEC upstream switch                  :Disable\n  OMCC encrypt switch                  :Off\n");
    s.push_str("  Qos mode                             :PQ\n  Mapping mode                         :VLAN\n");
    s.push_str("  TR069 management                     :Disable\n  TR069 IP index                       :0\n");
    s.push_str(LINE);
    let _ = writeln!(s, "  Service profile ID   : {}", o.srv_profile);
    let _ = writeln!(
        s,
        "  Service profile name : {}",
        name(&olt.srv_profiles, o.srv_profile)
    );
    s.push_str(LINE);
    let _ = writeln!(
        s,
        "  Port-type     Port-ID  Native-VLAN\n  ETH           1        {}",
        o.native_vlan.map_or("-".to_string(), |v| v.to_string())
    );
    s.push_str(LINE);
    s
}

fn kv39(s: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = writeln!(s, "  {key:<39}: {value}");
}

/// `display ont optical-info P ID` (the ONT is online).
pub(crate) fn optical_detail(o: &Ont, (rx, tx, olt_rx): (f64, f64, f64)) -> String {
    let mut s = String::from(LINE);
    kv39(&mut s, "ONU NNI port ID", 0);
    kv39(&mut s, "Module type", "GPON");
    kv39(&mut s, "Module sub-type", "CLASS B+");
    kv39(&mut s, "Used type", "ONU");
    kv39(&mut s, "Encapsulation Type", "BOSA ON BOARD");
    kv39(&mut s, "Optical power precision(dBm)", "3.0");
    kv39(
        &mut s,
        "Vendor name",
        if sn_vendor(&o.sn) == "HWTC" {
            "HUAWEI"
        } else {
            "-"
        },
    );
    kv39(&mut s, "Vendor rev", "-");
    kv39(&mut s, "Vendor PN", "HW-BOB-0007");
    kv39(&mut s, "Vendor SN", "-");
    kv39(&mut s, "Date Code", "-");
    kv39(&mut s, "Rx optical power(dBm)", format!("{rx:.2}"));
    kv39(&mut s, "Rx power current warning threshold(dBm)", "[-,-]");
    kv39(
        &mut s,
        "Rx power current alarm threshold(dBm)",
        "[-29.0,-7.0]",
    );
    kv39(&mut s, "Tx optical power(dBm)", format!("{tx:.2}"));
    kv39(&mut s, "Tx power current warning threshold(dBm)", "[-,-]");
    kv39(&mut s, "Tx power current alarm threshold(dBm)", "[0.0,5.0]");
    kv39(&mut s, "Laser bias current(mA)", 7 + o.ont_id % 6);
    kv39(&mut s, "Laser bias current warning threshold(mA)", "[-,-]");
    kv39(
        &mut s,
        "Laser bias current alarm threshold(mA)",
        "[0.000,90.000]",
    );
    kv39(&mut s, "Temperature(C)", o.temperature_c);
    kv39(&mut s, "Temperature warning threshold(C)", "[-,-]");
    kv39(&mut s, "Temperature alarm threshold(C)", "[-40,100]");
    kv39(
        &mut s,
        "Voltage(V)",
        format!("{:.3}", 3.2 + f64::from(o.ont_id % 9) / 100.0),
    );
    kv39(&mut s, "Supply voltage warning threshold(V)", "[-,-]");
    kv39(&mut s, "Supply voltage alarm threshold(V)", "[3.000,3.600]");
    kv39(
        &mut s,
        "OLT Rx ONT optical power(dBm)",
        format!("{olt_rx:.2}"),
    );
    kv39(&mut s, "CATV Rx optical power(dBm)", "-");
    kv39(&mut s, "CATV Rx power alarm threshold(dBm)", "[-,-]");
    s.push_str(LINE);
    s
}

/// `display ont optical-info P all`: one row per online ONT.
pub(crate) fn optical_table(olt: &mut GponOlt, fsp: Fsp) -> String {
    let ids: Vec<u32> = olt.onts_on(fsp).iter().map(|o| o.ont_id).collect();
    let mut s = String::from(LINE);
    s.push_str("  ONT    Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current\n");
    s.push_str("  ID       (dBm)     (dBm)  power(dBm)          (C)      (V)     (mA)\n");
    s.push_str(LINE);
    for id in ids {
        let Ok((rx, tx, olt_rx)) = olt.read_optics(fsp, id) else {
            continue;
        };
        let Some(o) = olt.ont(fsp, id) else { continue };
        let _ = writeln!(
            s,
            "  {:<4} {rx:>9.2} {tx:>9.2} {olt_rx:>11.2} {:>12} {:>8.3} {:>8}",
            id,
            o.temperature_c,
            3.2 + f64::from(id % 9) / 100.0,
            7 + id % 6
        );
    }
    s.push_str(LINE);
    s
}

/// `display ont autofind all` / `display ont autofind P`: one block per ONT.
pub(crate) fn autofind(olt: &GponOlt, fsp: Option<Fsp>) -> String {
    let found = olt.autofind_on(fsp);
    if found.is_empty() {
        return "  Failure: The automatically found ONTs do not exist\n".into();
    }
    let line = "   ----------------------------------------------------------------------------\n";
    let mut s = String::from(line);
    for (n, a) in found.iter().enumerate() {
        let k = |s: &mut String, key: &str, v: &str| {
            let _ = writeln!(s, "   {key:<20}: {v}");
        };
        k(&mut s, "Number", &(n + 1).to_string());
        k(
            &mut s,
            "F/S/P",
            &format!("{}/{}/{}", a.fsp.0, a.fsp.1, a.fsp.2),
        );
        k(
            &mut s,
            "Ont SN",
            &format!("{} ({})", a.sn, sn_dashed(&a.sn)),
        );
        k(&mut s, "Password", "0x00000000000000000000");
        k(&mut s, "Loid", "");
        k(&mut s, "Checkcode", "");
        k(&mut s, "VendorID", &sn_vendor(&a.sn));
        k(&mut s, "Ont Version", &a.version);
        k(&mut s, "Ont SoftwareVersion", &a.software_version);
        k(&mut s, "Ont EquipmentID", &a.equipment_id);
        k(&mut s, "Ont autofind time", &stamp(olt, Some(a.found_at)));
        s.push_str(line);
    }
    let _ = writeln!(s, "   The number of GPON autofind ONT is {}", found.len());
    s
}

/// `display service-port all` / `… port F/S/P ont N`: the flow list.
pub(crate) fn service_ports(olt: &GponOlt, ports: &[&crate::gpon::ServicePort]) -> String {
    let mut s = String::from("  Switch-Oriented Flow List\n");
    s.push_str(LINE);
    s.push_str("   INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE\n");
    s.push_str("         ID   ATTR     TYPE                    TYPE  PARA\n");
    s.push_str(LINE);
    let mut up = 0;
    for sp in ports {
        let online = olt.ont(sp.fsp, sp.ont_id).is_some_and(|o| o.online);
        up += usize::from(online);
        let _ = writeln!(
            s,
            "{:>8} {:>4} common   gpon {}/{} /{:<2} {:<4} {:<5} vlan  {:<10} {:<4} {:<4} {}",
            sp.index,
            sp.vlan,
            sp.fsp.0,
            sp.fsp.1,
            sp.fsp.2,
            sp.ont_id,
            sp.gemport,
            sp.user_vlan,
            10,
            10,
            if online { "up" } else { "down" }
        );
    }
    s.push_str(LINE);
    let _ = writeln!(
        s,
        "   Total : {}  (Up/Down :    {up}/{})",
        ports.len(),
        ports.len() - up
    );
    s.push_str(
        "  Note : F--Frame, S--Slot, P--Port,\n\
         \x20        A--The corresponding VLAN is an aggregation VLAN,\n\
         \x20        VPI indicates ONT ID when PORT TYPE is GPON,\n\
         \x20        VCI indicates GEM index when PORT TYPE is GPON,\n\
         \x20        CVLAN indicates inner VLAN or untag(no VLAN tag),\n\
         \x20        CTRL_C to break\n",
    );
    s
}

/// `display mac-address all` / `display mac-address ont F/S/P N`.
pub(crate) fn macs(olt: &GponOlt, only: Option<(Fsp, u32)>) -> String {
    let rows: Vec<_> = olt
        .learned()
        .into_iter()
        .filter(|(o, _, _)| only.is_none_or(|(f, id)| o.fsp == f && o.ont_id == id))
        .collect();
    if only.is_some() && rows.is_empty() {
        return "  Failure: There is not any MAC address record\n".into();
    }
    let mut s = format!("  It will take some time, please wait...\n{LINE}");
    s.push_str(
        "  SRV-P BUNDLE TYPE MAC            MAC TYPE F /S /P  VPI  VCI   VLAN ID\n  INDEX INDEX\n",
    );
    s.push_str(LINE);
    for (o, m, sp) in &rows {
        let fsp = format!("{} /{} /{}", o.fsp.0, o.fsp.1, o.fsp.2);
        let _ = writeln!(
            s,
            "  {:>5}      - gpon {} dynamic  {fsp:<8}  {:<4} {:<5} {}",
            sp.map_or("-".to_string(), |p| p.index.to_string()),
            mac_huawei(&m.mac),
            o.ont_id,
            sp.map_or(1, |p| p.gemport),
            m.vlan
        );
    }
    s.push_str(LINE);
    let _ = writeln!(s, "  Total: {}", rows.len());
    s
}

/// `display ont-lineprofile gpon all` / `display ont-srvprofile gpon all`.
pub(crate) fn profiles(olt: &GponOlt, line: bool) -> String {
    let list = if line {
        &olt.line_profiles
    } else {
        &olt.srv_profiles
    };
    let mut s = String::from(LINE);
    s.push_str("  Profile-ID  Profile-name                                Binding times\n");
    s.push_str(LINE);
    for p in list {
        let bound = olt
            .onts
            .iter()
            .filter(|o| {
                if line {
                    o.line_profile == p.id
                } else {
                    o.srv_profile == p.id
                }
            })
            .count();
        let _ = writeln!(s, "  {:<11} {:<43} {bound}", p.id, p.name);
    }
    s.push_str(LINE);
    let _ = writeln!(s, "  Total: {}", list.len());
    s
}

/// Traffic rates (kbit/s) of a set of ONTs: a deterministic wobble per read.
fn rates(olt: &GponOlt, onts: usize, salt: u64) -> (u64, u64) {
    let mut rng = crate::population::Rng(olt.seed ^ salt ^ olt.clock);
    let n = onts as u64;
    (
        n * (200 + rng.below(2_000) as u64),
        n * (1_500 + rng.below(12_000) as u64),
    )
}

/// `display port traffic P` (in `interface gpon F/S`).
pub(crate) fn port_traffic(olt: &GponOlt, fsp: Fsp) -> String {
    let online = olt.onts_on(fsp).iter().filter(|o| o.online).count();
    let (up, down) = rates(olt, online, u64::from(fsp.1) << 8 | u64::from(fsp.2));
    let mut s = String::from(LINE);
    let _ = writeln!(s, "  Port ID                            : {}", fsp.2);
    let _ = writeln!(s, "  Upstream traffic rate(kbit/s)      : {up}");
    let _ = writeln!(s, "  Downstream traffic rate(kbit/s)    : {down}");
    s.push_str(LINE);
    s
}

/// `display traffic vlan V`.
pub(crate) fn vlan_traffic(olt: &GponOlt, vlan: u16) -> String {
    let onts = olt.service_ports.iter().filter(|s| s.vlan == vlan).count();
    let (up, down) = rates(olt, onts, u64::from(vlan) << 20);
    let mut s = String::from(LINE);
    let _ = writeln!(s, "  VLAN ID                            : {vlan}");
    let _ = writeln!(s, "  Upstream traffic rate(kbit/s)      : {up}");
    let _ = writeln!(s, "  Downstream traffic rate(kbit/s)    : {down}");
    s.push_str(LINE);
    s
}

/// The GPON part of the configuration (registrations and service ports),
/// rendered from the live model.
pub(crate) fn config_section(olt: &GponOlt) -> String {
    let mut c = String::from("[interface]\n  <interface>\n");
    let mut slots: Vec<u8> = olt.onts.iter().map(|o| o.fsp.1).collect();
    slots.sort_unstable();
    slots.dedup();
    for slot in slots {
        let _ = writeln!(c, " interface gpon 0/{slot}");
        let mut onts: Vec<&Ont> = olt.onts.iter().filter(|o| o.fsp.1 == slot).collect();
        onts.sort_by_key(|o| (o.fsp.2, o.ont_id));
        for o in onts {
            let _ = writeln!(
                c,
                "  ont add {} {} sn-auth \"{}\" omci ont-lineprofile-id {} ont-srvprofile-id {} desc \"{}\"",
                o.fsp.2, o.ont_id, o.sn, o.line_profile, o.srv_profile, o.description
            );
            if let Some(v) = o.native_vlan {
                let _ = writeln!(
                    c,
                    "  ont port native-vlan {} {} eth 1 vlan {v} priority 0",
                    o.fsp.2, o.ont_id
                );
            }
        }
    }
    c.push_str("#\n[service-port]\n  <service-port>\n");
    for sp in olt.service_ports_sorted() {
        let _ = writeln!(
            c,
            " service-port {} vlan {} gpon {}/{}/{} ont {} gemport {} multi-service user-vlan {} tag-transform translate",
            sp.index, sp.vlan, sp.fsp.0, sp.fsp.1, sp.fsp.2, sp.ont_id, sp.gemport, sp.user_vlan
        );
    }
    c
}
