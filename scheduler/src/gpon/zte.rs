//! ZTE C300/C320 (ZXA10, ZXAN prompt): GPON commands and parsers. A port
//! is `gpon-olt_shelf/slot/port`, an ONU `gpon-onu_shelf/slot/port:N` (C600
//! firmware prints `gpon_onu-1/2/1:5`; both are read). Show commands run in
//! `config`; registration in `interface gpon-olt_…` and then
//! `interface gpon-onu_…:N`. Refusals are `%Error 20209: …`, `%Code 32310-
//! GPONSRV : No related information to show.` (none) and `% Invalid input
//! detected at '^' marker.`

use super::huawei::traffic_of;
use super::model::*;
use super::read::{is_rule, key_form, known, lines, number, refusal, structure, whole, Fields};
use crate::cli::normalise_mac;

/// The ZTE C300/C320 GPON dialect.
#[derive(Debug, Clone, Copy)]
pub struct ZteGpon {
    /// The T-CONT profile registration gives `tcont 1` (`show gpon profile tcont`).
    pub tcont_profile: &'static str,
}

/// The dialect with the C3xx factory T-CONT profile `default`.
pub const ZTE: ZteGpon = ZteGpon {
    tcont_profile: "default",
};

/// `gpon-olt_1/2/1`.
pub fn olt_if(fsp: Fsp) -> String {
    format!("gpon-olt_{fsp}")
}

/// `gpon-onu_1/2/1:5`.
pub fn onu_if(fsp: Fsp, id: u32) -> String {
    format!("gpon-onu_{fsp}:{id}")
}

/// `gpon-onu_1/2/1:5`, `gpon_onu-1/2/1:5` or a bare `1/2/1:5` → port and ONU id.
pub fn parse_onu_if(token: &str) -> Option<(Fsp, u32)> {
    let t = token.trim();
    let bare = ["gpon-onu_", "gpon_onu-"]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(t);
    let (port, id) = bare.split_once(':')?;
    Some((port.parse().ok()?, id.parse().ok()?))
}

/// `gpon-olt_1/2/1` (or `gpon_olt-1/2/1`) → the port.
fn parse_olt_if(token: &str) -> Option<Fsp> {
    ["gpon-olt_", "gpon_olt-"]
        .iter()
        .find_map(|p| token.trim().strip_prefix(p))?
        .parse()
        .ok()
}

/// The SN in the form ZTE's CLI takes (12 characters, `ZTEGC0A1B2C3`).
fn cli_sn(sn: &str) -> String {
    match normalise_sn(sn) {
        Some(c) => vendor_sn(&c).replace('-', ""),
        None => sn.trim().to_string(),
    }
}

/// Phase state → run state: `working` is online, every other state
/// (`LOS`, `DyingGasp`, `OffLine`, `syncMib`, `logging`, …) offline.
fn phase(s: &str) -> RunState {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "-" | "unknown" | "n/a" => RunState::Unknown,
        "working" => RunState::Online,
        _ => RunState::Offline,
    }
}

fn config(text: String) -> Line {
    Line {
        mode: Mode::Config,
        text,
    }
}

/// `Onu  Rx power` rows (`show pon power onu-rx gpon-olt_…`): ONU and Rx.
fn onu_rx_rows(out: &str) -> Result<Vec<(Fsp, u32, Option<f64>)>, GponParseError> {
    let mut header = false;
    let mut rows = Vec::new();
    for line in lines(out) {
        let low = line.to_ascii_lowercase();
        if low.contains("onu") && low.contains("rx power") {
            header = true;
            continue;
        }
        let t: Vec<&str> = line.split_whitespace().collect();
        let Some((fsp, id)) = t.first().and_then(|s| parse_onu_if(s)) else {
            continue;
        };
        rows.push((fsp, id, t.get(1).and_then(|v| number(v))));
    }
    if !header {
        return Err(structure("no `Onu Rx power` header"));
    }
    Ok(rows)
}

impl ZteGpon {
    /// `show gpon onu state`: `OnuIndex Admin-State OMCC-State [O7-State]
    /// Phase-State [Channel]`, columns in the header's order.
    fn read_states(out: &str) -> Result<Vec<(Fsp, u32, String, RunState)>, GponParseError> {
        let mut cols: Option<Vec<&'static str>> = None;
        let mut rows = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("onuindex") && low.contains("phase") {
                let mut found: Vec<(usize, &'static str)> =
                    ["admin", "omcc", "o7", "phase", "channel"]
                        .iter()
                        .filter_map(|n| low.find(n).map(|at| (at, *n)))
                        .collect();
                found.sort();
                cols = Some(found.into_iter().map(|(_, n)| n).collect());
                continue;
            }
            let Some(cols) = &cols else { continue };
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some((fsp, id)) = t.first().and_then(|s| parse_onu_if(s)) else {
                continue;
            };
            let get = |name: &str| {
                cols.iter()
                    .position(|c| *c == name)
                    .and_then(|i| t.get(i + 1))
                    .map_or("", |s| *s)
            };
            let control = match get("admin").to_ascii_lowercase().as_str() {
                "enable" => "active".to_string(),
                "disable" => "deactivated".to_string(),
                other => other.to_string(),
            };
            rows.push((fsp, id, control, phase(get("phase"))));
        }
        if cols.is_none() {
            return Err(structure("no `OnuIndex … Phase State` header"));
        }
        Ok(rows)
    }

    /// `show gpon onu baseinfo`: `OnuIndex Type Mode AuthInfo State`, the
    /// SN as `SN:ZTEGC0A1B2C3` → (port, id, SN, state).
    fn read_baseinfo(out: &str) -> Result<Vec<(Fsp, u32, String, String)>, GponParseError> {
        let mut header = false;
        let mut rows = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("onuindex") && (low.contains("auth") || low.contains("type")) {
                header = true;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some((fsp, id)) = t.first().and_then(|s| parse_onu_if(s)) else {
                continue;
            };
            let sn = t
                .iter()
                .find_map(|s| {
                    let low = s.to_ascii_lowercase();
                    low.strip_prefix("sn:").map(|_| normalise_sn(&s[3..]))
                })
                .flatten()
                .unwrap_or_default();
            let state = if t.len() > 2 {
                t.last().map_or("", |s| *s).to_string()
            } else {
                String::new()
            };
            rows.push((fsp, id, sn, state));
        }
        if !header {
            return Err(structure("no `OnuIndex Type Mode AuthInfo State` header"));
        }
        Ok(rows)
    }
}

impl GponCli for ZteGpon {
    /// `gpon-onu_1/2/1:1` is the first ONU of a port.
    fn ont_ids(&self) -> std::ops::RangeInclusive<u32> {
        1..=128
    }

    /// `gpon-olt_1/2/1`: shelf 1, ports from 1.
    fn first_frame_and_port(&self) -> (u8, u8) {
        (1, 1)
    }

    fn boards_command(&self) -> Line {
        config("show card".into())
    }

    /// `Rack Shelf Slot CfgType RealType Port HardVer SoftVer Status`; an
    /// absent card leaves RealType (and the versions) blank. GPON cards are
    /// `GT..` (GTGO, GTGH, GTGHK, …).
    fn parse_boards(&self, out: &str) -> Result<Vec<Board>, GponParseError> {
        let mut header = false;
        let mut boards = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("slot") && low.contains("cfgtype") {
                header = true;
                continue;
            }
            if !header || is_rule(&line) {
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 5 || !t[..3].iter().all(|s| s.parse::<u32>().is_ok()) {
                continue;
            }
            let Ok(slot) = t[2].parse::<u8>() else {
                continue;
            };
            let cfg = t[3];
            let (real, port_at) = if t[4].parse::<u32>().is_ok() {
                (cfg, 4)
            } else {
                (t[4], 5)
            };
            let ports = t
                .get(port_at)
                .and_then(|s| s.parse::<u8>().ok())
                .unwrap_or(0);
            let gpon = real.to_ascii_uppercase().starts_with("GT");
            boards.push(Board {
                slot,
                name: real.to_string(),
                status: t.last().map_or("", |s| *s).to_string(),
                gpon_ports: if gpon { ports } else { 0 },
            });
        }
        if !header {
            return Err(structure("no `Rack Shelf Slot CfgType` header"));
        }
        Ok(boards)
    }

    fn ont_list_commands(&self, fsp: Fsp) -> Vec<Line> {
        vec![
            config(format!("show gpon onu state {}", olt_if(fsp))),
            config(format!("show gpon onu baseinfo {}", olt_if(fsp))),
        ]
    }

    /// The states joined with the base info (SN, config state) by ONU id.
    /// ZTE prints names and descriptions only per ONU: `description` is
    /// left empty here (see [`GponCli::parse_detail`]).
    fn parse_ont_list(&self, fsp: Fsp, outs: &[String]) -> Result<Vec<OntRow>, GponParseError> {
        let [state, base, ..] = outs else {
            return Err(structure(
                "the list needs the state and the baseinfo outputs",
            ));
        };
        let states = Self::read_states(state)?;
        let base = Self::read_baseinfo(base)?;
        states
            .into_iter()
            .filter(|(f, ..)| *f == fsp)
            .map(|(f, id, control, run)| {
                let (_, _, sn, cfg) = base
                    .iter()
                    .find(|(bf, bid, ..)| *bf == f && *bid == id)
                    .ok_or_else(|| {
                        structure(format!("{} is not in the baseinfo", onu_if(f, id)))
                    })?;
                Ok(OntRow {
                    fsp: f,
                    ont_id: id,
                    sn: sn.clone(),
                    control,
                    run,
                    config_state: cfg.clone(),
                    match_state: String::new(),
                    description: String::new(),
                })
            })
            .collect()
    }

    fn summary_command(&self, fsp: Fsp) -> Line {
        config(format!("show pon power onu-rx {}", olt_if(fsp)))
    }

    /// ZTE's per-port table has the Rx of each ONU only (run state, causes
    /// and distances come per ONU).
    fn parse_summary(&self, fsp: Fsp, out: &str) -> Result<Vec<OntSummary>, GponParseError> {
        Ok(onu_rx_rows(out)?
            .into_iter()
            .filter(|(f, ..)| *f == fsp)
            .map(|(f, id, rx)| OntSummary {
                fsp: f,
                ont_id: id,
                run: RunState::Unknown,
                last_down_cause: None,
                last_up: None,
                last_down: None,
                distance_m: None,
                rx_dbm: rx,
                tx_dbm: None,
            })
            .collect())
    }

    fn port_optics_command(&self, fsp: Fsp) -> Option<Line> {
        Some(self.summary_command(fsp))
    }

    fn parse_port_optics(&self, out: &str) -> Result<Vec<PortOptics>, GponParseError> {
        Ok(onu_rx_rows(out)?
            .into_iter()
            .map(|(_, id, rx)| PortOptics {
                ont_id: id,
                optics: Optics {
                    rx_dbm: rx,
                    ..Optics::default()
                },
            })
            .collect())
    }

    fn detail_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!("show gpon onu detail-info {}", onu_if(fsp, ont_id)))
    }

    /// `Key:  value` lines, then the authentication history
    /// (`N  Authpass-Time  OfflineTime  Cause`, `0000-00-00 00:00:00` = none):
    /// the latest authpass is the last up, the latest offline the last
    /// down with its cause.
    fn parse_detail(&self, out: &str) -> Result<OntDetail, GponParseError> {
        let all = lines(out);
        let rule = all.iter().position(|l| is_rule(l)).unwrap_or(all.len());
        let f = Fields::read(&all[..rule].join("\n"));
        let sn = f
            .get(&["serial number", "sn"])
            .and_then(normalise_sn)
            .ok_or_else(|| structure("no `Serial number:` line"))?;
        let mut up: Option<String> = None;
        let mut down: Option<(String, Option<String>)> = None;
        let is_zero = |d: &str| d.starts_with("0000-00-00");
        for line in all.iter().skip(rule) {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 5 || t[0].parse::<u32>().is_err() {
                continue;
            }
            let (a, b) = (format!("{} {}", t[1], t[2]), format!("{} {}", t[3], t[4]));
            if !is_zero(&a) && up.as_ref().is_none_or(|u| a > *u) {
                up = Some(a);
            }
            if !is_zero(&b) && down.as_ref().is_none_or(|(d, _)| b > *d) {
                down = Some((b, t.get(5..).map(|c| c.join(" ")).and_then(|c| known(&c))));
            }
        }
        let desc = f.get(&["description"]).map(str::to_string);
        let name = f.get(&["name"]).map(str::to_string);
        let description = match (desc, name) {
            (Some(d), _) if !d.is_empty() => Some(d),
            (d, n) => n.or(d),
        };
        let (last_down, last_down_cause) = match down {
            Some((d, c)) => (Some(d), c),
            None => (None, None),
        };
        Ok(OntDetail {
            sn,
            run: f.get(&["phase state"]).map(phase),
            config_state: f.known(&["state", "config state"]),
            match_state: None,
            description,
            last_down_cause,
            last_up: up,
            last_down,
            online_duration: f.known(&["online duration"]),
            distance_m: f.get(&["onu distance", "distance"]).and_then(whole),
            temperature_c: None,
            equipment_id: f.known(&["type"]),
            version: None,
            software_version: None,
            line_profile_id: None,
            service_profile_id: None,
            fields: f.0,
        })
    }

    fn optics_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!(
            "show pon power attenuation {}",
            onu_if(fsp, ont_id)
        ))
    }

    /// `up  Rx :-20.241(dbm)  Tx:2.423(dbm)  22.664(dB)` (OLT receives, ONU
    /// sends) and `down  Tx :5.369(dbm)  Rx:-16.676(dbm)  22.045(dB)` (OLT
    /// sends, ONU receives); `N/A` for an ONU that is not up.
    fn parse_optics(&self, out: &str) -> Result<Optics, GponParseError> {
        let mut o = Optics::default();
        let (mut saw_up, mut saw_down) = (false, false);
        for line in lines(out) {
            let mut s = line.trim().to_string();
            while s.contains(" :") || s.contains(": ") {
                s = s.replace(" :", ":").replace(": ", ":");
            }
            let t: Vec<&str> = s.split_whitespace().collect();
            let Some(dir) = t.first().map(|d| d.to_ascii_lowercase()) else {
                continue;
            };
            let value = |name: &str| {
                t.iter()
                    .find_map(|w| {
                        let (k, v) = w.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| number(v))
                    })
                    .flatten()
            };
            match dir.as_str() {
                "up" => {
                    saw_up = true;
                    o.olt_rx_dbm = value("rx");
                    o.tx_dbm = value("tx");
                }
                "down" => {
                    saw_down = true;
                    o.rx_dbm = value("rx");
                }
                _ => {}
            }
        }
        if !(saw_up && saw_down) {
            return Err(structure("no `up` and `down` attenuation lines"));
        }
        Ok(o)
    }

    fn autofind_command(&self) -> Line {
        config("show gpon onu uncfg".into())
    }

    /// `OnuIndex Sn State` (`gpon-onu_1/2/1:1  ZTEGC0A1B2C3  unknown`) or,
    /// on V2.x firmware, `OltIndex Model SN PW` (`gpon-olt_1/2/1  F660
    /// ZTEGC0A1B2C3  N/A`): the SN found by its shape, the model between
    /// the index and the SN.
    fn parse_autofind(&self, out: &str) -> Result<Vec<Autofind>, GponParseError> {
        let mut header = false;
        let mut found = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if (low.contains("onuindex") || low.contains("oltindex") || low.contains("oltid"))
                && low.contains("sn")
                || low.contains("serial-number")
            {
                header = true;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(fsp) = t
                .first()
                .and_then(|s| parse_onu_if(s).map(|(f, _)| f).or_else(|| parse_olt_if(s)))
            else {
                continue;
            };
            let Some((at, sn)) = t
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|(i, s)| normalise_sn(s).map(|sn| (i, sn)))
            else {
                continue;
            };
            found.push(Autofind {
                fsp,
                vendor_sn: vendor_sn(&sn),
                sn,
                equipment_id: known(&t[1..at].join(" ")),
                version: None,
                software_version: None,
                found_at: None,
            });
        }
        if !header && found.is_empty() {
            return Err(structure("no unconfigured-ONU table header"));
        }
        Ok(found)
    }

    fn service_ports_command(&self) -> Line {
        config("show running-config".into())
    }

    fn service_ports_of_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!(
            "show running-config interface {}",
            onu_if(fsp, ont_id)
        ))
    }

    /// `service-port N vport V user-vlan U vlan W` lines inside `interface
    /// gpon-onu_…:N` blocks of the running config (VPI-like ONU id from the
    /// block, the GEM/vport as `gemport`; ZTE prints no state).
    fn parse_service_ports(&self, out: &str) -> Result<Vec<ServicePort>, GponParseError> {
        let mut config_seen = false;
        let mut block: Option<(Fsp, u32)> = None;
        let mut ports = Vec::new();
        for line in lines(out) {
            let t: Vec<&str> = line.split_whitespace().collect();
            let indented = line.starts_with([' ', '\t']);
            match t.as_slice() {
                ["interface", name, ..] => {
                    config_seen = true;
                    block = parse_onu_if(name).filter(|_| name.contains("onu"));
                    continue;
                }
                ["Building", "configuration...", ..] | ["end"] | ["!"] => {
                    config_seen = true;
                    if !indented {
                        block = None;
                    }
                    continue;
                }
                _ => {}
            }
            if !indented {
                block = None;
                continue;
            }
            let (Some((fsp, ont_id)), ["service-port", idx, rest @ ..]) = (block, t.as_slice())
            else {
                continue;
            };
            let after = |key: &str| {
                rest.iter()
                    .position(|w| *w == key)
                    .and_then(|i| rest.get(i + 1))
                    .and_then(|v| v.parse::<u32>().ok())
            };
            let (Ok(index), Some(vlan)) = (
                idx.parse::<u32>(),
                after("vlan").or_else(|| after("user-vlan")),
            ) else {
                continue;
            };
            ports.push(ServicePort {
                index,
                vlan: u16::try_from(vlan).map_err(|_| structure(format!("VLAN {vlan}")))?,
                fsp,
                ont_id,
                gemport: after("vport").or_else(|| after("gemport")).unwrap_or(1),
                state: String::new(),
            });
        }
        if !config_seen {
            return Err(structure("no running-config in the output"));
        }
        Ok(ports)
    }

    fn macs_command(&self) -> Line {
        config("show mac".into())
    }

    fn macs_of_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!("show mac gpon onu {}", onu_if(fsp, ont_id)))
    }

    /// `Mac address  Vlan  Type  Port  Vc` rows (`8cdc.0294.a5cd  88
    /// Dynamic  gpon-onu_1/1/1:1  vport 2`) after `Total mac address : N`.
    fn parse_macs(&self, out: &str) -> Result<Vec<OntMac>, GponParseError> {
        let mut table = false;
        let mut macs: Vec<OntMac> = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("total mac") || (low.contains("mac address") && low.contains("vlan")) {
                table = true;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(mac) = t.first().and_then(|s| normalise_mac(s)) else {
                continue;
            };
            let (Some(vlan), Some((fsp, ont_id))) = (
                t.get(1).and_then(|s| s.parse::<u16>().ok()),
                t.iter().find_map(|s| parse_onu_if(s)),
            ) else {
                continue;
            };
            table = true;
            let row = OntMac {
                mac,
                vlan,
                fsp,
                ont_id,
                service_port: None,
            };
            if !macs.contains(&row) {
                macs.push(row);
            }
        }
        if !table {
            return Err(structure("no MAC table header or total"));
        }
        Ok(macs)
    }

    fn line_profiles_command(&self) -> Line {
        config("show onu-type gpon".into())
    }

    /// ZTE registers by ONU type, not by line/service profile: both lists
    /// are the ONU types.
    fn service_profiles_command(&self) -> Line {
        self.line_profiles_command()
    }

    /// `ONU type name:  F660` blocks (or a `ONU type  PON type
    /// Description` table): the types in order, numbered from 1.
    fn parse_profiles(&self, out: &str) -> Result<Vec<OltProfile>, GponParseError> {
        let mut names: Vec<String> = Fields::read(out)
            .0
            .iter()
            .filter(|(k, _)| matches!(key_form(k).as_str(), "onu type name" | "onu type"))
            .filter_map(|(_, v)| known(v))
            .collect();
        if names.is_empty() {
            let mut header = false;
            for line in lines(out) {
                let low = line.to_ascii_lowercase();
                if low.contains("onu type") && !low.contains(':') {
                    header = true;
                    continue;
                }
                if !header || is_rule(&line) {
                    continue;
                }
                if let Some(n) = line.split_whitespace().next() {
                    names.push(n.to_string());
                }
            }
            if !header {
                return Err(structure("no ONU types in the output"));
            }
        }
        Ok(names
            .into_iter()
            .enumerate()
            .map(|(i, name)| OltProfile {
                id: i as u32 + 1,
                name,
            })
            .collect())
    }

    fn port_traffic_command(&self, fsp: Fsp) -> Line {
        config(format!("show interface {}", olt_if(fsp)))
    }

    /// `Input rate : 1234 Bps  5 pps` (upstream, from the ONUs) and `Output
    /// rate: …` (downstream); bytes/s become kbit/s.
    fn parse_traffic(&self, out: &str) -> Result<Traffic, GponParseError> {
        let f = Fields::read(out);
        let rate = |name: &str| {
            let v = f.get(&[name])?;
            let mut words = v.split_whitespace();
            let n = number(words.next()?)?;
            Some(match words.next().unwrap_or("") {
                "Bps" | "Byte/s" | "bytes/sec" => n * 8.0 / 1000.0,
                "bps" | "bit/s" | "bits/sec" => n / 1000.0,
                _ => n,
            })
        };
        match (rate("input rate"), rate("output rate")) {
            (Some(up_kbps), Some(down_kbps)) => Ok(Traffic { up_kbps, down_kbps }),
            _ => traffic_of(&f),
        }
    }

    fn failure_means_none(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        m.contains("no related information to show") || m.contains("32310")
    }

    fn add_ont_commands(&self, plan: &RegistrationPlan, free_id: u32) -> Vec<Line> {
        vec![Line {
            mode: Mode::PortInterface(plan.fsp),
            text: format!(
                "onu {free_id} type {} sn {}",
                plan.onu_type,
                cli_sn(&plan.sn)
            ),
        }]
    }

    /// ZTE answers nothing (or `[Successful]`) when it takes the ONU.
    fn parse_added(&self, out: &str, free_id: u32) -> Result<u32, GponParseError> {
        match refusal(out) {
            Some(r) => Err(GponParseError::Failure(r)),
            None => Ok(free_id),
        }
    }

    fn next_free_index_command(&self) -> Option<Line> {
        None
    }

    fn parse_next_free_index(&self, _out: &str) -> Result<u32, GponParseError> {
        Err(structure(
            "ZTE numbers service ports per ONU: there is no free-index command",
        ))
    }

    /// In `interface gpon-onu_…:N`: name and description, T-CONT 1,
    /// GEM port 1 on it, and service port 1 on vport 1 (per-ONU numbers:
    /// `index` is not used).
    fn service_port_commands(
        &self,
        plan: &RegistrationPlan,
        ont_id: u32,
        _index: u32,
    ) -> Vec<Line> {
        let mode = Mode::OntInterface(plan.fsp, ont_id);
        let name: String = plan
            .description
            .chars()
            .map(|c| if c.is_whitespace() { '_' } else { c })
            .collect();
        [
            format!("name {name}"),
            format!("description {}", plan.description),
            format!("tcont 1 profile {}", self.tcont_profile),
            "gemport 1 tcont 1".to_string(),
            format!(
                "service-port 1 vport 1 user-vlan {v} vlan {v}",
                v = plan.vlan
            ),
        ]
        .into_iter()
        .map(|text| Line {
            mode: mode.clone(),
            text,
        })
        .collect()
    }

    /// ZTE sets an ONU's port VLAN in `pon-onu-mng gpon-onu_…:N` (a mode of
    /// its own, entered and left here from `config`).
    fn native_vlan_commands(&self, plan: &RegistrationPlan, ont_id: u32) -> Vec<Line> {
        if !plan.native_vlan {
            return Vec::new();
        }
        vec![
            config(format!("pon-onu-mng {}", onu_if(plan.fsp, ont_id))),
            config(format!("vlan port eth_0/1 mode tag vlan {}", plan.vlan)),
            config("exit".into()),
        ]
    }

    fn save_command(&self) -> Line {
        config("write".into())
    }

    /// `Building configuration...` then `[OK]`.
    fn parse_saved(&self, out: &str) -> Result<(), GponParseError> {
        if let Some(r) = refusal(out) {
            return Err(GponParseError::Failure(r));
        }
        if out.to_ascii_uppercase().contains("[OK]") {
            Ok(())
        } else {
            Err(structure("`write` did not say [OK]"))
        }
    }

    fn undo_service_port_command(&self, port: &ServicePort) -> Line {
        Line {
            mode: Mode::OntInterface(port.fsp, port.ont_id),
            text: format!("no service-port {}", port.index),
        }
    }

    fn delete_ont_commands(&self, fsp: Fsp, ont_id: u32) -> Vec<Line> {
        vec![Line {
            mode: Mode::PortInterface(fsp),
            text: format!("no onu {ont_id}"),
        }]
    }

    fn find_by_sn_command(&self, sn: &str) -> Line {
        config(format!("show gpon onu by sn {}", cli_sn(sn)))
    }

    /// `SearchResult`, a rule, then `gpon-onu_1/2/1:5`; the header alone is
    /// "not here".
    fn parse_find_by_sn(&self, out: &str) -> Result<Option<(Fsp, u32)>, GponParseError> {
        let all = lines(out);
        if let Some(hit) = all
            .iter()
            .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find_map(|w| parse_onu_if(&w).filter(|_| w.contains("onu")))
        {
            return Ok(Some(hit));
        }
        if all
            .iter()
            .any(|l| l.to_ascii_lowercase().contains("searchresult"))
        {
            return Ok(None);
        }
        Err(structure("no `SearchResult` in the output"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Fsp = Fsp::new(1, 2, 1);

    fn crlf(s: &str) -> String {
        s.replace('\n', "\r\n")
    }

    fn plan(native_vlan: bool) -> RegistrationPlan {
        RegistrationPlan {
            fsp: P,
            sn: "5A544547C0A1B2C3".into(),
            description: "Lenina 5 kv 12".into(),
            line_profile_id: 0,
            service_profile_id: 0,
            vlan: 100,
            gemport: 1,
            native_vlan,
            from_autofind: true,
            onu_type: "ZTE-F601".into(),
        }
    }

    #[test]
    fn interface_names_in_both_spellings() {
        assert_eq!(olt_if(P), "gpon-olt_1/2/1");
        assert_eq!(onu_if(P, 5), "gpon-onu_1/2/1:5");
        for t in ["gpon-onu_1/2/1:5", "gpon_onu-1/2/1:5", "1/2/1:5"] {
            assert_eq!(parse_onu_if(t), Some((P, 5)), "{t}");
        }
        assert_eq!(parse_olt_if("gpon-olt_1/2/1"), Some(P));
        assert_eq!(parse_onu_if("gpon-olt_1/2/1"), None);
    }

    #[test]
    fn cards_with_absent_real_types() {
        let out = "\
Rack Shelf Slot CfgType RealType Port  HardVer SoftVer         Status
-------------------------------------------------------------------------------
1    1     1    GTGO    GTGOG    8     V1.0.0  V2.1.0          INSERVICE
1    1     2    GTGH    GTGHK    16    V1.0.0  V2.1.0          INSERVICE
1    1     3    SMXA    SMXA     3     V1.0.0  V2.1.0          INSERVICE
1    1     4    SMXA             3                             OFFLINE
1    1     5    GTGH             16                            OFFLINE
";
        assert_eq!(ZTE.boards_command().text, "show card");
        let b = ZTE.parse_boards(&crlf(out)).unwrap();
        let got: Vec<(u8, &str, &str, u8)> = b
            .iter()
            .map(|b| (b.slot, b.name.as_str(), b.status.as_str(), b.gpon_ports))
            .collect();
        assert_eq!(
            got,
            [
                (1, "GTGOG", "INSERVICE", 8),
                (2, "GTGHK", "INSERVICE", 16),
                (3, "SMXA", "INSERVICE", 0),
                (4, "SMXA", "OFFLINE", 0),
                (5, "GTGH", "OFFLINE", 16),
            ]
        );
        assert!(ZTE.parse_boards("%Error 20209: x\n").is_err());
    }

    const STATE: &str = "\
OnuIndex               Admin State  OMCC State   O7 State     Phase State
----------------------------------------------------------------------------
gpon-onu_1/2/1:1       enable       enable       operation    working
gpon-onu_1/2/1:3       enable       disable      unknown      LOS
gpon-onu_1/2/1:8       disable      disable      unknown      DyingGasp
gpon-onu_1/2/1:9       enable       disable      unknown      OffLine
ONU Number: 4/4
";

    const BASEINFO: &str = "\
OnuIndex                 Type          Mode        AuthInfo          State
------------------------------------------------------------------------------
gpon-onu_1/2/1:1         ZTE-F601      sn          SN:ZTEGC0A1B2C3   ready
gpon-onu_1/2/1:3         HG8310M       sn          SN:HWTC11E70E9A   ready
gpon-onu_1/2/1:8         ZTE-F601      sn          SN:ZTEGC0A1B2C4   ready
gpon-onu_1/2/1:9         ZTE-F660      sn          SN:ZTEGD77D5808   unknown
";

    #[test]
    fn the_list_joins_states_with_base_info() {
        let cmds = ZTE.ont_list_commands(P);
        let texts: Vec<&str> = cmds.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "show gpon onu state gpon-olt_1/2/1",
                "show gpon onu baseinfo gpon-olt_1/2/1"
            ]
        );
        let rows = ZTE
            .parse_ont_list(P, &[crlf(STATE), crlf(BASEINFO)])
            .unwrap();
        let got: Vec<(u32, &str, &str, RunState, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.ont_id,
                    r.sn.as_str(),
                    r.control.as_str(),
                    r.run,
                    r.config_state.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "5A544547C0A1B2C3", "active", RunState::Online, "ready"),
                (3, "4857544311E70E9A", "active", RunState::Offline, "ready"),
                (
                    8,
                    "5A544547C0A1B2C4",
                    "deactivated",
                    RunState::Offline,
                    "ready"
                ),
                (
                    9,
                    "5A544547D77D5808",
                    "active",
                    RunState::Offline,
                    "unknown"
                ),
            ]
        );
        // An older layout without the O7 column, paged.
        let old = "OnuIndex    Admin State  OMCC State  Phase State  Channel\n\
                   gpon-onu_1/2/1:1  enable  enable  working  1(GPON)\n \
                   --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\
                   gpon-onu_1/2/1:3  enable  disable  LOS  1(GPON)\n";
        let rows = ZTE
            .parse_ont_list(P, &[old.to_string(), BASEINFO.to_string()])
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| (r.ont_id, r.run)).collect::<Vec<_>>(),
            [(1, RunState::Online), (3, RunState::Offline)]
        );
        assert!(matches!(
            ZTE.parse_ont_list(P, &[STATE.to_string(), String::new()]),
            Err(GponParseError::Structure(_))
        ));
        assert!(ZTE.parse_ont_list(P, &[STATE.to_string()]).is_err());
        assert!(ZTE.failure_means_none("%Code 32310-GPONSRV : No related information to show."));
    }

    #[test]
    fn port_rx_feeds_summary_and_port_optics() {
        let out = "\
Onu                 Rx power
------------------------------------
gpon-onu_1/2/1:1    -16.676(dbm)
gpon-onu_1/2/1:3    N/A
gpon-onu_1/2/1:5    -26.198(dbm)
";
        assert_eq!(
            ZTE.summary_command(P).text,
            "show pon power onu-rx gpon-olt_1/2/1"
        );
        let s = ZTE.parse_summary(P, &crlf(out)).unwrap();
        assert_eq!(
            s.iter().map(|r| (r.ont_id, r.rx_dbm)).collect::<Vec<_>>(),
            [(1, Some(-16.676)), (3, None), (5, Some(-26.198))]
        );
        let o = ZTE.parse_port_optics(out).unwrap();
        assert_eq!((o[2].ont_id, o[2].optics.rx_dbm), (5, Some(-26.198)));
        assert!(ZTE.parse_summary(P, "").is_err());
    }

    #[test]
    fn detail_with_history() {
        let out = "\
ONU interface:         gpon-onu_1/2/1:1
  Name:                Client_1
  Type:                ZTE-F601
  State:               ready
  Admin state:         enable
  Phase state:         working
  Authentication mode: sn
  SN Bind:             enable with SN check
  Serial number:       ZTEGC0A1B2C3
  Password:
  Device ID:
  Description:         Lenina 5 kv 12
  Vport mode:          gemport
  DBA Mode:            Hybrid
  ONU Status:          enable
  Line Profile:        N/A
  Service Profile:     N/A
  ONU Distance:        3703m
  Online Duration:     34h 45m 21s
  FEC:                 none
------------------------------------------
       Authpass Time          OfflineTime             Cause
   1   2024-09-05 14:04:42    2024-09-07 02:11:09     DyingGasp
   2   2024-09-07 08:30:00    0000-00-00 00:00:00
   3   0000-00-00 00:00:00    0000-00-00 00:00:00
";
        assert_eq!(
            ZTE.detail_command(P, 1).text,
            "show gpon onu detail-info gpon-onu_1/2/1:1"
        );
        let d = ZTE.parse_detail(&crlf(out)).unwrap();
        assert_eq!(d.sn, "5A544547C0A1B2C3");
        assert_eq!(d.run, Some(RunState::Online));
        assert_eq!(d.description.as_deref(), Some("Lenina 5 kv 12"));
        assert_eq!(d.distance_m, Some(3703));
        assert_eq!(d.online_duration.as_deref(), Some("34h 45m 21s"));
        assert_eq!(d.equipment_id.as_deref(), Some("ZTE-F601"));
        assert_eq!(d.last_up.as_deref(), Some("2024-09-07 08:30:00"));
        assert_eq!(d.last_down.as_deref(), Some("2024-09-07 02:11:09"));
        assert_eq!(d.last_down_cause.as_deref(), Some("DyingGasp"));
        assert!(d.fields.iter().any(|(k, v)| k == "Name" && v == "Client_1"));
        assert!(matches!(
            ZTE.parse_detail("ONU interface: gpon-onu_1/2/1:1\n"),
            Err(GponParseError::Structure(_))
        ));
    }

    #[test]
    fn attenuation_up_and_down_and_an_onu_that_is_down() {
        let out = "\
           OLT                  ONU              Attenuation
--------------------------------------------------------------------------
 up      Rx :-20.241(dbm)      Tx:2.423(dbm)        22.664(dB)

 down    Tx :5.369(dbm)        Rx:-16.676(dbm)      22.045(dB)
";
        assert_eq!(
            ZTE.optics_command(P, 1).text,
            "show pon power attenuation gpon-onu_1/2/1:1"
        );
        assert_eq!(
            ZTE.parse_optics(&crlf(out)).unwrap(),
            Optics {
                rx_dbm: Some(-16.676),
                tx_dbm: Some(2.423),
                olt_rx_dbm: Some(-20.241),
                ..Optics::default()
            }
        );
        let down = out
            .replace("-20.241(dbm)", "N/A")
            .replace("2.423(dbm)", "N/A")
            .replace("-16.676(dbm)", "N/A");
        assert_eq!(
            ZTE.parse_optics(&down).unwrap(),
            Optics::default(),
            "no readings, not an error"
        );
        assert!(ZTE.parse_optics("           OLT    ONU\n").is_err());
    }

    #[test]
    fn unconfigured_onus_in_both_layouts() {
        assert_eq!(ZTE.autofind_command().text, "show gpon onu uncfg");
        let v1 = "\
OnuIndex                 Sn                  State
---------------------------------------------------------------------
gpon-onu_1/2/1:1         ZTEGC0A1B2C3        unknown
gpon-onu_1/3/7:1         HWTC11E70E9A        unknown
";
        let a = ZTE.parse_autofind(&crlf(v1)).unwrap();
        assert_eq!(
            a[0],
            Autofind {
                fsp: P,
                sn: "5A544547C0A1B2C3".into(),
                vendor_sn: "ZTEG-C0A1B2C3".into(),
                equipment_id: None,
                version: None,
                software_version: None,
                found_at: None,
            }
        );
        assert_eq!(
            (a[1].fsp, a[1].sn.as_str()),
            (Fsp::new(1, 3, 7), "4857544311E70E9A")
        );
        let v2 = "\
OltIndex            Model                SN                PW
------------------------------------------------------------------------
gpon-olt_1/2/1      F660                 ZTEGC0A1B2C3      N/A
";
        let a = ZTE.parse_autofind(v2).unwrap();
        assert_eq!((a[0].fsp, a[0].equipment_id.as_deref()), (P, Some("F660")));
        assert!(ZTE.parse_autofind("").is_err());
        assert!(ZTE.failure_means_none("%Code 32310-GPONSRV : No related information to show."));
    }

    #[test]
    fn service_ports_from_the_running_config_of_one_onu_and_of_all() {
        assert_eq!(
            ZTE.service_ports_of_command(P, 1).text,
            "show running-config interface gpon-onu_1/2/1:1"
        );
        let one = "\
Building configuration...
!
interface gpon-onu_1/2/1:1
  name Client
  tcont 1 profile UPTO-75M
  tcont 2 profile UP-1M
  gemport 1 name internet unicast tcont 1 dir both
  gemport 2 name mgmt unicast tcont 2 dir both
  switchport mode hybrid vport 2
  switchport mode hybrid vport 1
  service-port 1 vport 1 user-vlan 100 vlan 100
  service-port 2 vport 2 user-vlan 88 vlan 1088
!
end
";
        let sp = ZTE.parse_service_ports(&crlf(one)).unwrap();
        assert_eq!(
            sp,
            vec![
                ServicePort {
                    index: 1,
                    vlan: 100,
                    fsp: P,
                    ont_id: 1,
                    gemport: 1,
                    state: String::new(),
                },
                ServicePort {
                    index: 2,
                    vlan: 1088,
                    fsp: P,
                    ont_id: 1,
                    gemport: 2,
                    state: String::new(),
                },
            ]
        );
        let all = "\
interface gpon-olt_1/2/1
  onu 1 type ZTE-F601 sn ZTEGC0A1B2C3
!
interface gpon-onu_1/2/1:1
  service-port 1 vport 1 user-vlan 100 vlan 100
!
interface gpon-onu_1/2/2:7
  service-port 1 vport 1 user-vlan 200 vlan 200
!
";
        let sp = ZTE.parse_service_ports(all).unwrap();
        assert_eq!(
            sp.iter()
                .map(|s| (s.fsp, s.ont_id, s.vlan))
                .collect::<Vec<_>>(),
            [(P, 1, 100), (Fsp::new(1, 2, 2), 7, 200)]
        );
        assert!(ZTE.parse_service_ports("").is_err());
    }

    #[test]
    fn macs_of_an_onu() {
        assert_eq!(
            ZTE.macs_of_command(P, 1).text,
            "show mac gpon onu gpon-onu_1/2/1:1"
        );
        let out = "\
Total mac address : 2

Mac address      Vlan   Type      Port                         Vc
------------------------------------------------------------------------
8cdc.0294.a5cd   88     Dynamic   gpon-onu_1/2/1:1          vport 2
0011.2233.4455   100    Dynamic   gpon-onu_1/2/1:1          vport 1
";
        let m = ZTE.parse_macs(&crlf(out)).unwrap();
        assert_eq!(
            m[0],
            OntMac {
                mac: "8c:dc:02:94:a5:cd".into(),
                vlan: 88,
                fsp: P,
                ont_id: 1,
                service_port: None,
            }
        );
        assert_eq!(m.len(), 2);
        assert_eq!(ZTE.parse_macs("Total mac address : 0\n"), Ok(vec![]));
        assert!(ZTE.parse_macs("").is_err());
    }

    #[test]
    fn onu_types_as_profiles() {
        assert_eq!(ZTE.line_profiles_command().text, "show onu-type gpon");
        let blocks = "\
ONU type name:          ZTE-F601
PON type:               gpon
Description:            1ETH
Max T-CONT:             8
ONU type name:          ZTE-F660
PON type:               gpon
Description:            4ETH,2POTS,WIFI
";
        let p = ZTE.parse_profiles(&crlf(blocks)).unwrap();
        assert_eq!(
            p.iter()
                .map(|p| (p.id, p.name.as_str()))
                .collect::<Vec<_>>(),
            [(1, "ZTE-F601"), (2, "ZTE-F660")]
        );
        let table = "ONU type               PON type  Description\n\
                     --------------------------------------------\n\
                     ZTE-F601               gpon      1ETH\n";
        assert_eq!(ZTE.parse_profiles(table).unwrap()[0].name, "ZTE-F601");
        assert!(ZTE.parse_profiles("").is_err());
    }

    #[test]
    fn traffic_of_the_port_interface() {
        assert_eq!(
            ZTE.port_traffic_command(P).text,
            "show interface gpon-olt_1/2/1"
        );
        let out = "gpon-olt_1/2/1 is activate,line protocol is up.\n\
                   \x20 Input rate :      125000 Bps        300 pps\n\
                   \x20 Output rate:      250000 Bps        500 pps\n";
        let t = ZTE.parse_traffic(out).unwrap();
        assert_eq!((t.up_kbps, t.down_kbps), (1000.0, 2000.0));
        assert!(ZTE.parse_traffic("gpon-olt_1/2/1 is down\n").is_err());
    }

    #[test]
    fn registration_lines_and_their_modes() {
        let p = plan(true);
        assert_eq!(
            ZTE.add_ont_commands(&p, 6),
            [Line {
                mode: Mode::PortInterface(P),
                text: "onu 6 type ZTE-F601 sn ZTEGC0A1B2C3".into(),
            }]
        );
        assert_eq!(ZTE.parse_added("\r\n", 6), Ok(6));
        assert_eq!(ZTE.parse_added("[Successful]\n", 6), Ok(6));
        assert_eq!(
            ZTE.parse_added("%Error 20209: The ONU has been registered.\n", 6),
            Err(GponParseError::Failure(
                "%Error 20209: The ONU has been registered.".into()
            ))
        );
        assert_eq!(ZTE.next_free_index_command(), None);
        assert!(ZTE.parse_next_free_index("12").is_err());
        let sp = ZTE.service_port_commands(&p, 6, 0);
        assert!(sp.iter().all(|l| l.mode == Mode::OntInterface(P, 6)));
        assert_eq!(
            sp.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            [
                "name Lenina_5_kv_12",
                "description Lenina 5 kv 12",
                "tcont 1 profile default",
                "gemport 1 tcont 1",
                "service-port 1 vport 1 user-vlan 100 vlan 100",
            ]
        );
        assert_eq!(
            ZTE.native_vlan_commands(&p, 6)
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>(),
            [
                "pon-onu-mng gpon-onu_1/2/1:6",
                "vlan port eth_0/1 mode tag vlan 100",
                "exit"
            ]
        );
        assert!(ZTE.native_vlan_commands(&plan(false), 6).is_empty());
        assert_eq!(ZTE.save_command().text, "write");
        assert_eq!(
            ZTE.parse_saved("Building configuration...\r\n..[OK]\r\n"),
            Ok(())
        );
        assert!(ZTE.parse_saved("Building configuration...\n").is_err());
        let port = ServicePort {
            index: 1,
            vlan: 100,
            fsp: P,
            ont_id: 6,
            gemport: 1,
            state: String::new(),
        };
        assert_eq!(
            ZTE.undo_service_port_command(&port),
            Line {
                mode: Mode::OntInterface(P, 6),
                text: "no service-port 1".into()
            }
        );
        assert_eq!(
            ZTE.delete_ont_commands(P, 6),
            [Line {
                mode: Mode::PortInterface(P),
                text: "no onu 6".into()
            }]
        );
    }

    #[test]
    fn find_by_sn_found_and_not() {
        assert_eq!(
            ZTE.find_by_sn_command("5A544547C0A1B2C3").text,
            "show gpon onu by sn ZTEGC0A1B2C3"
        );
        let hit = "SearchResult\r\n-----------------\r\ngpon-onu_1/2/1:5\r\n";
        assert_eq!(ZTE.parse_find_by_sn(hit), Ok(Some((P, 5))));
        assert_eq!(ZTE.parse_find_by_sn("SearchResult\n------\n"), Ok(None));
        assert!(ZTE.parse_find_by_sn("").is_err());
    }

    #[test]
    fn the_dialect_table_knows_both_olts() {
        use crate::cli::Dialect;
        assert!(crate::gpon::gpon_cli(Dialect::ZteC300).is_some());
        assert!(crate::gpon::gpon_cli(Dialect::HuaweiSmartax).is_some());
        assert!(crate::gpon::gpon_cli(Dialect::CiscoIos).is_none());
        let z = crate::gpon::gpon_cli(Dialect::ZteC300).unwrap();
        assert_eq!(z.save_command().text, "write");
    }
}
