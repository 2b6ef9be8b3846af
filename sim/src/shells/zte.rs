//! ZTE ZXA10 C320 GPON OLT (`Username:`, `NAME#`, `configure terminal`,
//! `interface gpon-olt_1/2/1`, `interface gpon-onu_1/2/1:N`, `--More--`
//! until `terminal length 0`), speaking GPON from the shared [`GponOlt`]
//! model: unconfigured ONUs are its autofind entries, `onu N type T sn S`
//! registers, `no onu N` deletes (with the ONU's service ports).

use std::fmt::Write;

use super::engine::{backspace_erase, caret_error, Ctx, Mode, PagerStyle, Reply, Vendor};
use super::text::{clock, mac_dotted, uptime_parts};
use super::{mgmt_ip, words, Sample, STREETS};
use crate::gpon::{sn_zte, Fsp, GponError, GponOlt, OltVendor, Ont, Registration};
use crate::shell::DeviceState;

pub(crate) struct Zte;

const NO_INFO: &str = "%Code 32310-GPONSRV : No related information to show.\n";

/// The error lines of the C320.
fn error(e: GponError) -> String {
    let text = match e {
        GponError::NotInAutofind => {
            "%Code 32302-GPONSRV : The ONU is not in the unconfigured list."
        }
        GponError::SnExists => "%Code 32303-GPONSRV : SN already exists.",
        GponError::IdInUse => "%Code 32304-GPONSRV : The ONU already exists.",
        GponError::NoFreeId => "%Code 32305-GPONSRV : The ONU ID is out of range.",
        GponError::NoLineProfile | GponError::NoSrvProfile => {
            "%Code 32306-GPONSRV : The profile does not exist."
        }
        GponError::NoOnuType => "%Code 32307-GPONSRV : The ONU type does not exist.",
        GponError::IndexInUse => "%Code 32308-GPONSRV : The service-port already exists.",
        GponError::NoVlan => "%Error 20209: The VLAN does not exist.",
        GponError::NoOnt => "%Code 32311-GPONSRV : The ONU does not exist.",
        GponError::NotOnline => "%Code 32312-GPONSRV : The ONU is not online.",
        GponError::NoBoard | GponError::BadPort => "%Error 20209: No such interface.",
        GponError::HasServicePorts => "%Code 32313-GPONSRV : The ONU has service-ports.",
        GponError::NoServicePort => "%Code 32314-GPONSRV : The service-port does not exist.",
        GponError::NoGemport => "%Code 62397-GPONSRV : The entry is not existed.",
        GponError::BadSn => "%Error 20209: Invalid SN.",
    };
    format!("{text}\n")
}

fn invalid(cmd: &str, prompt_len: usize) -> Reply {
    Reply::text(caret_error(
        cmd,
        prompt_len,
        "% Invalid input detected at '^' marker.\n",
    ))
}

/// `gpon-olt_1/2/1` → `(1, 2, 1)`.
fn olt_port(text: &str) -> Option<Fsp> {
    let rest = text.strip_prefix("gpon-olt_")?;
    fsp3(rest)
}

/// `gpon-onu_1/2/1:3` → `((1, 2, 1), 3)`.
fn onu_port(text: &str) -> Option<(Fsp, u32)> {
    let rest = text.strip_prefix("gpon-onu_")?;
    let (fsp, id) = rest.split_once(':')?;
    Some((fsp3(fsp)?, id.parse().ok()?))
}

fn fsp3(text: &str) -> Option<Fsp> {
    let mut it = text.split('/').map(|p| p.parse::<u8>().ok());
    let fsp = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(fsp)
}

fn olt_name(f: Fsp) -> String {
    format!("gpon-olt_{}/{}/{}", f.0, f.1, f.2)
}

fn onu_name(f: Fsp, id: u32) -> String {
    format!("gpon-onu_{}/{}/{}:{id}", f.0, f.1, f.2)
}

fn phase(o: &Ont) -> &'static str {
    if o.online {
        return "working";
    }
    match o.last_down_cause.as_deref() {
        Some("dying-gasp") => "DyingGasp",
        Some("LOSi/LOBi" | "LOS" | "LOFi") => "LOS",
        _ => "OffLine",
    }
}

fn stamp(secs: Option<u64>) -> String {
    secs.map_or("0000-00-00 00:00:00".into(), |s| clock(s).iso())
}

/// The ZTE sub-mode of the prompt: `(config)`, `(config-if)`; the interface
/// is kept beside it.
#[derive(Clone, Copy)]
enum Where {
    Exec,
    Config,
    Olt(Fsp),
    Onu(Fsp, u32),
    /// `pon-onu-mng gpon-onu_1/2/1:N`: the ONU's own settings (its ports).
    OnuMng(Fsp, u32),
}

impl Zte {
    fn place(mode: &Mode) -> Where {
        match mode {
            Mode::Config(sub) if sub == "(config)" => Where::Config,
            Mode::Config(sub) if sub.starts_with("(gpon-onu-mng)") => {
                match onu_port(&sub["(gpon-onu-mng)".len()..]) {
                    Some((f, id)) => Where::OnuMng(f, id),
                    None => Where::Config,
                }
            }
            Mode::Config(sub) => {
                let name = sub.strip_prefix("(config-if)").unwrap_or("");
                if let Some(f) = olt_port(name) {
                    Where::Olt(f)
                } else if let Some((f, id)) = onu_port(name) {
                    Where::Onu(f, id)
                } else {
                    Where::Config
                }
            }
            _ => Where::Exec,
        }
    }

    fn gpon(&mut self, cmd: &str, here: Where, st: &mut DeviceState) -> Option<Reply> {
        let uptime = st.uptime_secs;
        let olt = st
            .gpon
            .get_or_insert_with(|| GponOlt::sample(OltVendor::Zte, 0));
        olt.clock = uptime;
        let t: Vec<&str> = cmd.split(' ').collect();
        let num = |s: &str| s.parse::<u32>().ok();
        let reply = match (t.as_slice(), here) {
            (["show", "card"], _) => Reply::long(card(olt)),
            (["show", "gpon", "onu", "uncfg"], _) => Reply::long(uncfg(olt, None)),
            (["show", "gpon", "onu", "uncfg", port], _) => {
                let f = olt_port(port)?;
                match olt.check_port(f) {
                    Ok(()) => Reply::long(uncfg(olt, Some(f))),
                    Err(e) => Reply::text(error(e)),
                }
            }
            (["show", "gpon", "onu", "state", port], _) => {
                let f = olt_port(port)?;
                with_port(olt, f, |o| Reply::long(state(o, f)))
            }
            (["show", "gpon", "onu", "baseinfo", port], _) => {
                let f = olt_port(port)?;
                with_port(olt, f, |o| Reply::long(baseinfo(o, f)))
            }
            (["show", "gpon", "onu", "detail-info", onu], _) => {
                let (f, id) = onu_port(onu)?;
                match olt.ont(f, id) {
                    Some(o) => Reply::long(detail(olt, o)),
                    None => Reply::text(error(GponError::NoOnt)),
                }
            }
            (["show", "gpon", "onu", "by", "sn", sn], _) => match olt.ont_by_sn(sn) {
                Some(o) => Reply::text(format!(
                    "SearchResult\n-----------------\n{}\n",
                    onu_name(o.fsp, o.ont_id)
                )),
                None => Reply::text(NO_INFO),
            },
            (["show", "pon", "power", "attenuation", onu], _) => {
                let (f, id) = onu_port(onu)?;
                match olt.read_optics(f, id) {
                    Ok(levels) => Reply::text(attenuation(levels)),
                    Err(e) => Reply::text(error(e)),
                }
            }
            (["show", "pon", "power", "onu-rx", port], _) => {
                let f = olt_port(port)?;
                if let Err(e) = olt.check_port(f) {
                    return Some(Reply::text(error(e)));
                }
                let ids: Vec<u32> = olt.onts_on(f).iter().map(|o| o.ont_id).collect();
                let mut s = String::from(
                    "Onu                 Rx power\n------------------------------------\n",
                );
                for id in ids {
                    let v = match olt.read_optics(f, id) {
                        Ok((rx, _, _)) => format!("{rx:.3}(dbm)"),
                        Err(_) => "N/A".into(),
                    };
                    let _ = writeln!(s, "{:<19} {v}", onu_name(f, id));
                }
                Reply::long(s)
            }
            (["show", "onu-type", "gpon"], _) => {
                let mut s = String::new();
                for ty in &olt.onu_types {
                    let _ = write!(
                        s,
                        "Onu type:          {ty}\nPON type:          gpon\nDescription:       {ty}\n\
                         Max T-CONT:        8\nMax GEM port:      32\nMax switch per slot: 1\n\
                         Max flow per switch: 32\nMax iphost:        2\nService ability N:1: support\n\n"
                    );
                }
                Reply::long(s)
            }
            (["show", "mac", "gpon", "onu", onu], _) => {
                let (f, id) = onu_port(onu)?;
                if olt.ont(f, id).is_none() {
                    return Some(Reply::text(error(GponError::NoOnt)));
                }
                let rows: Vec<_> = olt
                    .learned()
                    .into_iter()
                    .filter(|(o, _, _)| o.fsp == f && o.ont_id == id)
                    .collect();
                if rows.is_empty() {
                    return Some(Reply::text(NO_INFO));
                }
                Reply::long(mac_listing(&rows))
            }
            // The whole MAC table (what FDB collection reads).
            (["show", "mac"], _) => Reply::long(mac_listing(&olt.learned())),
            (["show", "running-config", "interface", onu], _) => {
                let (f, id) = onu_port(onu)?;
                match olt.ont(f, id) {
                    Some(o) => Reply::long(format!(
                        "Building configuration...\n{}end\n",
                        onu_config(olt, o)
                    )),
                    None => Reply::text(error(GponError::NoOnt)),
                }
            }
            (["show", "service-port", "interface", onu], _) => {
                let (f, id) = onu_port(onu)?;
                if olt.ont(f, id).is_none() {
                    return Some(Reply::text(error(GponError::NoOnt)));
                }
                let ports = olt.service_ports_of(f, Some(id));
                if ports.is_empty() {
                    return Some(Reply::text(NO_INFO));
                }
                let mut s = String::from(
                    "ServicePort  Vport  UserVlan  Vlan  Gemport  Status\n\
                     ---------------------------------------------------\n",
                );
                let up = olt.ont(f, id).is_some_and(|o| o.online);
                for sp in ports {
                    let _ = writeln!(
                        s,
                        "{:<12} {:<6} {:<9} {:<5} {:<8} {}",
                        sp.local_id,
                        sp.gemport,
                        sp.user_vlan,
                        sp.vlan,
                        sp.gemport,
                        if up { "enable" } else { "disable" }
                    );
                }
                Reply::long(s)
            }
            (["onu", id, "type", ty, "sn", sn], Where::Olt(f)) => {
                let r = Registration {
                    fsp: f,
                    sn,
                    ont_id: Some(num(id)?),
                    line_profile: 0,
                    srv_profile: 0,
                    description: "",
                    from_autofind: false,
                    onu_type: Some(ty),
                };
                match olt.register(&r) {
                    Ok(_) => Reply::text(""),
                    Err(e) => Reply::text(error(e)),
                }
            }
            (["no", "onu", id], Where::Olt(f)) => match olt.delete_ont(f, num(id)?, true) {
                Ok(_) => Reply::text(""),
                Err(e) => Reply::text(error(e)),
            },
            (["vlan", "port", eth, "mode", "tag", "vlan", v], Where::OnuMng(f, id)) => {
                if *eth != "eth_0/1" {
                    return Some(Reply::text(error(GponError::BadPort)));
                }
                ok(olt.set_native_vlan(f, id, num(v)? as u16))
            }
            (["name", name], Where::Onu(f, id)) => ok(olt.set_name(f, id, name)),
            (["description", ..], Where::Onu(f, id)) => {
                let desc = cmd.strip_prefix("description ").unwrap_or("");
                ok(olt.set_description(f, id, desc))
            }
            (["tcont", n, "profile", p], Where::Onu(f, id)) => {
                ok(olt.set_tcont(f, id, num(n)? as u16, p))
            }
            (["gemport", n, "tcont", tc, ..], Where::Onu(f, id)) => {
                ok(olt.set_gemport(f, id, num(n)? as u16, num(tc)? as u16))
            }
            (["gemport", n, "name", _, "tcont", tc, ..], Where::Onu(f, id)) => {
                ok(olt.set_gemport(f, id, num(n)? as u16, num(tc)? as u16))
            }
            (["service-port", n, "vport", vp, "user-vlan", uv, "vlan", v], Where::Onu(f, id)) => {
                let (n, vp) = (num(n)? as u16, num(vp)? as u16);
                let (uv, v) = (num(uv)? as u16, num(v)? as u16);
                let Some(o) = olt.ont(f, id) else {
                    return Some(Reply::text(error(GponError::NoOnt)));
                };
                if !o.gemports.iter().any(|g| g.0 == vp) {
                    return Some(Reply::text(error(GponError::NoGemport)));
                }
                if olt
                    .service_ports_of(f, Some(id))
                    .iter()
                    .any(|s| s.local_id == n)
                {
                    return Some(Reply::text(error(GponError::IndexInUse)));
                }
                ok(olt.add_service_port(None, v, f, id, vp, uv, n).map(|_| ()))
            }
            (["no", "service-port", n], Where::Onu(f, id)) => {
                let n = num(n)? as u16;
                let found = olt
                    .service_ports_of(f, Some(id))
                    .iter()
                    .find(|s| s.local_id == n)
                    .map(|s| s.index);
                match found {
                    Some(index) => ok(olt.remove_service_port(index).map(|_| ())),
                    None => Reply::text(error(GponError::NoServicePort)),
                }
            }
            (["write"], _) => {
                olt.saves += 1;
                Reply::Slow {
                    first: "Building configuration...\n".into(),
                    delay: olt.save_delay,
                    then: Box::new(Reply::text("[OK]\n")),
                }
            }
            _ => return None,
        };
        st.mac_table = st.gpon.as_ref().map(GponOlt::mac_rows).unwrap_or_default();
        Some(reply)
    }
}

fn ok(r: Result<(), GponError>) -> Reply {
    match r {
        Ok(()) => Reply::text(""),
        Err(e) => Reply::text(error(e)),
    }
}

fn with_port(olt: &GponOlt, f: Fsp, render: impl FnOnce(&GponOlt) -> Reply) -> Reply {
    match olt.check_port(f) {
        Err(e) => Reply::text(error(e)),
        Ok(()) if olt.onts_on(f).is_empty() => Reply::text(NO_INFO),
        Ok(()) => render(olt),
    }
}

fn card(olt: &GponOlt) -> String {
    let mut s = String::from(
        "Rack Shelf Slot CfgType RealType Port  HardVer SoftVer         Status\n\
         -------------------------------------------------------------------------------\n",
    );
    for b in &olt.boards {
        let (ports, hw, sw) = match b.name.as_str() {
            "PRAM" => (0, "", ""),
            "SMXA" => (3, "V1.0.0", "V2.1.0"),
            _ => (b.gpon_ports, "V1.0.0", "V2.1.0"),
        };
        let row = format!(
            "1    1     {:<4} {:<7} {:<8} {:<5} {:<7} {:<15} {}",
            b.slot, b.name, b.name, ports, hw, sw, b.status
        );
        let _ = writeln!(s, "{}", row.trim_end());
    }
    s
}

fn uncfg(olt: &GponOlt, f: Option<Fsp>) -> String {
    let found = olt.autofind_on(f);
    if found.is_empty() {
        return NO_INFO.into();
    }
    let mut s = String::from(
        "OnuIndex                 Sn                  State\n\
         ---------------------------------------------------------------------\n",
    );
    let mut seq: Vec<(Fsp, u32)> = Vec::new();
    for a in found {
        let n = seq.iter().filter(|(p, _)| *p == a.fsp).count() as u32 + 1;
        seq.push((a.fsp, n));
        let _ = writeln!(
            s,
            "{:<24} {:<19} unknown",
            onu_name(a.fsp, n),
            sn_zte(&a.sn)
        );
    }
    s
}

fn state(olt: &GponOlt, f: Fsp) -> String {
    let mut s = String::from(
        "OnuIndex               Admin State  OMCC State   O7 State     Phase State\n\
         ----------------------------------------------------------------------------\n",
    );
    let onts = olt.onts_on(f);
    for o in &onts {
        let (omcc, o7) = if o.online {
            ("enable", "operation")
        } else {
            ("disable", "unknown")
        };
        let _ = writeln!(
            s,
            "{:<22} enable       {omcc:<12} {o7:<12} {}",
            onu_name(o.fsp, o.ont_id),
            phase(o)
        );
    }
    let up = onts.iter().filter(|o| o.online).count();
    let _ = writeln!(s, "ONU Number: {up}/{}", onts.len());
    s
}

fn baseinfo(olt: &GponOlt, f: Fsp) -> String {
    let mut s = String::from(
        "OnuIndex                 Type          Mode    AuthInfo                State\n\
         -------------------------------------------------------------------------------\n",
    );
    for o in olt.onts_on(f) {
        let st = if o.online { "ready" } else { phase(o) };
        let _ = writeln!(
            s,
            "{:<24} {:<13} sn      SN:{:<20} {st}",
            onu_name(o.fsp, o.ont_id),
            o.equipment_id,
            sn_zte(&o.sn)
        );
    }
    s
}

fn detail(olt: &GponOlt, o: &Ont) -> String {
    let mut s = String::new();
    let kv = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "  {:<20} {v}", format!("{k}:"));
    };
    let _ = writeln!(s, "{:<22} {}", "ONU interface:", onu_name(o.fsp, o.ont_id));
    kv(&mut s, "Name", &o.name);
    kv(&mut s, "Type", &o.equipment_id);
    kv(&mut s, "State", if o.online { "ready" } else { "offline" });
    kv(&mut s, "Admin state", "enable");
    kv(&mut s, "Phase state", phase(o));
    kv(&mut s, "Config state", "success");
    kv(&mut s, "Authentication mode", "sn");
    kv(&mut s, "SN Bind", "enable with SN check");
    kv(&mut s, "Serial number", &sn_zte(&o.sn));
    kv(&mut s, "Password", "");
    kv(&mut s, "Device ID", "");
    kv(&mut s, "Description", &o.description);
    kv(&mut s, "Vport mode", "gemport");
    kv(&mut s, "DBA Mode", "Hybrid");
    kv(&mut s, "ONU Status", "enable");
    kv(&mut s, "OMCI BW Profile", "enable");
    kv(&mut s, "Line Profile", "N/A");
    kv(&mut s, "Service Profile", "N/A");
    kv(&mut s, "Alarm Profile", "N/A");
    kv(&mut s, "Performance Profile", "N/A");
    let dist = if o.online {
        format!("{}m", o.distance_m)
    } else {
        "N/A".into()
    };
    kv(&mut s, "ONU Distance", &dist);
    let dur = match (o.online, o.last_up_secs) {
        (true, Some(t)) => {
            let secs = olt.clock.saturating_sub(t);
            let (d, h, m, x) = uptime_parts(secs);
            format!("{}h {m}m {x}s", d * 24 + h)
        }
        _ => "N/A".into(),
    };
    kv(&mut s, "Online Duration", &dur);
    kv(&mut s, "FEC", "none");
    kv(&mut s, "1PPS+ToD", "disable");
    s.push_str("------------------------------------------\n");
    s.push_str("       Authpass Time          OfflineTime             Cause\n");
    let cause = o.last_down_cause.as_deref().map_or("", |c| match c {
        "dying-gasp" => "DyingGasp",
        "LOSi/LOBi" | "LOS" | "LOFi" => "LOS",
        other => other,
    });
    let _ = writeln!(
        s,
        "   1   {}    {}     {cause}",
        stamp(o.last_up_secs),
        stamp(o.last_down_secs)
    );
    for n in 2..=10 {
        let _ = writeln!(s, "{n:>4}   {}    {}", stamp(None), stamp(None));
    }
    s
}

fn attenuation((rx, tx, olt_rx): (f64, f64, f64)) -> String {
    let olt_tx = 5.2;
    format!(
        "           OLT                  ONU              Attenuation\n\
         --------------------------------------------------------------------------\n\
         \x20up      Rx :{olt_rx:.3}(dbm)      Tx:{tx:.3}(dbm)        {:.3}(dB)\n\n\
         \x20down    Tx :{olt_tx:.3}(dbm)        Rx:{rx:.3}(dbm)      {:.3}(dB)\n",
        tx - olt_rx,
        olt_tx - rx
    )
}

/// The registrations, as `show running-config` prints them.
fn config_section(olt: &GponOlt) -> String {
    let mut c = String::new();
    for f in olt.ports() {
        let onts = olt.onts_on(f);
        if onts.is_empty() {
            continue;
        }
        let _ = writeln!(c, "interface {}\n  no shutdown", olt_name(f));
        for o in &onts {
            let _ = writeln!(
                c,
                "  onu {} type {} sn {}",
                o.ont_id,
                o.equipment_id,
                sn_zte(&o.sn)
            );
        }
        c.push_str("!\n");
    }
    for o in olt.onts() {
        c.push_str(&onu_config(olt, o));
    }
    c
}

/// One ONU's `interface gpon-onu_…` block of the running config.
fn onu_config(olt: &GponOlt, o: &crate::gpon::Ont) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "interface {}", onu_name(o.fsp, o.ont_id));
    let _ = writeln!(c, "  name {}", o.name);
    if !o.description.is_empty() {
        let _ = writeln!(c, "  description {}", o.description);
    }
    for (n, p) in &o.tconts {
        let _ = writeln!(c, "  tcont {n} profile {p}");
    }
    for (n, t) in &o.gemports {
        let _ = writeln!(c, "  gemport {n} tcont {t}");
    }
    for sp in olt.service_ports_of(o.fsp, Some(o.ont_id)) {
        let _ = writeln!(
            c,
            "  service-port {} vport {} user-vlan {} vlan {}",
            sp.local_id, sp.gemport, sp.user_vlan, sp.vlan
        );
    }
    c.push_str("!\n");
    c
}

impl Vendor for Zte {
    fn telnet_banner(&self, _st: &DeviceState) -> String {
        "\n\n************************************************\nWelcome to ZXAN product C320 of ZTE Corporation\n************************************************\n\n".into()
    }
    fn user_prompt(&self) -> &'static str {
        "Username:"
    }
    fn password_prompt(&self) -> &'static str {
        "Password:"
    }
    fn login_failed(&self) -> &'static str {
        "\n%Error 20203: No username or bad password\n"
    }
    fn too_many_failures(&self) -> &'static str {
        "%Error 20204: Too many failed logins\n"
    }
    fn welcome(&self, _st: &DeviceState) -> String {
        "\n".into()
    }
    fn first_mode(&self, _has_enable_password: bool) -> Mode {
        Mode::Privileged
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String {
        match mode {
            Mode::Config(sub) if sub.starts_with("(config-if)") => {
                format!("{}(config-if)#", st.hostname)
            }
            Mode::Config(sub) if sub.starts_with("(gpon-onu-mng)") => {
                // `ZXAN(gpon-onu-mng 1/2/1:3)#`
                let name = &sub["(gpon-onu-mng)".len()..];
                let short = name.strip_prefix("gpon-onu_").unwrap_or(name);
                format!("{}(gpon-onu-mng {short})#", st.hostname)
            }
            Mode::Config(_) => format!("{}(config)#", st.hostname),
            _ => format!("{}#", st.hostname),
        }
    }
    fn pager(&self) -> PagerStyle {
        PagerStyle {
            prompt: " --More--",
            erase: backspace_erase,
            all_key: None,
        }
    }
    fn execute(&mut self, raw: &str, ctx: &mut Ctx) -> Reply {
        let cmd = words(raw);
        let here = Zte::place(ctx.mode);
        let prompt_len = self.prompt(ctx.st, ctx.mode).len();
        match cmd.as_str() {
            "terminal length 0" => {
                *ctx.page = None;
                return Reply::text("");
            }
            "configure terminal" | "conf t" if matches!(here, Where::Exec) => {
                *ctx.mode = Mode::Config("(config)".into());
                return Reply::text("");
            }
            "exit" => {
                *ctx.mode = match here {
                    Where::Exec => return Reply::Close(String::new()),
                    Where::Config => Mode::Privileged,
                    _ => Mode::Config("(config)".into()),
                };
                return Reply::text("");
            }
            "quit" | "logout" => return Reply::Close(String::new()),
            "end" => {
                *ctx.mode = Mode::Privileged;
                return Reply::text("");
            }
            _ => {}
        }
        let st = &mut *ctx.st;
        if cmd == "show version" {
            let (d, h, m, s) = uptime_parts(st.uptime_secs);
            return Reply::text(format!(
                "ZXA10 {model} Software, Version: {fw}\n\
                 Copyright (c) 2004-2021 by ZTE Corporation\n\
                 Compiled Jan 20 2021, 10:15:00\n\n\
                 System Description: ZXA10 {model} Optical Line Terminal\n\
                 System uptime is {d} days, {h} hours, {m} minutes, {s} seconds\n\
                 Main board: SMXA, 2G memory\n",
                model = st.model,
                fw = st.firmware,
            ));
        }
        if cmd == "show running-config" {
            st.uptime_secs += 7;
            let now = clock(st.uptime_secs).iso();
            let section = st.gpon.as_ref().map(config_section).unwrap_or_default();
            let text = match st.config.rfind("end\n") {
                Some(at) => format!(
                    "Building configuration...\n!<Time>{now}</Time>\n{}{section}{}",
                    &st.config[..at],
                    &st.config[at..]
                ),
                None => format!(
                    "Building configuration...\n!<Time>{now}</Time>\n{}{section}",
                    st.config
                ),
            };
            return Reply::config(text, true);
        }
        if let Some(name) = cmd.strip_prefix("pon-onu-mng ") {
            if matches!(here, Where::Config) {
                let olt = st
                    .gpon
                    .get_or_insert_with(|| GponOlt::sample(OltVendor::Zte, 0));
                let Some((f, id)) = onu_port(name) else {
                    return invalid(&cmd, prompt_len);
                };
                if let Err(e) = olt.check_port(f) {
                    return Reply::text(error(e));
                }
                if olt.ont(f, id).is_none() {
                    return Reply::text(error(GponError::NoOnt));
                }
                *ctx.mode = Mode::Config(format!("(gpon-onu-mng){name}"));
                return Reply::text("");
            }
        }
        if let Some(name) = cmd.strip_prefix("interface ") {
            if !matches!(here, Where::Exec) {
                let olt = st
                    .gpon
                    .get_or_insert_with(|| GponOlt::sample(OltVendor::Zte, 0));
                let port = olt_port(name).or_else(|| onu_port(name).map(|(f, _)| f));
                let Some(port) = port else {
                    return invalid(&cmd, prompt_len);
                };
                if let Err(e) = olt.check_port(port) {
                    return Reply::text(error(e));
                }
                if let Some((f, id)) = onu_port(name) {
                    if olt.ont(f, id).is_none() {
                        return Reply::text(error(GponError::NoOnt));
                    }
                }
                *ctx.mode = Mode::Config(format!("(config-if){name}"));
                return Reply::text("");
            }
        }
        if let Some(reply) = self.gpon(&cmd, here, st) {
            return reply;
        }
        invalid(&cmd, prompt_len)
    }
}

/// A sample C320.
pub(crate) fn sample(index: usize) -> (Sample, GponOlt) {
    let hostname = format!(
        "ZTE-{}-{}",
        STREETS[(index + 2) % STREETS.len()].to_ascii_uppercase(),
        index + 1
    );
    let olt = GponOlt::sample(OltVendor::Zte, index);
    let config = config_base(&hostname, index, &olt);
    (
        Sample {
            hostname,
            config,
            mac_table: olt.mac_rows(),
            model: "C320",
            firmware: "V2.1.0",
            enable: false,
        },
        olt,
    )
}

/// The static part of a C320 running-config.
pub(crate) fn config_base(hostname: &str, index: usize, olt: &GponOlt) -> String {
    let mut c = format!(
        "!\nhostname {hostname}\n!\nusername admin password encrypted 3c9d0e7f{index:04}a1 privilege 15\n!\n\
         snmp-server community olt-ro-{index}-Zt7 view AllView ro\nsnmp-server location {street}\n\
         snmp-server contact noc@isp.local\n!\nntp server 10.0.0.1 priority 1\nclock timezone MSK 3\n!\n",
        street = STREETS[index % STREETS.len()],
    );
    for v in &olt.vlans {
        let _ = writeln!(c, "vlan {v}\n  name vlan{v}\n!");
    }
    for ty in &olt.onu_types {
        let _ = writeln!(c, "pon\n  onu-type {ty} gpon description {ty}\n!");
    }
    c.push_str("gpon\n  profile tcont UP-100M type 4 maximum 102400\n  profile tcont UP-1G type 4 maximum 1024000\n!\n");
    let _ = write!(
        c,
        "interface gei_1/3/1\n  no shutdown\n  hybrid-attribute fiber\n  switchport mode trunk\n  switchport vlan 100-110,2105 tag\n!\n\
         interface mng1\n  ip address {} 255.255.255.0\n!\nip route 0.0.0.0 0.0.0.0 {}\n!\nline telnet access-class 10\n!\nend\n",
        mgmt_ip(index, 6),
        mgmt_ip(index, 1)
    );
    c
}

/// `show mac` rows: `Mac address  Vlan  Type  Port  Vc`, with the total first.
fn mac_listing(
    rows: &[(
        &crate::gpon::Ont,
        &crate::gpon::OntMac,
        Option<&crate::gpon::ServicePort>,
    )],
) -> String {
    let mut s = format!(
        "Total mac address : {}\n\nMac address      Vlan   Type      Port                         Vc\n\
         ------------------------------------------------------------------------\n",
        rows.len()
    );
    for (o, m, sp) in rows {
        let _ = writeln!(
            s,
            "{}   {:<6} Dynamic   {:<28} vport {}",
            mac_dotted(&m.mac),
            m.vlan,
            onu_name(o.fsp, o.ont_id),
            sp.map_or(1, |p| p.local_id)
        );
    }
    s
}
