//! Huawei SmartAX (MA5608T, MA5600T/MA5683T, MA5800): GPON commands and
//! parsers. Display commands run in `config` (their global forms); the
//! per-port optics, registration, native VLAN and deletion run in
//! `interface gpon F/S`. Ports are read in every printed form (`0/1/0`,
//! `0/ 1/0`, `0 /1 /0`, `0/1 /0`), tables by their rows' shapes (not fixed
//! columns), single-ONT answers by their keys.

use super::model::*;
use super::read::{
    is_rule, key_form, known, lines, number, refusal, spans, structure, take_fsp, whole, Fields,
};
use crate::cli::normalise_mac;

/// The SmartAX GPON dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmartaxGpon;

fn config(text: String) -> Line {
    Line {
        mode: Mode::Config,
        text,
    }
}

fn port_if(fsp: Fsp, text: String) -> Line {
    Line {
        mode: Mode::PortInterface(fsp),
        text,
    }
}

/// `In port 0/ 1/0 , the total of ONTs are: 2, online: 1` → (port, total, online).
fn port_total(line: &str) -> Option<(Option<Fsp>, u32, u32)> {
    let low = line.to_ascii_lowercase();
    let at = low.find("the total of onts are")?;
    let fsp = low
        .find("in port")
        .and_then(|p| line[p + "in port".len()..at].split(',').next())
        .and_then(|s| s.trim().trim_end_matches(',').trim().parse::<Fsp>().ok());
    let rest = &line[at + "the total of onts are".len()..];
    let mut nums = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap_or(0));
    let total = nums.next()?;
    let online = nums.next().unwrap_or(0);
    Some((fsp, total, online))
}

/// `ONT_NO_DESCRIPTION` (and nothing) is no description.
fn description(s: &str) -> String {
    let t = s.trim();
    if t.eq_ignore_ascii_case("ONT_NO_DESCRIPTION") || t == "-" {
        String::new()
    } else {
        t.to_string()
    }
}

fn run_state(s: &str) -> RunState {
    match s.trim().to_ascii_lowercase().as_str() {
        "online" => RunState::Online,
        "offline" => RunState::Offline,
        _ => RunState::Unknown,
    }
}

/// A printed time: `-` (none), one token (`2024-07-24T10:12:01`) or a date
/// and a time (`2024-07-24 10:12:01+03:00`, `24/07/2024 10:12:01`). The
/// value and how many tokens it took.
fn take_time(tokens: &[&str]) -> (Option<String>, usize) {
    match tokens {
        [] => (None, 0),
        ["-", ..] => (None, 1),
        [date, time, ..]
            if (date.contains('-') || date.contains('/'))
                && date.bytes().any(|b| b.is_ascii_digit())
                && time.contains(':') =>
        {
            (Some(format!("{date} {time}")), 2)
        }
        [one, ..] => (Some(one.to_string()), 1),
    }
}

/// A canonical SN from `4857544311E70E9A (HWTC-11E70E9A)` or a bare SN.
fn sn_of(value: &str) -> Option<String> {
    normalise_sn(value.split_whitespace().next()?)
}

impl SmartaxGpon {
    /// `display ont info F S P all`: the state table joined with the
    /// description table by ONT-ID, checked against the footer's total;
    /// rows of another port than `fsp` are a structure error.
    fn read_list(&self, fsp: Fsp, out: &str) -> Result<Vec<OntRow>, GponParseError> {
        #[derive(PartialEq)]
        enum Part {
            None,
            State,
            Desc,
        }
        let mut part = Part::None;
        let mut rows: Vec<OntRow> = Vec::new();
        let mut descs: Vec<(u32, String)> = Vec::new();
        let mut desc_col: Option<usize> = None;
        let mut total = None;
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if let Some((_, n, _)) = port_total(&line) {
                total = Some(n);
                continue;
            }
            if is_rule(&line) || line.trim().is_empty() {
                desc_col = None;
                continue;
            }
            if low.contains("f/s/p") && low.contains("control") {
                part = Part::State;
                continue;
            }
            if low.contains("f/s/p") && low.contains("description") {
                part = Part::Desc;
                continue;
            }
            let sp = spans(&line);
            let tokens: Vec<&str> = sp.iter().map(|(_, t)| *t).collect();
            let Some((row_fsp, used)) = take_fsp(&tokens) else {
                // A wrapped description goes on under its column.
                if let (Part::Desc, Some(col), Some(last)) = (&part, desc_col, descs.last_mut()) {
                    if line.len() - line.trim_start().len() >= col {
                        last.1.push_str(line.trim());
                    }
                }
                continue;
            };
            let Some(id) = tokens.get(used).and_then(|t| t.parse::<u32>().ok()) else {
                continue;
            };
            match part {
                Part::State => {
                    let sn = tokens
                        .get(used + 1)
                        .and_then(|t| normalise_sn(t))
                        .ok_or_else(|| {
                            structure(format!("ONT {id}: no SN in `{}`", line.trim()))
                        })?;
                    let col = |i: usize| tokens.get(used + 2 + i).map_or("", |t| *t).to_string();
                    rows.push(OntRow {
                        fsp: row_fsp,
                        ont_id: id,
                        sn,
                        control: col(0),
                        run: run_state(&col(1)),
                        config_state: col(2),
                        match_state: col(3),
                        description: String::new(),
                    });
                }
                Part::Desc => {
                    let text = match sp.get(used + 1) {
                        Some(&(at, _)) => {
                            desc_col = Some(at);
                            line[at..].trim().to_string()
                        }
                        None => String::new(),
                    };
                    descs.push((id, text));
                }
                Part::None => {}
            }
        }
        let Some(total) = total else {
            return Err(structure(
                "no `the total of ONTs are` footer (output cut short?)",
            ));
        };
        if part == Part::None {
            return Err(structure("no ONT table header"));
        }
        if let Some(other) = rows.iter().find(|r| r.fsp != fsp) {
            return Err(structure(format!(
                "asked for port {fsp}, the table lists {}",
                other.fsp
            )));
        }
        if rows.len() != total as usize {
            return Err(structure(format!(
                "the footer counts {total} ONTs, the table lists {}",
                rows.len()
            )));
        }
        for row in &mut rows {
            if let Some((_, d)) = descs.iter().find(|(id, _)| *id == row.ont_id) {
                row.description = description(d);
            }
        }
        Ok(rows)
    }
}

impl GponCli for SmartaxGpon {
    fn boards_command(&self) -> Line {
        config("display board 0".into())
    }

    /// `SlotID BoardName Status SubType0 SubType1 Online/Offline`; an empty
    /// slot prints its number alone. GPON boards are `H80xGPxx` (GPBD/GPBH
    /// 8 ports, GPFD/GPHF/GPSF/… 16).
    fn parse_boards(&self, out: &str) -> Result<Vec<Board>, GponParseError> {
        let mut header = false;
        let mut boards = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("slotid") && low.contains("boardname") {
                header = true;
                continue;
            }
            if !header || is_rule(&line) {
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(slot) = t.first().and_then(|s| s.parse::<u8>().ok()) else {
                continue;
            };
            let name = t.get(1).map_or("", |s| *s).to_string();
            let status = t.get(2).map_or("", |s| *s).to_string();
            boards.push(Board {
                slot,
                gpon_ports: smartax_gpon_ports(&name),
                name,
                status,
            });
        }
        if !header {
            return Err(structure("no `SlotID BoardName` header"));
        }
        Ok(boards)
    }

    fn ont_list_commands(&self, fsp: Fsp) -> Vec<Line> {
        vec![config(format!(
            "display ont info {} {} {} all",
            fsp.frame, fsp.slot, fsp.port
        ))]
    }

    fn parse_ont_list(&self, fsp: Fsp, outs: &[String]) -> Result<Vec<OntRow>, GponParseError> {
        let out = outs
            .first()
            .ok_or_else(|| structure("no output for `display ont info … all`"))?;
        self.read_list(fsp, out)
    }

    fn summary_command(&self, fsp: Fsp) -> Line {
        config(format!("display ont info summary {fsp}"))
    }

    /// Two tables joined by ONT-ID: `ONT Run-State Last-UpTime
    /// Last-DownTime Last-DownCause` and `ONT SN Type Distance Rx/Tx-power
    /// Description`, after an `In port …, the total of ONTs are: N` line.
    fn parse_summary(&self, fsp: Fsp, out: &str) -> Result<Vec<OntSummary>, GponParseError> {
        #[derive(PartialEq, Clone, Copy)]
        enum Part {
            None,
            State,
            Optics,
        }
        let mut part = Part::None;
        let mut total = None;
        let mut rows: Vec<OntSummary> = Vec::new();
        let mut seen_optics = 0usize;
        let row_of = |rows: &mut Vec<OntSummary>, id: u32| -> usize {
            if let Some(i) = rows.iter().position(|r| r.ont_id == id) {
                return i;
            }
            rows.push(OntSummary {
                fsp,
                ont_id: id,
                run: RunState::Unknown,
                last_down_cause: None,
                last_up: None,
                last_down: None,
                distance_m: None,
                rx_dbm: None,
                tx_dbm: None,
            });
            rows.len() - 1
        };
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if let Some((_, n, _)) = port_total(&line) {
                total = Some(n);
                continue;
            }
            if is_rule(&line) || line.trim().is_empty() {
                continue;
            }
            if low.contains("ont") && low.contains("run") && low.contains("last") {
                part = Part::State;
                continue;
            }
            if low.contains("ont") && low.contains("sn") && low.contains("type") {
                part = Part::Optics;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(id) = t.first().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            match part {
                Part::State => {
                    let i = row_of(&mut rows, id);
                    let run = run_state(t.get(1).map_or("", |s| *s));
                    let (up, a) = take_time(&t[2.min(t.len())..]);
                    let (down, b) = take_time(&t[(2 + a).min(t.len())..]);
                    let cause = t[(2 + a + b).min(t.len())..].join(" ");
                    let r = &mut rows[i];
                    r.run = run;
                    r.last_up = up;
                    r.last_down = down;
                    r.last_down_cause = known(&cause);
                }
                Part::Optics => {
                    // The power column is the one `x/y` token; the
                    // distance is just before it, the type between the
                    // SN and the distance (it may hold blanks).
                    let Some(p) = t
                        .iter()
                        .skip(2)
                        .position(|s| is_power_pair(s))
                        .map(|p| p + 2)
                    else {
                        continue;
                    };
                    seen_optics += 1;
                    let (rx, tx) = t[p].split_once('/').unwrap_or(("-", "-"));
                    let i = row_of(&mut rows, id);
                    let r = &mut rows[i];
                    r.distance_m = whole(t[p - 1]);
                    r.rx_dbm = number(rx);
                    r.tx_dbm = number(tx);
                }
                Part::None => {}
            }
        }
        let Some(total) = total else {
            return Err(structure(
                "no `the total of ONTs are` line (output cut short?)",
            ));
        };
        if part == Part::None && total > 0 {
            return Err(structure("no summary table header"));
        }
        if rows.len() != total as usize || (total > 0 && seen_optics == 0) {
            return Err(structure(format!(
                "the summary counts {total} ONTs, the tables list {} ({seen_optics} with optics)",
                rows.len()
            )));
        }
        Ok(rows)
    }

    fn port_optics_command(&self, fsp: Fsp) -> Option<Line> {
        Some(port_if(
            fsp,
            format!("display ont optical-info {} all", fsp.port),
        ))
    }

    /// `ONT Rx-power Tx-power OLT-Rx-ONT-power Temperature Voltage Current
    /// Distance`, the value columns in the header's order.
    fn parse_port_optics(&self, out: &str) -> Result<Vec<PortOptics>, GponParseError> {
        #[derive(Clone, Copy)]
        enum C {
            Rx,
            Tx,
            OltRx,
            Temp,
            Volt,
            Bias,
            Other,
        }
        let mut cols: Option<Vec<C>> = None;
        let mut rows = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if cols.is_none() && low.contains("rx") && low.contains("tx") && low.contains("ont") {
                let mut found: Vec<(usize, C)> = [
                    ("olt rx", C::OltRx),
                    ("temperature", C::Temp),
                    ("voltage", C::Volt),
                    ("current", C::Bias),
                    ("bias", C::Bias),
                    ("distance", C::Other),
                ]
                .iter()
                .filter_map(|(name, c)| low.find(name).map(|at| (at, *c)))
                .collect();
                // The ONT's own Rx and Tx: the first `rx`/`tx` not part of `olt rx`.
                let olt = low.find("olt rx");
                for (name, c) in [("rx", C::Rx), ("tx", C::Tx)] {
                    if let Some(at) = low
                        .match_indices(name)
                        .map(|(i, _)| i)
                        .find(|i| olt.is_none_or(|o| *i != o + 4))
                    {
                        found.push((at, c));
                    }
                }
                found.sort_by_key(|(at, _)| *at);
                cols = Some(found.into_iter().map(|(_, c)| c).collect());
                continue;
            }
            let Some(cols) = &cols else { continue };
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(id) = t.first().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let mut o = Optics::default();
            for (c, v) in cols.iter().zip(t.iter().skip(1)) {
                let v = number(v);
                match c {
                    C::Rx => o.rx_dbm = v,
                    C::Tx => o.tx_dbm = v,
                    C::OltRx => o.olt_rx_dbm = v,
                    C::Temp => o.temperature_c = v,
                    C::Volt => o.voltage_v = v,
                    C::Bias => o.bias_ma = v,
                    C::Other => {}
                }
            }
            rows.push(PortOptics {
                ont_id: id,
                optics: o,
            });
        }
        if cols.is_none() {
            return Err(structure("no optical table header"));
        }
        Ok(rows)
    }

    fn detail_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!(
            "display ont info {} {} {} {ont_id}",
            fsp.frame, fsp.slot, fsp.port
        ))
    }

    fn parse_detail(&self, out: &str) -> Result<OntDetail, GponParseError> {
        let f = Fields::read(out);
        let sn = f
            .get(&["sn"])
            .and_then(sn_of)
            .ok_or_else(|| structure("no `SN :` line"))?;
        if f.get(&["run state"]).is_none() {
            return Err(structure("no `Run state :` line"));
        }
        Ok(OntDetail {
            sn,
            run: f.get(&["run state"]).map(run_state),
            config_state: f.known(&["config state"]),
            match_state: f.known(&["match state"]),
            description: f.get(&["description"]).map(description),
            last_down_cause: f.known(&["last down cause"]),
            last_up: f.known(&["last up time"]),
            last_down: f.known(&["last down time"]),
            online_duration: f.known(&["ont online duration", "online duration"]),
            distance_m: f.get(&["ont distance", "distance"]).and_then(whole),
            temperature_c: f.get(&["temperature"]).and_then(number),
            equipment_id: f.known(&["equipment-id", "equipment id", "equipmentid"]),
            version: f.known(&["version", "ont version"]),
            software_version: f.known(&["main software version", "software version"]),
            line_profile_id: f.get(&["line profile id"]).and_then(whole),
            service_profile_id: f.get(&["service profile id"]).and_then(whole),
            fields: f.0,
        })
    }

    fn optics_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        port_if(
            fsp,
            format!("display ont optical-info {} {ont_id}", fsp.port),
        )
    }

    fn parse_optics(&self, out: &str) -> Result<Optics, GponParseError> {
        let f = Fields::read(out);
        let rx = f.get(&["rx optical power", "ont rx optical power"]);
        let tx = f.get(&["tx optical power", "ont tx optical power"]);
        if rx.is_none() && tx.is_none() {
            return Err(structure(
                "no `Rx optical power` / `Tx optical power` lines",
            ));
        }
        Ok(Optics {
            rx_dbm: rx.and_then(number),
            tx_dbm: tx.and_then(number),
            olt_rx_dbm: f
                .get(&["olt rx ont optical power", "olt rx optical power"])
                .and_then(number),
            bias_ma: f.get(&["laser bias current"]).and_then(number),
            temperature_c: f.get(&["temperature"]).and_then(number),
            voltage_v: f.get(&["voltage"]).and_then(number),
        })
    }

    fn autofind_command(&self) -> Line {
        config("display ont autofind all".into())
    }

    /// Blocks of `key : value` lines, one per ONT (each opens with
    /// `Number`), then `The number of GPON autofind ONT is N`.
    fn parse_autofind(&self, out: &str) -> Result<Vec<Autofind>, GponParseError> {
        let mut total = None;
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if let Some(at) = low.find("autofind ont is") {
                total = whole(line[at + "autofind ont is".len()..].trim());
            }
        }
        let Some(total) = total else {
            return Err(structure(
                "no `The number of GPON autofind ONT is` line (output cut short?)",
            ));
        };
        let mut found: Vec<Autofind> = Vec::new();
        let mut fsp: Option<Fsp> = None;
        let mut cur: Option<Autofind> = None;
        let flush = |cur: &mut Option<Autofind>, found: &mut Vec<Autofind>| {
            if let Some(a) = cur.take() {
                found.push(a);
            }
        };
        for (key, value) in Fields::read(out).0 {
            match key_form(&key).as_str() {
                "number" => {
                    flush(&mut cur, &mut found);
                    fsp = None;
                }
                "f/s/p" => fsp = value.parse().ok(),
                "ont sn" | "sn" => {
                    flush(&mut cur, &mut found);
                    let (Some(sn), Some(port)) = (sn_of(&value), fsp) else {
                        return Err(structure(format!(
                            "autofind entry without port or SN: {value}"
                        )));
                    };
                    cur = Some(Autofind {
                        fsp: port,
                        vendor_sn: vendor_sn(&sn),
                        sn,
                        equipment_id: None,
                        version: None,
                        software_version: None,
                        found_at: None,
                    });
                }
                k => {
                    if let Some(a) = cur.as_mut() {
                        let v = known(&value);
                        match k {
                            "ont version" | "ontversion" => a.version = v,
                            "ont softwareversion" | "ont software version" => {
                                a.software_version = v
                            }
                            "ont equipmentid" | "ont equipment id" => a.equipment_id = v,
                            "ont autofind time" => a.found_at = v,
                            _ => {}
                        }
                    }
                }
            }
        }
        flush(&mut cur, &mut found);
        if found.len() != total as usize {
            return Err(structure(format!(
                "autofind counts {total} ONTs, the blocks hold {}",
                found.len()
            )));
        }
        Ok(found)
    }

    fn service_ports_command(&self) -> Line {
        config("display service-port all".into())
    }

    fn service_ports_of_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!("display service-port port {fsp} ont {ont_id}"))
    }

    /// `INDEX VLAN-ID VLAN-ATTR PORT-TYPE F/S/P VPI VCI FLOW-TYPE FLOW-PARA
    /// RX TX STATE`, GPON rows only (VPI = ONT-ID, VCI = GEM index).
    fn parse_service_ports(&self, out: &str) -> Result<Vec<ServicePort>, GponParseError> {
        let mut header = false;
        let mut ports = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("index") && low.contains("vlan") && low.contains("state") {
                header = true;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 8 {
                continue;
            }
            let (Ok(index), Ok(vlan)) = (t[0].parse::<u32>(), t[1].parse::<u16>()) else {
                continue;
            };
            let Some(kind) = t.iter().position(|s| s.eq_ignore_ascii_case("gpon")) else {
                continue;
            };
            let Some((fsp, used)) = take_fsp(&t[kind + 1..]) else {
                continue;
            };
            let at = kind + 1 + used;
            let (Some(ont_id), Some(gemport)) = (
                t.get(at).and_then(|s| s.parse::<u32>().ok()),
                t.get(at + 1).and_then(|s| s.parse::<u32>().ok()),
            ) else {
                continue;
            };
            header = true;
            ports.push(ServicePort {
                index,
                vlan,
                fsp,
                ont_id,
                gemport,
                state: t.last().map_or("", |s| *s).to_string(),
            });
        }
        if !header {
            return Err(structure("no service-port table header"));
        }
        Ok(ports)
    }

    fn macs_command(&self) -> Line {
        config("display mac-address all".into())
    }

    fn macs_of_command(&self, fsp: Fsp, ont_id: u32) -> Line {
        config(format!("display mac-address ont {fsp} {ont_id}"))
    }

    /// `SRV-P-INDEX BUNDLE-INDEX TYPE MAC MAC-TYPE F/S/P VPI VCI VLAN-ID`
    /// (after `It will take some time, please wait...`), then `Total: N`.
    fn parse_macs(&self, out: &str) -> Result<Vec<OntMac>, GponParseError> {
        let mut table = false;
        let mut macs: Vec<OntMac> = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if (low.contains("mac type") && low.contains("vlan")) || low.trim().starts_with("total")
            {
                table = true;
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some((at, mac)) = t
                .iter()
                .enumerate()
                .find_map(|(i, s)| normalise_mac(s).map(|m| (i, m)))
            else {
                continue;
            };
            let Some((fsp, used)) = take_fsp(&t[(at + 2).min(t.len())..]) else {
                continue;
            };
            let rest = &t[at + 2 + used..];
            let (Some(ont_id), Some(vlan)) = (
                rest.first().and_then(|s| s.parse::<u32>().ok()),
                rest.last().and_then(|s| s.parse::<u16>().ok()),
            ) else {
                continue;
            };
            table = true;
            let row = OntMac {
                mac,
                vlan,
                fsp,
                ont_id,
                service_port: t.first().and_then(|s| s.parse().ok()),
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
        config("display ont-lineprofile gpon all".into())
    }

    fn service_profiles_command(&self) -> Line {
        config("display ont-srvprofile gpon all".into())
    }

    /// `Profile-ID Profile-name Binding-times` rows.
    fn parse_profiles(&self, out: &str) -> Result<Vec<OltProfile>, GponParseError> {
        let mut header = false;
        let mut profiles = Vec::new();
        for line in lines(out) {
            let low = line.to_ascii_lowercase();
            if low.contains("profile-id") && low.contains("profile-name") {
                header = true;
                continue;
            }
            if !header {
                continue;
            }
            let t: Vec<&str> = line.split_whitespace().collect();
            let Some(id) = t.first().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let end = if t.len() >= 3 && t[t.len() - 1].parse::<u32>().is_ok() {
                t.len() - 1
            } else {
                t.len()
            };
            profiles.push(OltProfile {
                id,
                name: t[1.min(end)..end].join(" "),
            });
        }
        if !header {
            return Err(structure("no `Profile-ID Profile-name` header"));
        }
        Ok(profiles)
    }

    fn port_traffic_command(&self, fsp: Fsp) -> Line {
        port_if(fsp, format!("display port traffic {}", fsp.port))
    }

    fn parse_traffic(&self, out: &str) -> Result<Traffic, GponParseError> {
        traffic_of(&Fields::read(out))
    }

    fn failure_means_none(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        [
            "the automatically found onts do not exist",
            "there is no ont available",
            "the required ont does not exist",
            "the ont does not exist",
            "no service virtual port can be operated",
            "there is not any mac address record",
        ]
        .iter()
        .any(|s| m.contains(s))
    }

    fn add_ont_commands(&self, plan: &RegistrationPlan, _free_id: u32) -> Vec<Line> {
        let verb = if plan.from_autofind { "confirm" } else { "add" };
        vec![port_if(
            plan.fsp,
            format!(
                "ont {verb} {} sn-auth {} omci ont-lineprofile-id {} ont-srvprofile-id {} desc \"{}\"",
                plan.fsp.port,
                plan.sn,
                plan.line_profile_id,
                plan.service_profile_id,
                plan.description
            ),
        )]
    }

    /// `Number of ONTs that can be added: 1, success: 1` and `PortID :0,
    /// ONTID :5` (spacing varies: `ONTID: 5`, `ONT ID : 5`).
    fn parse_added(&self, out: &str, _free_id: u32) -> Result<u32, GponParseError> {
        if let Some(r) = refusal(out) {
            return Err(GponParseError::Failure(r));
        }
        for line in lines(out) {
            let compact: String = line
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if let Some(at) = compact.find("success:") {
                if whole(&compact[at + "success:".len()..]) == Some(0) {
                    return Err(GponParseError::Failure(line.trim().to_string()));
                }
            }
            if let Some(at) = compact.find("ontid:") {
                if let Some(id) = whole(&compact[at + "ontid:".len()..]) {
                    return Ok(id);
                }
            }
        }
        Err(structure("no `ONTID :N` in the answer"))
    }

    fn next_free_index_command(&self) -> Option<Line> {
        Some(config("display service-port next-free-index".into()))
    }

    fn parse_next_free_index(&self, out: &str) -> Result<u32, GponParseError> {
        lines(out)
            .iter()
            .find_map(|l| {
                let low = l.to_ascii_lowercase();
                low.contains("free service virtual port id")
                    .then(|| l.rsplit_once(':').and_then(|(_, n)| whole(n.trim())))
                    .flatten()
            })
            .ok_or_else(|| structure("no `Next valid free service virtual port ID:` line"))
    }

    fn service_port_commands(&self, plan: &RegistrationPlan, ont_id: u32, index: u32) -> Vec<Line> {
        vec![config(format!(
            "service-port {index} vlan {v} gpon {} ont {ont_id} gemport {} multi-service user-vlan {v} tag-transform translate",
            plan.fsp,
            plan.gemport,
            v = plan.vlan
        ))]
    }

    fn native_vlan_commands(&self, plan: &RegistrationPlan, ont_id: u32) -> Vec<Line> {
        if !plan.native_vlan {
            return Vec::new();
        }
        vec![port_if(
            plan.fsp,
            format!(
                "ont port native-vlan {} {ont_id} eth 1 vlan {} priority 0",
                plan.fsp.port, plan.vlan
            ),
        )]
    }

    fn save_command(&self) -> Line {
        config("save".into())
    }

    /// `Configuration file has been saved`, or what firmware prints while
    /// it saves (`It will take several minutes to save configuration file,
    /// please wait...`, `… had been saved successfully`).
    fn parse_saved(&self, out: &str) -> Result<(), GponParseError> {
        if let Some(r) = refusal(out) {
            return Err(GponParseError::Failure(r));
        }
        let low = out.to_ascii_lowercase();
        let ok = [
            "has been saved",
            "had been saved",
            "saved successfully",
            "to save configuration file",
            "save configuration successfully",
        ]
        .iter()
        .any(|s| low.contains(s));
        if ok {
            Ok(())
        } else {
            Err(structure("`save` did not say it saved"))
        }
    }

    fn undo_service_port_command(&self, port: &ServicePort) -> Line {
        config(format!("undo service-port {}", port.index))
    }

    fn delete_ont_commands(&self, fsp: Fsp, ont_id: u32) -> Vec<Line> {
        vec![port_if(fsp, format!("ont delete {} {ont_id}", fsp.port))]
    }

    fn find_by_sn_command(&self, sn: &str) -> Line {
        let sn = normalise_sn(sn).unwrap_or_else(|| sn.trim().to_string());
        config(format!("display ont info by-sn {sn}"))
    }

    fn parse_find_by_sn(&self, out: &str) -> Result<Option<(Fsp, u32)>, GponParseError> {
        let f = Fields::read(out);
        let fsp = f.get(&["f/s/p"]).and_then(|v| v.parse::<Fsp>().ok());
        let id = f.get(&["ont-id", "ont id", "ontid"]).and_then(whole);
        match (fsp, id) {
            (Some(fsp), Some(id)) => Ok(Some((fsp, id))),
            _ => Err(structure("no `F/S/P` and `ONT-ID` lines")),
        }
    }
}

/// `-19.26/2.07`, `-/-`: the summary's Rx/Tx column.
fn is_power_pair(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        let ok = |x: &str| x == "-" || number(x).is_some() && x.parse::<f64>().is_ok();
        ok(a) && ok(b)
    })
}

/// GPON ports of a SmartAX board by its name: `H80xGPBD`/`GPBH` 8,
/// other `GP..` boards (GPFD, GPHF, GPSF, GPLF, …) 16; others none.
fn smartax_gpon_ports(name: &str) -> u8 {
    let n = name.to_ascii_uppercase();
    let Some(at) = n.find("GP") else { return 0 };
    if !n.starts_with('H') {
        return 0;
    }
    match &n[at + 2..] {
        "BD" | "BH" | "BC" => 8,
        _ => 16,
    }
}

/// Up and down rates from key/value lines: `Up traffic (kbps) : 4`,
/// `Down traffic (kbps) : 2`; a key in bit/s or Mbit/s is converted.
pub(crate) fn traffic_of(f: &Fields) -> Result<Traffic, GponParseError> {
    let mut up = None;
    let mut down = None;
    for (key, value) in &f.0 {
        let low = key.to_ascii_lowercase();
        if !low.contains("traffic") && !low.contains("rate") {
            continue;
        }
        let Some(v) = number(value) else { continue };
        let kbps = if low.contains("mbps") || low.contains("mbit") {
            v * 1000.0
        } else if low.contains("(bps)") || low.contains("bit/s") && !low.contains("kbit") {
            v / 1000.0
        } else {
            v
        };
        if low.starts_with("up") || low.contains("upstream") {
            up.get_or_insert(kbps);
        } else if low.starts_with("down") || low.contains("downstream") {
            down.get_or_insert(kbps);
        }
    }
    match (up, down) {
        (Some(up_kbps), Some(down_kbps)) => Ok(Traffic { up_kbps, down_kbps }),
        _ => Err(structure("no `Up traffic` / `Down traffic` lines")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AX: SmartaxGpon = SmartaxGpon;
    const P: Fsp = Fsp::new(0, 1, 0);

    fn crlf(s: &str) -> String {
        s.replace('\n', "\r\n")
    }

    fn plan(from_autofind: bool, native_vlan: bool) -> RegistrationPlan {
        RegistrationPlan {
            fsp: P,
            sn: "4857544311E70E9A".into(),
            description: "Zelenaya_1/46".into(),
            line_profile_id: 10,
            service_profile_id: 20,
            vlan: 100,
            gemport: 1,
            native_vlan,
            from_autofind,
            onu_type: String::new(),
        }
    }

    #[test]
    fn boards_of_an_ma5608t_and_an_ma5800() {
        let ma5608t = "\
  -------------------------------------------------------------------------
  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline
  -------------------------------------------------------------------------
  0       H807GPBH   Normal
  1       H805GPFD   Normal
  2       H801MCUD1  Active_normal   CPCF
  3
  4       H801MPWD   Normal
  -------------------------------------------------------------------------
";
        let b = AX.parse_boards(&crlf(ma5608t)).unwrap();
        let got: Vec<(u8, &str, &str, u8)> = b
            .iter()
            .map(|b| (b.slot, b.name.as_str(), b.status.as_str(), b.gpon_ports))
            .collect();
        assert_eq!(
            got,
            [
                (0, "H807GPBH", "Normal", 8),
                (1, "H805GPFD", "Normal", 16),
                (2, "H801MCUD1", "Active_normal", 0),
                (3, "", "", 0),
                (4, "H801MPWD", "Normal", 0),
            ]
        );
        let ma5800 = "  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline\n\
                      \x20 1       H901GPHF   Normal\n  9       H901MPLA   Active_normal\n";
        let b = AX.parse_boards(ma5800).unwrap();
        assert_eq!((b[0].name.as_str(), b[0].gpon_ports), ("H901GPHF", 16));
        assert_eq!(AX.boards_command().text, "display board 0");
        assert!(matches!(
            AX.parse_boards("  Failure: nothing\n"),
            Err(GponParseError::Structure(_))
        ));
    }

    const LIST: &str = "\
  -----------------------------------------------------------------------------
  F/S/P   ONT         SN         Control     Run      Config   Match    Protect
          ID                     flag        state    state    state    side
  -----------------------------------------------------------------------------
  0/ 1/0    0  48575443CCB59A20  active      online   normal   match    no
  0/ 1/0    1  4857544311E70E9A  active      offline  initial  initial  no
  0/ 1/0    7  5A544547C0A1B2C3  deactivated offline  -        -        no
  -----------------------------------------------------------------------------
  F/S/P   ONT-ID   Description
  -----------------------------------------------------------------------------
  0/ 1/0       0   Zelenaya_1/46
  0/ 1/0       1   ONT_NO_DESCRIPTION
  0/ 1/0       7   Lenina 5 kv 12
  -----------------------------------------------------------------------------
  In port 0/ 1/0 , the total of ONTs are: 3, online: 1
";

    #[test]
    fn the_ont_list_joins_both_tables_by_ont_id() {
        let cmds = AX.ont_list_commands(P);
        assert_eq!(
            cmds,
            [Line {
                mode: Mode::Config,
                text: "display ont info 0 1 0 all".into()
            }]
        );
        let rows = AX.parse_ont_list(P, &[crlf(LIST)]).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            OntRow {
                fsp: P,
                ont_id: 0,
                sn: "48575443CCB59A20".into(),
                control: "active".into(),
                run: RunState::Online,
                config_state: "normal".into(),
                match_state: "match".into(),
                description: "Zelenaya_1/46".into(),
            }
        );
        assert_eq!(
            (rows[1].run, rows[1].description.as_str()),
            (RunState::Offline, "")
        );
        assert_eq!(rows[2].description, "Lenina 5 kv 12");
        assert_eq!(
            (rows[2].control.as_str(), rows[2].config_state.as_str()),
            ("deactivated", "-")
        );
    }

    #[test]
    fn the_ont_list_reads_through_pager_residue_and_wrapped_descriptions() {
        let paged = LIST.replace(
            "  0/ 1/0    1  4857544311E70E9A",
            "  ---- More ( Press 'Q' to break ) ----\x1b[37D                                     \x1b[37D  0/ 1/0    1  4857544311E70E9A",
        )
        .replace(
            "  0/ 1/0       7   Lenina 5 kv 12\n",
            "  0/ 1/0       7   Dr,Orlando_zone_PRINCIPAL_authd_2\n                   0260818\n",
        );
        let rows = AX.parse_ont_list(P, &[crlf(&paged)]).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].sn, "4857544311E70E9A");
        assert_eq!(
            rows[2].description,
            "Dr,Orlando_zone_PRINCIPAL_authd_20260818"
        );
    }

    #[test]
    fn a_cut_ont_list_is_a_structure_error_never_empty() {
        let cut = &LIST[..LIST.find("  F/S/P   ONT-ID").unwrap()];
        assert!(matches!(
            AX.parse_ont_list(P, &[cut.to_string()]),
            Err(GponParseError::Structure(_))
        ));
        let short = LIST.replace(
            "  0/ 1/0    7  5A544547C0A1B2C3  deactivated offline  -        -        no\n",
            "",
        );
        assert!(matches!(
            AX.parse_ont_list(P, &[short]),
            Err(GponParseError::Structure(m)) if m.contains("3")
        ));
        assert!(AX.parse_ont_list(P, &[]).is_err());
        assert!(matches!(
            AX.parse_ont_list(Fsp::new(0, 1, 1), &[LIST.to_string()]),
            Err(GponParseError::Structure(m)) if m.contains("0/1/1")
        ));
        assert!(AX.failure_means_none("Failure: There is no ONT available"));
    }

    const SUMMARY: &str = "\
  ----------------------------------------------------------------------------
  In port 0/1/0, the total of ONTs are: 3, online: 2
  ----------------------------------------------------------------------------
  ONT  Run     Last                Last                Last
  ID   State   UpTime              DownTime            DownCause
  ----------------------------------------------------------------------------
  0    online  2024-07-24 10:12:01+03:00 2024-07-24 10:10:54+03:00 dying-gasp
  1    offline 2024-07-20 16:41:53 2024-07-21 03:33:12 LOSi/LOBi
  2    online  24/07/2024 04:08:07 -                   -
  ----------------------------------------------------------------------------
  ONT        SN        Type          Distance Rx/Tx power  Description
  ID                                    (m)      (dBm)
  ----------------------------------------------------------------------------
  0   48575443CCB59A20 HG8310M        1382     -19.26/2.07  Zelenaya_1/46
  1   4857544311E70E9A -              -        -/-          ONT_NO_DESCRIPTION
  2   48575443AABBCCDD SmartAX OT928G 260      -23.10/1.98  Lenina 5
  ----------------------------------------------------------------------------
";

    #[test]
    fn the_summary_reads_times_in_both_forms_offline_dashes_and_types_with_blanks() {
        assert_eq!(AX.summary_command(P).text, "display ont info summary 0/1/0");
        let s = AX.parse_summary(P, &crlf(SUMMARY)).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[0],
            OntSummary {
                fsp: P,
                ont_id: 0,
                run: RunState::Online,
                last_down_cause: Some("dying-gasp".into()),
                last_up: Some("2024-07-24 10:12:01+03:00".into()),
                last_down: Some("2024-07-24 10:10:54+03:00".into()),
                distance_m: Some(1382),
                rx_dbm: Some(-19.26),
                tx_dbm: Some(2.07),
            }
        );
        assert_eq!(s[1].run, RunState::Offline);
        assert_eq!(s[1].last_down_cause.as_deref(), Some("LOSi/LOBi"));
        assert_eq!(
            (s[1].distance_m, s[1].rx_dbm, s[1].tx_dbm),
            (None, None, None)
        );
        assert_eq!(s[2].last_up.as_deref(), Some("24/07/2024 04:08:07"));
        assert_eq!(
            (s[2].last_down.as_deref(), s[2].last_down_cause.as_deref()),
            (None, None)
        );
        assert_eq!((s[2].distance_m, s[2].rx_dbm), (Some(260), Some(-23.10)));
        let cut = &SUMMARY[..SUMMARY.find("  ONT        SN").unwrap()];
        assert!(matches!(
            AX.parse_summary(P, cut),
            Err(GponParseError::Structure(_))
        ));
        let no_total = SUMMARY.replace("In port 0/1/0, the total of ONTs are: 3, online: 2", "");
        assert!(matches!(
            AX.parse_summary(P, &no_total),
            Err(GponParseError::Structure(_))
        ));
    }

    #[test]
    fn port_optics_follow_the_header_order_and_offline_rows_read_as_none() {
        let l = AX.port_optics_command(P).unwrap();
        assert_eq!(
            (l.mode, l.text.as_str()),
            (Mode::PortInterface(P), "display ont optical-info 0 all")
        );
        let out = "\
  -----------------------------------------------------------------------------
  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance
  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)
  -----------------------------------------------------------------------------
  0    -19.26    2.07      -21.68      45           3.260    12       1382
  1    -         -         -           -            -        -        -
  -----------------------------------------------------------------------------
";
        let rows = AX.parse_port_optics(&crlf(out)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].optics,
            Optics {
                rx_dbm: Some(-19.26),
                tx_dbm: Some(2.07),
                olt_rx_dbm: Some(-21.68),
                bias_ma: Some(12.0),
                temperature_c: Some(45.0),
                voltage_v: Some(3.26),
            }
        );
        assert_eq!((rows[1].ont_id, rows[1].optics), (1, Optics::default()));
        assert!(AX.parse_port_optics("  Failure: x\n").is_err());
    }

    const DETAIL_MA5608T: &str = "\
  -----------------------------------------------------------------------------
  F/S/P                   : 0/1/0
  ONT-ID                  : 5
  Control flag            : active
  Run state               : online
  Config state            : normal
  Match state             : match
  DBA type                : SR
  ONT distance(m)         : 1382
  ONT battery state       : holding state
  Memory occupation       : 84%
  CPU occupation          : 1%
  Temperature             : 60(C)
  Authentic type          : SN-auth
  SN                      : 485754433EBB9017 (HWTC-3EBB9017)
  Management mode         : OMCI
  Description             : Zelenaya 1/46 podezd 2
  Last down cause         : dying-gasp
  Last up time            : 2024-07-24 10:12:01+03:00
  Last down time          : 2024-07-24 10:10:54+03:00
  Last dying gasp time    : 2024-07-24 10:10:54+03:00
  ONT online duration     : 11 day(s), 11 hour(s), 48 minute(s), 21 second(s)
  -----------------------------------------------------------------------------
  Line profile ID      : 10
  Line profile name    : line-100
  -----------------------------------------------------------------------------
  <T-CONT   0>          DBA Profile-ID:1
  Service profile ID   : 20
  Service profile name : srv-bridge
";

    #[test]
    fn detail_reads_keys_of_both_firmware_layouts() {
        assert_eq!(AX.detail_command(P, 5).text, "display ont info 0 1 0 5");
        let d = AX.parse_detail(&crlf(DETAIL_MA5608T)).unwrap();
        assert_eq!(d.sn, "485754433EBB9017");
        assert_eq!(d.run, Some(RunState::Online));
        assert_eq!(d.description.as_deref(), Some("Zelenaya 1/46 podezd 2"));
        assert_eq!(d.last_down_cause.as_deref(), Some("dying-gasp"));
        assert_eq!(d.last_up.as_deref(), Some("2024-07-24 10:12:01+03:00"));
        assert_eq!(
            d.online_duration.as_deref(),
            Some("11 day(s), 11 hour(s), 48 minute(s), 21 second(s)")
        );
        assert_eq!((d.distance_m, d.temperature_c), (Some(1382), Some(60.0)));
        assert_eq!(
            (d.line_profile_id, d.service_profile_id),
            (Some(10), Some(20))
        );
        assert!(d
            .fields
            .iter()
            .any(|(k, v)| k == "Memory occupation" && v == "84%"));

        // MA5800 (R019): day-first dates, no description, an offline ONT.
        let ma5800 = "\
  F/S/P                    : 0/1/0
  ONT-ID                   : 7
  Control flag             : active
  Run state                : offline
  Config state             : initial
  Match state              : initial
  ONT distance(m)          : -
  Temperature              : -
  SN                       : 4857544311E70E9A (HWTC-11E70E9A)
  Description              : ONT_NO_DESCRIPTION
  Last down cause          : LOSi/LOBi
  Last up time             : 20/07/2024 16:41:53+03:00
  Last down time           : 21/07/2024 03:33:12+03:00
  Last dying gasp time     : -
  ONT online duration      : -
  Type C support           : Not support
  Interoperability-mode    : ITU-T
";
        let d = AX.parse_detail(ma5800).unwrap();
        assert_eq!(
            (d.sn.as_str(), d.run),
            ("4857544311E70E9A", Some(RunState::Offline))
        );
        assert_eq!(d.description.as_deref(), Some(""));
        assert_eq!(d.last_up.as_deref(), Some("20/07/2024 16:41:53+03:00"));
        assert_eq!(
            (d.distance_m, d.temperature_c, d.online_duration),
            (None, None, None)
        );
        assert_eq!(
            d.fields.last().unwrap(),
            &("Interoperability-mode".into(), "ITU-T".into())
        );
        assert!(matches!(
            AX.parse_detail("  F/S/P : 0/1/0\n  ONT-ID : 7\n"),
            Err(GponParseError::Structure(_))
        ));
    }

    #[test]
    fn optics_of_one_ont_ignore_threshold_lines() {
        let l = AX.optics_command(P, 5);
        assert_eq!(
            (l.mode, l.text.as_str()),
            (Mode::PortInterface(P), "display ont optical-info 0 5")
        );
        let out = "\
  -----------------------------------------------------------------------------
  ONU NNI port ID                        : 0
  Module type                            : GPON
  Rx optical power(dBm)                  : -19.26
  Rx power current warning threshold(dBm): [-,-]
  Rx power current alarm threshold(dBm)  : [-29.0,-8.0]
  Tx optical power(dBm)                  : 2.07
  Tx power current alarm threshold(dBm)  : [0.0,6.0]
  Laser bias current(mA)                 : 11
  Temperature(C)                         : 48
  Voltage(V)                             : 3.280
  OLT Rx ONT optical power(dBm)          : -21.68
  -----------------------------------------------------------------------------
";
        assert_eq!(
            AX.parse_optics(&crlf(out)).unwrap(),
            Optics {
                rx_dbm: Some(-19.26),
                tx_dbm: Some(2.07),
                olt_rx_dbm: Some(-21.68),
                bias_ma: Some(11.0),
                temperature_c: Some(48.0),
                voltage_v: Some(3.28),
            }
        );
        assert!(matches!(
            AX.parse_optics("  ONT-ID : 5\n"),
            Err(GponParseError::Structure(_))
        ));
    }

    const AUTOFIND: &str = "\
   ----------------------------------------------------------------------------
   Number              : 1
   F/S/P               : 0/1/0
   Ont SN              : 4857544311E70E9A (HWTC-11E70E9A)
   Password            : 0x00000000000000000000
   Loid                :
   Checkcode           :
   VendorID            : HWTC
   Ont Version         : 10C7.A
   Ont SoftwareVersion : V3R015C10S106
   Ont EquipmentID     : HG8310M
   Ont autofind time   : 2024-08-02 13:10:33+03:00
   ----------------------------------------------------------------------------
   Number              : 2
   F/S/P               : 0/ 2/5
   Ont SN              : 5A544547C0A1B2C3 (ZTEG-C0A1B2C3)
   Password            : 0x00000000000000000000
   Loid                :
   Checkcode           :
   VendorID            : ZTEG
   Ont Version         : V1.0
   Ont SoftwareVersion : -
   Ont EquipmentID     : F601
   Ont autofind time   : 02/08/2024 13:12:00
   ----------------------------------------------------------------------------
   The number of GPON autofind ONT is 2
";

    #[test]
    fn autofind_blocks_and_the_empty_refusal() {
        assert_eq!(AX.autofind_command().text, "display ont autofind all");
        let a = AX.parse_autofind(&crlf(AUTOFIND)).unwrap();
        assert_eq!(
            a[0],
            Autofind {
                fsp: P,
                sn: "4857544311E70E9A".into(),
                vendor_sn: "HWTC-11E70E9A".into(),
                equipment_id: Some("HG8310M".into()),
                version: Some("10C7.A".into()),
                software_version: Some("V3R015C10S106".into()),
                found_at: Some("2024-08-02 13:10:33+03:00".into()),
            }
        );
        assert_eq!(a[1].fsp, Fsp::new(0, 2, 5));
        assert_eq!(a[1].vendor_sn, "ZTEG-C0A1B2C3");
        assert_eq!(a[1].software_version, None);
        let cut = &AUTOFIND[..AUTOFIND.find("   The number").unwrap()];
        assert!(matches!(
            AX.parse_autofind(cut),
            Err(GponParseError::Structure(_))
        ));
        assert!(AX.failure_means_none("Failure: The automatically found ONTs do not exist"));
        assert!(!AX.failure_means_none("Failure: SN already exists"));
    }

    const SERVICE_PORTS: &str = "\
  Switch-Oriented Flow List
  -----------------------------------------------------------------------------
   INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE
         ID   ATTR     TYPE                    TYPE  PARA
  -----------------------------------------------------------------------------
      22  100 common   gpon 0/1 /0  5    1     vlan  100        20   20   up
      23  200 common   gpon 0/1 /0  5    2     vlan  200        -    -    down
     117 2105 QinQ     gpon 0/1 /15 22   1     vlan  2105       40   22   up
       4  405 common   vdl  0/3 /17 -    -     vlan  untag      6    6    down
  -----------------------------------------------------------------------------
   Total : 4  (Up/Down :    2/2)
  Note : F--Frame, S--Slot, P--Port,
         VPI indicates ONT ID when PORT TYPE is GPON, VCI indicates GEM index
";

    #[test]
    fn service_ports_read_gpon_rows_in_every_port_form() {
        assert_eq!(AX.service_ports_command().text, "display service-port all");
        assert_eq!(
            AX.service_ports_of_command(P, 5).text,
            "display service-port port 0/1/0 ont 5"
        );
        let paged = SERVICE_PORTS.replace(
            "     117 2105",
            "  ---- More ( Press 'Q' to break ) ----\x1b[37D                                     \x1b[37D     117 2105",
        );
        let sp = AX.parse_service_ports(&crlf(&paged)).unwrap();
        assert_eq!(sp.len(), 3, "the VDSL row is not a GPON service port");
        assert_eq!(
            sp[0],
            ServicePort {
                index: 22,
                vlan: 100,
                fsp: P,
                ont_id: 5,
                gemport: 1,
                state: "up".into(),
            }
        );
        assert_eq!((sp[1].gemport, sp[1].state.as_str()), (2, "down"));
        assert_eq!(
            (sp[2].fsp, sp[2].ont_id, sp[2].vlan),
            (Fsp::new(0, 1, 15), 22, 2105)
        );
        assert!(AX.failure_means_none("Failure: No service virtual port can be operated"));
        assert!(AX.parse_service_ports("").is_err());
    }

    #[test]
    fn macs_of_an_ont_after_the_wait_notice() {
        assert_eq!(
            AX.macs_of_command(P, 3).text,
            "display mac-address ont 0/1/0 3"
        );
        let out = "\
  It will take some time, please wait...
  -----------------------------------------------------------------------------
  SRV-P BUNDLE TYPE MAC            MAC TYPE F /S /P  VPI  VCI   VLAN ID
  INDEX INDEX
  -----------------------------------------------------------------------------
     12      - gpon 0025-9e11-2233 dynamic  0 /1 /0  3    1     100
     12      - gpon 48f8-db00-aa01 dynamic  0 /1 /0  3    1     100
  -----------------------------------------------------------------------------
  Total: 2
";
        let m = AX.parse_macs(&crlf(out)).unwrap();
        assert_eq!(
            m,
            vec![
                OntMac {
                    mac: "00:25:9e:11:22:33".into(),
                    vlan: 100,
                    fsp: P,
                    ont_id: 3,
                    service_port: Some(12),
                },
                OntMac {
                    mac: "48:f8:db:00:aa:01".into(),
                    vlan: 100,
                    fsp: P,
                    ont_id: 3,
                    service_port: Some(12),
                },
            ]
        );
        assert_eq!(AX.parse_macs("  Total: 0\n"), Ok(vec![]));
        assert!(AX.failure_means_none("Failure: There is not any MAC address record"));
    }

    #[test]
    fn profiles_next_free_index_and_traffic() {
        assert_eq!(
            AX.line_profiles_command().text,
            "display ont-lineprofile gpon all"
        );
        assert_eq!(
            AX.service_profiles_command().text,
            "display ont-srvprofile gpon all"
        );
        let out = "\
  ------------------------------------------------------------------------------
  Profile-ID  Profile-name                                Binding times
  ------------------------------------------------------------------------------
  0           line-profile_default_0                      0
  10          line-100                                    76
  20          Bridge HG8310                               5
  ------------------------------------------------------------------------------
  Total: 3
";
        let p = AX.parse_profiles(&crlf(out)).unwrap();
        let got: Vec<(u32, &str)> = p.iter().map(|p| (p.id, p.name.as_str())).collect();
        assert_eq!(
            got,
            [
                (0, "line-profile_default_0"),
                (10, "line-100"),
                (20, "Bridge HG8310")
            ]
        );
        assert!(AX.parse_profiles("").is_err());

        let l = AX.next_free_index_command().unwrap();
        assert_eq!(
            (l.mode, l.text.as_str()),
            (Mode::Config, "display service-port next-free-index")
        );
        assert_eq!(
            AX.parse_next_free_index("\r\n  Next valid free service virtual port ID: 12\r\n"),
            Ok(12)
        );
        assert!(AX.parse_next_free_index("").is_err());

        let l = AX.port_traffic_command(P);
        assert_eq!(
            (l.mode, l.text.as_str()),
            (Mode::PortInterface(P), "display port traffic 0")
        );
        let t = AX
            .parse_traffic("  Traffic Information\r\n  Up traffic (kbps)   : 12345\r\n  Down traffic (kbps) : 67890\r\n")
            .unwrap();
        assert_eq!((t.up_kbps, t.down_kbps), (12345.0, 67890.0));
        assert!(AX.parse_traffic("  Port ID : 0\n").is_err());
    }

    #[test]
    fn registration_sends_exactly_what_the_old_tool_sent() {
        let p = plan(true, true);
        let add = AX.add_ont_commands(&p, 0);
        assert_eq!(
            add,
            [Line {
                mode: Mode::PortInterface(P),
                text: "ont confirm 0 sn-auth 4857544311E70E9A omci ont-lineprofile-id 10 ont-srvprofile-id 20 desc \"Zelenaya_1/46\"".into(),
            }]
        );
        assert_eq!(
            AX.add_ont_commands(&plan(false, false), 0)[0].text,
            "ont add 0 sn-auth 4857544311E70E9A omci ont-lineprofile-id 10 ont-srvprofile-id 20 desc \"Zelenaya_1/46\""
        );
        assert_eq!(
            AX.service_port_commands(&p, 5, 12),
            [Line {
                mode: Mode::Config,
                text: "service-port 12 vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100 tag-transform translate".into(),
            }]
        );
        assert_eq!(
            AX.native_vlan_commands(&p, 5),
            [Line {
                mode: Mode::PortInterface(P),
                text: "ont port native-vlan 0 5 eth 1 vlan 100 priority 0".into(),
            }]
        );
        assert!(AX.native_vlan_commands(&plan(true, false), 5).is_empty());
        assert_eq!(AX.save_command().text, "save");
        let sp = ServicePort {
            index: 12,
            vlan: 100,
            fsp: P,
            ont_id: 5,
            gemport: 1,
            state: "up".into(),
        };
        assert_eq!(
            AX.undo_service_port_command(&sp).text,
            "undo service-port 12"
        );
        assert_eq!(
            AX.delete_ont_commands(P, 5),
            [Line {
                mode: Mode::PortInterface(P),
                text: "ont delete 0 5".into()
            }]
        );
    }

    #[test]
    fn the_added_ont_id_in_every_spacing_and_refusals() {
        for out in [
            "  Number of ONTs that can be added: 1, success: 1\r\n  PortID :0, ONTID :5\r\n",
            "  PortID: 0, ONTID: 5\n",
            "  ONTID :5\n",
            "  Number of ONTs that can be added: 1, success: 1\n  PortID : 0 , ONT ID : 5\n",
        ] {
            assert_eq!(AX.parse_added(out, 0), Ok(5), "{out:?}");
        }
        assert_eq!(
            AX.parse_added("  Failure: SN already exists\n", 0),
            Err(GponParseError::Failure("Failure: SN already exists".into()))
        );
        assert!(matches!(
            AX.parse_added("  Number of ONTs that can be added: 1, success: 0\n", 0),
            Err(GponParseError::Failure(_))
        ));
        assert!(matches!(
            AX.parse_added("\n", 0),
            Err(GponParseError::Structure(_))
        ));
    }

    #[test]
    fn save_says_saved_in_the_ways_firmware_says_it() {
        for out in [
            "  Configuration file has been saved\n",
            "  It will take several minutes to save configuration file, please wait...\n",
            "  The data of configuration file had been saved successfully\n",
        ] {
            assert_eq!(AX.parse_saved(out), Ok(()), "{out:?}");
        }
        assert!(matches!(
            AX.parse_saved("\n"),
            Err(GponParseError::Structure(_))
        ));
        assert!(matches!(
            AX.parse_saved("  Failure: System is busy\n"),
            Err(GponParseError::Failure(_))
        ));
    }

    #[test]
    fn find_by_sn_reads_the_port_and_id_and_not_found_means_none() {
        assert_eq!(
            AX.find_by_sn_command("HWTC-00FFDC9B").text,
            "display ont info by-sn 4857544300FFDC9B"
        );
        let out = "\
  -----------------------------------------------------------------------------
  F/S/P                   : 0/0/15
  ONT-ID                  : 0
  Control flag            : active
  Run state               : online
  SN                      : 4857544300FFDC9B (HWTC-00FFDC9B)
";
        assert_eq!(
            AX.parse_find_by_sn(&crlf(out)),
            Ok(Some((Fsp::new(0, 0, 15), 0)))
        );
        assert!(AX.failure_means_none("Failure: The required ONT does not exist"));
        assert!(AX.failure_means_none("Failure: The ONT does not exist"));
        assert!(AX.parse_find_by_sn("").is_err());
    }
}
