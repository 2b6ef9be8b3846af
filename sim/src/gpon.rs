//! The GPON model both OLT emulators share (Huawei SmartAX MA5608T, ZTE
//! C320): boards, registered ONTs, autofind (ZTE: unconfigured ONUs),
//! service ports, line/service profiles, VLANs and the MACs behind each ONT.
//!
//! The model keeps each vendor's own numbering: a Huawei F/S/P is
//! frame/slot/port with ports from 0 and ONT-IDs 0–127; a ZTE one is
//! shelf/slot/port (`gpon-olt_1/2/1`) with ports from 1 and ONU ids 1–128.
//! The logic (what a registration needs, what a deletion refuses) is here
//! once; each shell only parses its commands and prints its vendor's text.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::population::Rng;
use crate::shell::MacRow;

/// `(frame, slot, port)` (ZTE: `(shelf, slot, port)`).
pub type Fsp = (u8, u8, u8);

/// Whose numbering and words the model follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OltVendor {
    Huawei,
    Zte,
}

impl OltVendor {
    /// The lowest ONT id on a port (Huawei 0, ZTE 1).
    pub fn first_id(self) -> u32 {
        match self {
            OltVendor::Huawei => 0,
            OltVendor::Zte => 1,
        }
    }
    /// ONT ids per port.
    pub const IDS_PER_PORT: u32 = 128;
}

/// One board (card) in the chassis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    pub slot: u8,
    /// `"H802GPBD"`, `"H801MCUD"`, ZTE `"GTGH"`; empty for a free slot.
    pub name: String,
    /// `"Normal"`, `"Active_normal"`, ZTE `"INSERVICE"`.
    pub status: String,
    pub subtype: String,
    /// GPON ports on the board (0 for control, power and uplink boards).
    pub gpon_ports: u8,
}

/// A MAC learned behind an ONT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OntMac {
    /// Lower-case colon form.
    pub mac: String,
    pub vlan: u16,
}

/// A registered ONT (ZTE: ONU).
#[derive(Debug, Clone, PartialEq)]
pub struct Ont {
    pub fsp: Fsp,
    pub ont_id: u32,
    /// Canonical: 16 upper-case hex digits (`48575443CCB59A20`, ZTE `5A544547…`).
    pub sn: String,
    pub description: String,
    /// ZTE's `name` (Huawei has only the description).
    pub name: String,
    pub online: bool,
    /// Received by the ONT (dBm), the base value reads drift around.
    pub rx_dbm: f64,
    /// Sent by the ONT (dBm).
    pub tx_dbm: f64,
    /// The ONT's light as the OLT receives it (dBm).
    pub olt_rx_dbm: f64,
    pub distance_m: u32,
    /// `"dying-gasp"`, `"LOSi/LOBi"`, `"LOS"`; `None` when it never went down.
    pub last_down_cause: Option<String>,
    /// Device clock seconds (the shells' clock) of the last up / down.
    pub last_up_secs: Option<u64>,
    pub last_down_secs: Option<u64>,
    /// `"HG8310M"`, ZTE `"ZTE-F601"`.
    pub equipment_id: String,
    pub version: String,
    pub software_version: String,
    /// `ont port native-vlan P N eth 1 vlan V`.
    pub native_vlan: Option<u16>,
    /// Line profile id (ZTE: 0, it has an ONU type instead).
    pub line_profile: u16,
    pub srv_profile: u16,
    pub macs: Vec<OntMac>,
    /// ZTE `tcont N profile P`.
    pub tconts: Vec<(u16, String)>,
    /// ZTE `gemport N tcont T`.
    pub gemports: Vec<(u16, u16)>,
    pub temperature_c: i32,
}

/// An ONT the OLT sees on a port but has no registration for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autofind {
    pub fsp: Fsp,
    pub sn: String,
    pub equipment_id: String,
    pub version: String,
    pub software_version: String,
    /// Device clock seconds.
    pub found_at: u64,
}

/// A service port (service virtual port): traffic of one GEM port of one ONT in one VLAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    /// The OLT-wide index.
    pub index: u32,
    pub vlan: u16,
    pub user_vlan: u16,
    pub fsp: Fsp,
    pub ont_id: u32,
    pub gemport: u16,
    /// ZTE: the ONU-local `service-port N` number (Huawei: 0).
    pub local_id: u16,
}

/// An ONT line or service profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: u16,
    pub name: String,
}

/// What a GPON operation refused; each shell prints it in its vendor's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GponError {
    /// The SN is not among the autofind entries of that port.
    NotInAutofind,
    SnExists,
    IdInUse,
    NoFreeId,
    NoLineProfile,
    NoSrvProfile,
    /// ZTE: the ONU type is not defined.
    NoOnuType,
    IndexInUse,
    NoVlan,
    NoOnt,
    NotOnline,
    NoBoard,
    BadPort,
    HasServicePorts,
    NoServicePort,
    NoGemport,
    BadSn,
}

/// Registration parameters ([`GponOlt::register`]).
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    pub fsp: Fsp,
    pub sn: &'a str,
    /// `None`: the lowest free id.
    pub ont_id: Option<u32>,
    pub line_profile: u16,
    pub srv_profile: u16,
    pub description: &'a str,
    /// `ont confirm`: the SN must be in autofind on this port.
    pub from_autofind: bool,
    /// ZTE: the ONU type (`None` on Huawei).
    pub onu_type: Option<&'a str>,
}

/// The OLT's GPON state.
#[derive(Debug, Clone, PartialEq)]
pub struct GponOlt {
    pub vendor: OltVendor,
    pub boards: Vec<Board>,
    pub onts: Vec<Ont>,
    pub autofind: Vec<Autofind>,
    pub service_ports: Vec<ServicePort>,
    pub line_profiles: Vec<Profile>,
    pub srv_profiles: Vec<Profile>,
    pub vlans: BTreeSet<u16>,
    /// ZTE `show onu-type gpon`: the defined ONU types.
    pub onu_types: Vec<String>,
    /// How long `save` / `write` takes (default 300 ms; tests set zero).
    pub save_delay: Duration,
    /// Whether `display ont optical-info P all` exists (old firmware: no).
    pub port_optical_table: bool,
    /// Firmware that prints dates `DD/MM/YYYY` and a few extra fields.
    pub dmy_dates: bool,
    /// Saves done.
    pub saves: u32,
    /// Seeds the drift of optical readings.
    pub seed: u64,
    reads: u64,
    /// The device clock (seconds, as [`DeviceState::uptime_secs`](crate::DeviceState)); the shells keep it current.
    pub clock: u64,
}

/// `"HWTC-CCB59A20"`, `"HWTCCCB59A20"`, `"ZTEGC0A1B2C3"`, `"48575443ccb59a20"` →
/// `"48575443CCB59A20"`.
pub fn canonical_sn(text: &str) -> Option<String> {
    let t: String = text.trim().trim_matches('"').replace('-', "");
    let hex = |s: &str| s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit());
    if hex(&t) {
        return Some(t.to_ascii_uppercase());
    }
    if t.len() == 12 && t.is_char_boundary(4) {
        let (vendor, serial) = t.split_at(4);
        if vendor.chars().all(|c| c.is_ascii_alphanumeric())
            && serial.chars().all(|c| c.is_ascii_hexdigit())
        {
            let v: String = vendor
                .to_ascii_uppercase()
                .bytes()
                .map(|b| format!("{b:02X}"))
                .collect();
            return Some(format!("{v}{}", serial.to_ascii_uppercase()));
        }
    }
    None
}

/// The vendor id of a canonical SN: `"48575443CCB59A20"` → `"HWTC"`.
pub fn sn_vendor(sn: &str) -> String {
    (0..4)
        .filter_map(|i| sn.get(i * 2..i * 2 + 2))
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .map(char::from)
        .collect()
}

/// `"48575443CCB59A20"` → `"HWTC-CCB59A20"`.
pub fn sn_dashed(sn: &str) -> String {
    format!("{}-{}", sn_vendor(sn), sn.get(8..).unwrap_or(""))
}

/// `"5A544547C0A1B2C3"` → `"ZTEGC0A1B2C3"` (as ZTE prints it).
pub fn sn_zte(sn: &str) -> String {
    format!("{}{}", sn_vendor(sn), sn.get(8..).unwrap_or(""))
}

fn hash(text: &str) -> u64 {
    // FNV-1a: stable across platforms and crate versions.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl GponOlt {
    /// An empty OLT: no boards, no ONTs.
    pub fn new(vendor: OltVendor) -> GponOlt {
        GponOlt {
            vendor,
            boards: Vec::new(),
            onts: Vec::new(),
            autofind: Vec::new(),
            service_ports: Vec::new(),
            line_profiles: Vec::new(),
            srv_profiles: Vec::new(),
            vlans: BTreeSet::new(),
            onu_types: Vec::new(),
            save_delay: Duration::from_millis(300),
            port_optical_table: true,
            dmy_dates: false,
            saves: 0,
            seed: 0,
            reads: 0,
            clock: 0,
        }
    }

    /// An MA5608T chassis: GPON boards in slots 0 and 1 (16 ports each),
    /// the control board, power.
    pub fn ma5608t() -> GponOlt {
        let b = |slot, name: &str, status: &str, subtype: &str, ports| Board {
            slot,
            name: name.into(),
            status: status.into(),
            subtype: subtype.into(),
            gpon_ports: ports,
        };
        let mut olt = GponOlt::new(OltVendor::Huawei);
        olt.boards = vec![
            // As the real boards: a GPBD has 8 GPON ports, a GPFD 16.
            b(0, "H802GPBD", "Normal", "", 8),
            b(1, "H805GPFD", "Normal", "", 16),
            b(2, "H801MCUD", "Active_normal", "CPCA", 0),
            b(3, "", "", "", 0),
            b(4, "H801MPWC", "Normal", "", 0),
        ];
        olt
    }

    /// A C320 chassis: GPON cards in slots 1 and 2 (GTGO 8, GTGH 16 ports),
    /// the control/switch cards SMXA in 3 and 4, power PRAM.
    pub fn c320() -> GponOlt {
        let b = |slot, name: &str, ports| Board {
            slot,
            name: name.into(),
            status: "INSERVICE".into(),
            subtype: String::new(),
            gpon_ports: ports,
        };
        let mut olt = GponOlt::new(OltVendor::Zte);
        olt.boards = vec![
            b(1, "GTGO", 8),
            b(2, "GTGH", 16),
            b(3, "SMXA", 0),
            b(4, "SMXA", 0),
            b(5, "PRAM", 0),
        ];
        olt.onu_types = ["ZTE-F601", "ZTE-F660", "ZTE-F670L", "ZTE-F612"]
            .map(String::from)
            .to_vec();
        olt
    }

    /// The GPON ports of the chassis, in order.
    pub fn ports(&self) -> Vec<Fsp> {
        let (frame, first) = match self.vendor {
            OltVendor::Huawei => (0, 0),
            OltVendor::Zte => (1, 1),
        };
        self.boards
            .iter()
            .flat_map(|b| (0..b.gpon_ports).map(move |p| (frame, b.slot, first + p)))
            .collect()
    }

    /// Whether `fsp` is a GPON port of this chassis.
    pub fn check_port(&self, fsp: Fsp) -> Result<(), GponError> {
        let frame = match self.vendor {
            OltVendor::Huawei => 0,
            OltVendor::Zte => 1,
        };
        let board = self
            .boards
            .iter()
            .find(|b| b.slot == fsp.1 && b.gpon_ports > 0 && fsp.0 == frame)
            .ok_or(GponError::NoBoard)?;
        let first = match self.vendor {
            OltVendor::Huawei => 0,
            OltVendor::Zte => 1,
        };
        if fsp.2 < first || fsp.2 >= first + board.gpon_ports {
            return Err(GponError::BadPort);
        }
        Ok(())
    }

    /// Whether a board for GPON sits in `slot`.
    pub fn has_gpon_board(&self, slot: u8) -> bool {
        self.boards
            .iter()
            .any(|b| b.slot == slot && b.gpon_ports > 0)
    }

    pub fn onts(&self) -> &[Ont] {
        &self.onts
    }

    /// The ONTs on one port, by id.
    pub fn onts_on(&self, fsp: Fsp) -> Vec<&Ont> {
        let mut v: Vec<&Ont> = self.onts.iter().filter(|o| o.fsp == fsp).collect();
        v.sort_by_key(|o| o.ont_id);
        v
    }

    pub fn ont(&self, fsp: Fsp, ont_id: u32) -> Option<&Ont> {
        self.onts
            .iter()
            .find(|o| o.fsp == fsp && o.ont_id == ont_id)
    }

    fn ont_mut(&mut self, fsp: Fsp, ont_id: u32) -> Result<&mut Ont, GponError> {
        self.onts
            .iter_mut()
            .find(|o| o.fsp == fsp && o.ont_id == ont_id)
            .ok_or(GponError::NoOnt)
    }

    /// The ONT with this SN (any notation).
    pub fn ont_by_sn(&self, sn: &str) -> Option<&Ont> {
        let sn = canonical_sn(sn)?;
        self.onts.iter().find(|o| o.sn == sn)
    }

    fn ont_by_sn_mut(&mut self, sn: &str) -> Option<&mut Ont> {
        let sn = canonical_sn(sn)?;
        self.onts.iter_mut().find(|o| o.sn == sn)
    }

    /// Autofind entries on one port (all ports for `None`), in discovery order.
    pub fn autofind_on(&self, fsp: Option<Fsp>) -> Vec<&Autofind> {
        self.autofind
            .iter()
            .filter(|a| fsp.is_none_or(|f| a.fsp == f))
            .collect()
    }

    /// The service ports of one ONT (of one port for `None`), by index.
    pub fn service_ports_of(&self, fsp: Fsp, ont_id: Option<u32>) -> Vec<&ServicePort> {
        let mut v: Vec<&ServicePort> = self
            .service_ports
            .iter()
            .filter(|s| s.fsp == fsp && ont_id.is_none_or(|id| s.ont_id == id))
            .collect();
        v.sort_by_key(|s| s.index);
        v
    }

    /// Every service port, by index.
    pub fn service_ports_sorted(&self) -> Vec<&ServicePort> {
        let mut v: Vec<&ServicePort> = self.service_ports.iter().collect();
        v.sort_by_key(|s| s.index);
        v
    }

    /// The lowest unused service-port index.
    pub fn next_free_index(&self) -> u32 {
        let used: BTreeSet<u32> = self.service_ports.iter().map(|s| s.index).collect();
        (0..).find(|i| !used.contains(i)).unwrap_or(0)
    }

    /// The lowest free ONT id on a port.
    pub fn free_id(&self, fsp: Fsp) -> Option<u32> {
        let first = self.vendor.first_id();
        (first..first + OltVendor::IDS_PER_PORT).find(|id| self.ont(fsp, *id).is_none())
    }

    /// A new autofind entry (the ONT was plugged in); `false` if the SN is
    /// bad or already registered or already waiting.
    pub fn add_autofind(&mut self, fsp: Fsp, sn: &str, equipment_id: &str) -> bool {
        let Some(sn) = canonical_sn(sn) else {
            return false;
        };
        if self.onts.iter().any(|o| o.sn == sn) || self.autofind.iter().any(|a| a.sn == sn) {
            return false;
        }
        let (version, software) = versions(self.vendor, hash(&sn));
        self.autofind.push(Autofind {
            fsp,
            sn,
            equipment_id: equipment_id.to_string(),
            version,
            software_version: software,
            found_at: self.clock,
        });
        true
    }

    /// The ONT goes down with `cause` (`"dying-gasp"`, `"LOSi/LOBi"`, …).
    pub fn set_offline(&mut self, sn: &str, cause: &str) -> bool {
        let clock = self.clock;
        match self.ont_by_sn_mut(sn) {
            Some(o) => {
                o.online = false;
                o.last_down_cause = Some(cause.to_string());
                o.last_down_secs = Some(clock);
                true
            }
            None => false,
        }
    }

    /// The ONT comes back up.
    pub fn set_online(&mut self, sn: &str) -> bool {
        let clock = self.clock;
        match self.ont_by_sn_mut(sn) {
            Some(o) => {
                if !o.online {
                    o.online = true;
                    o.last_up_secs = Some(clock);
                }
                true
            }
            None => false,
        }
    }

    /// Sets the ONT's received level (the base reads drift around); the
    /// OLT's reading of it follows.
    pub fn set_rx(&mut self, sn: &str, dbm: f64) -> bool {
        match self.ont_by_sn_mut(sn) {
            Some(o) => {
                o.olt_rx_dbm = round2(o.olt_rx_dbm + (dbm - o.rx_dbm));
                o.rx_dbm = dbm;
                true
            }
            None => false,
        }
    }

    /// One optical reading `(rx, tx, olt_rx)` of an online ONT: the base
    /// values plus a small drift (±0.15 dBm, deterministic from the seed and
    /// the number of reads so far).
    pub fn read_optics(&mut self, fsp: Fsp, ont_id: u32) -> Result<(f64, f64, f64), GponError> {
        let ont = self.ont(fsp, ont_id).ok_or(GponError::NoOnt)?;
        if !ont.online {
            return Err(GponError::NotOnline);
        }
        let (rx, tx, olt) = (ont.rx_dbm, ont.tx_dbm, ont.olt_rx_dbm);
        let h = hash(&ont.sn);
        self.reads += 1;
        let mut rng = Rng(self.seed ^ h ^ self.reads.wrapping_mul(0x9e37));
        let mut drift = || (rng.below(31) as f64 - 15.0) / 100.0;
        Ok((
            round2(rx + drift()),
            round2(tx + drift() / 3.0),
            round2(olt + drift()),
        ))
    }

    /// `ont confirm` / `ont add` / ZTE `onu N type T sn S`.
    pub fn register(&mut self, r: &Registration) -> Result<u32, GponError> {
        self.check_port(r.fsp)?;
        let sn = canonical_sn(r.sn).ok_or(GponError::BadSn)?;
        if self.onts.iter().any(|o| o.sn == sn) {
            return Err(GponError::SnExists);
        }
        let found = self
            .autofind
            .iter()
            .position(|a| a.sn == sn && a.fsp == r.fsp);
        if r.from_autofind && found.is_none() {
            return Err(GponError::NotInAutofind);
        }
        match r.onu_type {
            Some(t) => {
                if !self.onu_types.iter().any(|k| k == t) {
                    return Err(GponError::NoOnuType);
                }
            }
            None => {
                if !self.line_profiles.iter().any(|p| p.id == r.line_profile) {
                    return Err(GponError::NoLineProfile);
                }
                if !self.srv_profiles.iter().any(|p| p.id == r.srv_profile) {
                    return Err(GponError::NoSrvProfile);
                }
            }
        }
        let id = match r.ont_id {
            Some(id) => {
                let first = self.vendor.first_id();
                if id < first || id >= first + OltVendor::IDS_PER_PORT {
                    return Err(GponError::NoFreeId);
                }
                if self.ont(r.fsp, id).is_some() {
                    return Err(GponError::IdInUse);
                }
                id
            }
            None => self.free_id(r.fsp).ok_or(GponError::NoFreeId)?,
        };
        let seen = found.map(|i| self.autofind.remove(i));
        // An SN the OLT sees on this port comes up at once; a manual add of
        // an absent ONT waits offline.
        let online = seen.is_some();
        let h = hash(&sn);
        let (version, software) = versions(self.vendor, h);
        let equipment = seen
            .as_ref()
            .map(|a| a.equipment_id.clone())
            .or(r.onu_type.map(str::to_string))
            .unwrap_or_else(|| "-".into());
        let mut ont = new_ont(r.fsp, id, &sn, r.description, equipment, h);
        ont.version = seen.as_ref().map_or(version, |a| a.version.clone());
        ont.software_version = seen
            .as_ref()
            .map_or(software, |a| a.software_version.clone());
        ont.online = online;
        ont.last_up_secs = online.then_some(self.clock);
        ont.line_profile = r.line_profile;
        ont.srv_profile = r.srv_profile;
        self.onts.push(ont);
        Ok(id)
    }

    /// `ont delete P N` / ZTE `no onu N`: refused while service ports of the
    /// ONT exist (Huawei; ZTE removes them along, `zte_cascade`). An online
    /// ONT shows up in autofind again.
    pub fn delete_ont(&mut self, fsp: Fsp, ont_id: u32, cascade: bool) -> Result<Ont, GponError> {
        self.check_port(fsp)?;
        let i = self
            .onts
            .iter()
            .position(|o| o.fsp == fsp && o.ont_id == ont_id)
            .ok_or(GponError::NoOnt)?;
        let has_ports = self
            .service_ports
            .iter()
            .any(|s| s.fsp == fsp && s.ont_id == ont_id);
        if has_ports && !cascade {
            return Err(GponError::HasServicePorts);
        }
        self.service_ports
            .retain(|s| !(s.fsp == fsp && s.ont_id == ont_id));
        let ont = self.onts.remove(i);
        if ont.online {
            self.autofind.push(Autofind {
                fsp,
                sn: ont.sn.clone(),
                equipment_id: ont.equipment_id.clone(),
                version: ont.version.clone(),
                software_version: ont.software_version.clone(),
                found_at: self.clock,
            });
        }
        Ok(ont)
    }

    /// `service-port IDX vlan V gpon F/S/P ont N gemport G …` (index `None`: the next free one).
    #[allow(clippy::too_many_arguments)]
    pub fn add_service_port(
        &mut self,
        index: Option<u32>,
        vlan: u16,
        fsp: Fsp,
        ont_id: u32,
        gemport: u16,
        user_vlan: u16,
        local_id: u16,
    ) -> Result<u32, GponError> {
        let index = index.unwrap_or_else(|| self.next_free_index());
        if self.service_ports.iter().any(|s| s.index == index) {
            return Err(GponError::IndexInUse);
        }
        self.check_port(fsp)?;
        if !self.vlans.contains(&vlan) {
            return Err(GponError::NoVlan);
        }
        if self.ont(fsp, ont_id).is_none() {
            return Err(GponError::NoOnt);
        }
        self.service_ports.push(ServicePort {
            index,
            vlan,
            user_vlan,
            fsp,
            ont_id,
            gemport,
            local_id,
        });
        Ok(index)
    }

    /// `undo service-port IDX`.
    pub fn remove_service_port(&mut self, index: u32) -> Result<ServicePort, GponError> {
        let i = self
            .service_ports
            .iter()
            .position(|s| s.index == index)
            .ok_or(GponError::NoServicePort)?;
        Ok(self.service_ports.remove(i))
    }

    /// `ont port native-vlan P N eth 1 vlan V priority 0`.
    pub fn set_native_vlan(&mut self, fsp: Fsp, ont_id: u32, vlan: u16) -> Result<(), GponError> {
        self.check_port(fsp)?;
        if !self.vlans.contains(&vlan) {
            return Err(GponError::NoVlan);
        }
        self.ont_mut(fsp, ont_id)?.native_vlan = Some(vlan);
        Ok(())
    }

    /// `ont modify P N desc "X"` / ZTE `description X`.
    pub fn set_description(&mut self, fsp: Fsp, ont_id: u32, desc: &str) -> Result<(), GponError> {
        self.check_port(fsp)?;
        self.ont_mut(fsp, ont_id)?.description = desc.to_string();
        Ok(())
    }

    /// ZTE `name X`.
    pub fn set_name(&mut self, fsp: Fsp, ont_id: u32, name: &str) -> Result<(), GponError> {
        self.ont_mut(fsp, ont_id)?.name = name.to_string();
        Ok(())
    }

    /// ZTE `tcont N profile P`.
    pub fn set_tcont(
        &mut self,
        fsp: Fsp,
        ont_id: u32,
        n: u16,
        profile: &str,
    ) -> Result<(), GponError> {
        let o = self.ont_mut(fsp, ont_id)?;
        o.tconts.retain(|t| t.0 != n);
        o.tconts.push((n, profile.to_string()));
        o.tconts.sort();
        Ok(())
    }

    /// ZTE `gemport N tcont T`.
    pub fn set_gemport(
        &mut self,
        fsp: Fsp,
        ont_id: u32,
        n: u16,
        tcont: u16,
    ) -> Result<(), GponError> {
        let o = self.ont_mut(fsp, ont_id)?;
        if !o.tconts.iter().any(|t| t.0 == tcont) {
            return Err(GponError::NoGemport);
        }
        o.gemports.retain(|g| g.0 != n);
        o.gemports.push((n, tcont));
        o.gemports.sort();
        Ok(())
    }

    /// Adds a MAC behind an ONT.
    pub fn learn_mac(
        &mut self,
        fsp: Fsp,
        ont_id: u32,
        mac: &str,
        vlan: u16,
    ) -> Result<(), GponError> {
        let o = self.ont_mut(fsp, ont_id)?;
        if !o.macs.iter().any(|m| m.mac == mac) {
            o.macs.push(OntMac {
                mac: mac.to_string(),
                vlan,
            });
        }
        Ok(())
    }

    /// The MACs the OLT has learned: behind each online ONT, with the service
    /// port they came in on (`None` if the ONT has none in that VLAN).
    pub fn learned(&self) -> Vec<(&Ont, &OntMac, Option<&ServicePort>)> {
        let mut onts: Vec<&Ont> = self.onts.iter().filter(|o| o.online).collect();
        onts.sort_by_key(|o| (o.fsp, o.ont_id));
        let mut out = Vec::new();
        for o in onts {
            for m in &o.macs {
                let sp = self
                    .service_ports_of(o.fsp, Some(o.ont_id))
                    .into_iter()
                    .find(|s| s.vlan == m.vlan);
                out.push((o, m, sp));
            }
        }
        out
    }

    /// The learned MACs as a device MAC table: ports `0/1/3` (Huawei) or
    /// `gpon-onu_1/2/1:3` (ZTE).
    pub fn mac_rows(&self) -> Vec<MacRow> {
        self.learned()
            .into_iter()
            .map(|(o, m, _)| MacRow {
                vlan: m.vlan,
                mac: m.mac.clone(),
                port: match self.vendor {
                    OltVendor::Huawei => format!("{}/{}/{}", o.fsp.0, o.fsp.1, o.fsp.2),
                    OltVendor::Zte => {
                        format!("gpon-onu_{}/{}/{}:{}", o.fsp.0, o.fsp.1, o.fsp.2, o.ont_id)
                    }
                },
                dynamic: true,
            })
            .collect()
    }

    /// One step of life on the PON, deterministic from the seed and `step`:
    /// an ONT goes down or comes back, now and then a new ONT appears in autofind.
    pub fn churn(&mut self, step: u64) {
        let mut rng = Rng(self.seed ^ step.wrapping_mul(0x2545_f491_4f6c_dd1d));
        if !self.onts.is_empty() {
            let i = rng.below(self.onts.len());
            let sn = self.onts[i].sn.clone();
            if self.onts[i].online {
                let cause = *rng.pick(&["dying-gasp", "LOSi/LOBi", "LOFi", "dying-gasp"]);
                self.set_offline(&sn, cause);
            } else {
                self.set_online(&sn);
            }
        }
        if rng.chance(20) {
            let ports = self.ports();
            if !ports.is_empty() {
                let fsp = *rng.pick(&ports);
                let (sn, eq) = random_sn(self.vendor, &mut rng);
                self.add_autofind(fsp, &sn, eq);
            }
        }
    }
}

impl GponOlt {
    /// The standard profiles and VLANs of the samples and the population:
    /// line profile 10 "ftth", service profile 10 "hg8310" (and 11 for
    /// HG8245-class ONTs), VLANs 100–110 and the management VLAN 2105.
    pub fn add_standard_profiles(&mut self) {
        let p = |id, name: &str| Profile {
            id,
            name: name.to_string(),
        };
        self.line_profiles = vec![
            p(0, "line-profile_default_0"),
            p(10, "ftth"),
            p(11, "ftth-iptv"),
        ];
        self.srv_profiles = vec![
            p(0, "srv-profile_default_0"),
            p(10, "hg8310"),
            p(11, "hg8245"),
        ];
        self.vlans = (100..=110).chain([2105]).collect();
    }

    /// A sample OLT of `vendor` (`index` varies SNs, MACs and counts): a
    /// few ports with ONTs (most online with a service port and a MAC, one
    /// offline after a dying gasp, one with a marginal signal, one
    /// registered but never seen, without a service port), two ONTs in
    /// autofind, the standard profiles and VLANs.
    pub fn sample(vendor: OltVendor, index: usize) -> GponOlt {
        let mut olt = match vendor {
            OltVendor::Huawei => GponOlt::ma5608t(),
            OltVendor::Zte => GponOlt::c320(),
        };
        olt.add_standard_profiles();
        olt.seed = 0x0170_0000 + index as u64;
        olt.dmy_dates = index % 2 == 1;
        olt.port_optical_table = index % 3 != 2;
        olt.clock = 86_400 * (index as u64 % 40) + 3_600 * (index as u64 % 24) + 1_234;
        let ports: Vec<Fsp> = match vendor {
            OltVendor::Huawei => vec![(0, 1, 0), (0, 1, 1), (0, 1, 2), (0, 0, 3)],
            OltVendor::Zte => vec![(1, 1, 1), (1, 2, 1), (1, 2, 2), (1, 2, 3)],
        };
        let (prefix, types): (&str, &[&str]) = match vendor {
            OltVendor::Huawei => ("48575443", &["HG8310M", "HG8245H", "EG8145V5"]),
            OltVendor::Zte => ("5A544547", &["ZTE-F601", "ZTE-F660", "ZTE-F670L"]),
        };
        const OUIS: [&str; 4] = ["00:1e:58", "f8:1a:67", "b8:a3:86", "00:0f:3d"];
        let count = 8 + (index * 7) % 20;
        let now = olt.clock;
        for n in 0..count {
            let fsp = ports[n % ports.len()];
            let id = olt.free_id(fsp).unwrap_or(0);
            let sn = format!(
                "{prefix}{:04X}{:04X}",
                0xA000 + index % 0x1000,
                0x1000 + n * 37
            );
            let h = hash(&sn);
            let street = STREETS[(index + n) % STREETS.len()];
            let desc = format!("{street}_{}/{}", 1 + n * 3 % 40, 1 + n % 9);
            let mut ont = new_ont(fsp, id, &sn, &desc, types[n % types.len()].to_string(), h);
            let (version, software) = versions(vendor, h);
            ont.version = version;
            ont.software_version = software;
            ont.line_profile = if vendor == OltVendor::Huawei { 10 } else { 0 };
            ont.srv_profile = if vendor == OltVendor::Huawei { 10 } else { 0 };
            ont.online = true;
            let up = now.saturating_sub(1 + h % (now / 2 + 1));
            ont.last_up_secs = Some(up);
            if n % 3 == 0 {
                ont.last_down_secs = Some(up.saturating_sub(30 + h % 600));
                ont.last_down_cause = Some("dying-gasp".into());
            }
            let never_seen = n == 2;
            if n == 1 {
                ont.online = false;
                ont.last_down_cause = Some("dying-gasp".into());
                ont.last_down_secs = Some(now.saturating_sub(600));
            }
            if n == 3 {
                ont.rx_dbm = -28.4;
                ont.olt_rx_dbm = -31.2;
            }
            if never_seen {
                ont.online = false;
                ont.last_up_secs = None;
                ont.last_down_secs = None;
                ont.last_down_cause = None;
                ont.equipment_id = "-".into();
            }
            if vendor == OltVendor::Zte {
                ont.tconts = vec![(1, "UP-100M".into())];
                ont.gemports = vec![(1, 1)];
            }
            let vlan = 100 + (n % 11) as u16;
            if !never_seen {
                ont.native_vlan = (vendor == OltVendor::Huawei && n % 2 == 0).then_some(vlan);
                let mac = format!(
                    "{}:{:02x}:{:02x}:{:02x}",
                    OUIS[n % 4],
                    (index >> 8) & 0xff,
                    index & 0xff,
                    n
                );
                ont.macs.push(OntMac { mac, vlan });
                if n % 5 == 4 {
                    // A router's second MAC (its bridged LAN side).
                    let mac = format!(
                        "3c:22:fb:{:02x}:{:02x}:{:02x}",
                        (index >> 8) & 0xff,
                        index & 0xff,
                        n
                    );
                    ont.macs.push(OntMac { mac, vlan });
                }
            }
            olt.onts.push(ont);
            if !never_seen {
                let local = if vendor == OltVendor::Zte { 1 } else { 0 };
                let _ = olt.add_service_port(None, vlan, fsp, id, 1, vlan, local);
            }
        }
        for k in 0..2 {
            let sn = format!(
                "{prefix}{:04X}{:04X}",
                0xB000 + index % 0x1000,
                0x2000 + k * 91
            );
            olt.add_autofind(ports[k], &sn, types[k % types.len()]);
        }
        olt
    }
}

const STREETS: [&str; 6] = [
    "lenina",
    "mira",
    "gagarina",
    "sovetskaya",
    "pushkina",
    "kirova",
];

/// Hardware and software versions as each vendor's ONTs report them.
fn versions(vendor: OltVendor, h: u64) -> (String, String) {
    match vendor {
        OltVendor::Huawei => (
            ["10C7.A", "21A9.A", "4F03.A"][(h % 3) as usize].to_string(),
            ["V3R015C10S106", "V5R019C10S120", "V3R017C10S116"][(h / 3 % 3) as usize].to_string(),
        ),
        OltVendor::Zte => (
            ["V1.0", "V2.0", "V3.0"][(h % 3) as usize].to_string(),
            ["V6.0.1P1T1", "V7.0.10P2N2", "V2.0.0P1N3"][(h / 3 % 3) as usize].to_string(),
        ),
    }
}

/// A fresh SN of the vendor's own ONTs and an equipment id.
pub(crate) fn random_sn(vendor: OltVendor, rng: &mut Rng) -> (String, &'static str) {
    let serial = rng.next() as u32;
    match vendor {
        OltVendor::Huawei => (
            format!("48575443{serial:08X}"),
            *rng.pick(&["HG8310M", "HG8245H", "EG8145V5", "HG8546M"]),
        ),
        OltVendor::Zte => (
            format!("5A544547{serial:08X}"),
            *rng.pick(&["ZTE-F601", "ZTE-F660", "ZTE-F670L"]),
        ),
    }
}

/// A registered ONT with plausible optics and distance derived from `h`.
pub(crate) fn new_ont(
    fsp: Fsp,
    ont_id: u32,
    sn: &str,
    desc: &str,
    equipment: String,
    h: u64,
) -> Ont {
    let rx = -14.0 - (h % 1100) as f64 / 100.0; // -14 … -25
    let tx = 1.8 + (h / 1100 % 80) as f64 / 100.0; // 1.8 … 2.6
    Ont {
        fsp,
        ont_id,
        sn: sn.to_string(),
        description: desc.to_string(),
        name: desc.to_string(),
        online: false,
        rx_dbm: round2(rx),
        tx_dbm: round2(tx),
        olt_rx_dbm: round2(rx - 2.0 - (h / 88_000 % 150) as f64 / 100.0),
        distance_m: 300 + (h / 7 % 4700) as u32,
        last_down_cause: None,
        last_up_secs: None,
        last_down_secs: None,
        equipment_id: equipment,
        version: String::new(),
        software_version: String::new(),
        native_vlan: None,
        line_profile: 0,
        srv_profile: 0,
        macs: Vec::new(),
        tconts: Vec::new(),
        gemports: Vec::new(),
        temperature_c: 40 + (h / 13 % 25) as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_in_every_notation_are_one_canonical_form() {
        for s in [
            "48575443CCB59A20",
            "HWTC-CCB59A20",
            "HWTCCCB59A20",
            "48575443ccb59a20",
        ] {
            assert_eq!(canonical_sn(s).as_deref(), Some("48575443CCB59A20"), "{s}");
        }
        assert_eq!(
            canonical_sn("ZTEGC0A1B2C3").as_deref(),
            Some("5A544547C0A1B2C3")
        );
        assert_eq!(sn_zte("5A544547C0A1B2C3"), "ZTEGC0A1B2C3");
        assert_eq!(sn_dashed("48575443CCB59A20"), "HWTC-CCB59A20");
        assert_eq!(canonical_sn("nonsense"), None);
    }
}
