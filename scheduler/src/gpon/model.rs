//! What an OLT tells us, vendor-neutral: the records the GPON parsers
//! produce and the poller, the sagas and the pages consume, and the one
//! interface ([`GponCli`]) each OLT dialect implements — pure commands and
//! pure parsers, no I/O.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A GPON port: frame/slot/port on Huawei (`0/1/0`), shelf/slot/port on
/// ZTE (`gpon-olt_1/2/1`). Printed `0/1/0`; parsed from `0/1/0`, `0/ 1/0`,
/// `0 /1 /0`, `0/1 /0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fsp {
    pub frame: u8,
    pub slot: u8,
    pub port: u8,
}

impl Fsp {
    pub const fn new(frame: u8, slot: u8, port: u8) -> Self {
        Fsp { frame, slot, port }
    }
}

impl fmt::Display for Fsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.frame, self.slot, self.port)
    }
}

impl FromStr for Fsp {
    type Err = String;

    /// Three numbers separated by `/`, blanks anywhere around them.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{}` is not a port (frame/slot/port, like 0/1/0)", s.trim());
        let parts: Vec<&str> = s.split('/').map(str::trim).collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let n = |p: &str| p.parse::<u8>().map_err(|_| bad());
        Ok(Fsp::new(n(parts[0])?, n(parts[1])?, n(parts[2])?))
    }
}

/// An ONT serial number in its canonical form: 16 upper-case hex digits,
/// the first 8 being the vendor id's four ASCII letters
/// (`48575443CCB59A20` = `HWTC-CCB59A20`). [`normalise_sn`] accepts every
/// form a person or an OLT prints.
pub fn normalise_sn(s: &str) -> Option<String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | ':' | ' ' | '.'))
        .collect();
    let hex = |x: &str| x.len() == 8 && x.chars().all(|c| c.is_ascii_hexdigit());
    if t.len() == 16 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        let vendor = u32::from_str_radix(&t[..8], 16).ok()?.to_be_bytes();
        if !vendor.iter().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        return Some(t.to_ascii_uppercase());
    }
    if t.len() == 12 && t.is_char_boundary(4) && hex(&t[4..]) {
        let vendor = &t[..4];
        if !vendor.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let v: String = vendor
            .to_ascii_uppercase()
            .bytes()
            .map(|b| format!("{b:02X}"))
            .collect();
        return Some(format!("{v}{}", t[4..].to_ascii_uppercase()));
    }
    None
}

/// `48575443CCB59A20` → `HWTC-CCB59A20` (the form on the ONT's label).
pub fn vendor_sn(canonical: &str) -> String {
    let Some(sn) = normalise_sn(canonical) else {
        return canonical.to_string();
    };
    let vendor: String = (0..4)
        .map(|i| u8::from_str_radix(&sn[i * 2..i * 2 + 2], 16).unwrap_or(b'?') as char)
        .collect();
    format!("{vendor}-{}", &sn[8..])
}

/// Whether the ONT is up. ZTE's phase states map here: `working` is
/// online; `LOS`, `DyingGasp`, `OffLine`, `syncMib`… offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Online,
    Offline,
    /// `-` or a state we do not know.
    Unknown,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Online => "online",
            RunState::Offline => "offline",
            RunState::Unknown => "unknown",
        }
    }
}

/// A board in a slot (`display board 0`; ZTE `show card`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub slot: u8,
    /// `H802GPBD`, `GTGO`; empty for an empty slot.
    pub name: String,
    /// `Normal`, `Active_normal`, `INSERVICE`, … as printed.
    pub status: String,
    /// GPON ports on it (0 for control, power, uplink and empty slots).
    pub gpon_ports: u8,
}

/// One ONT in a port's ONT list (`display ont info 0 all` joined with its
/// description table; ZTE `show gpon onu state` + `show gpon onu baseinfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OntRow {
    pub fsp: Fsp,
    pub ont_id: u32,
    /// Canonical ([`normalise_sn`]).
    pub sn: String,
    /// `active` / `deactivated`; empty when not printed.
    pub control: String,
    pub run: RunState,
    /// `normal`, `initial`, `failing`, `configuring`, `-`; empty when not printed.
    pub config_state: String,
    /// `match`, `mismatch`, `initial`, `-`; empty when not printed.
    pub match_state: String,
    /// Empty for none (`ONT_NO_DESCRIPTION` is none).
    pub description: String,
}

/// One ONT's line of the port summary (`display ont info summary 0/1/0`):
/// what the list lacks, for every ONT of the port in one command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OntSummary {
    pub fsp: Fsp,
    pub ont_id: u32,
    pub run: RunState,
    /// `dying-gasp`, `LOSi/LOBi`, `-` → `None`.
    pub last_down_cause: Option<String>,
    /// As printed (`2024-07-24 10:12:01+03:00` or `24/07/2024 10:12:01`).
    pub last_up: Option<String>,
    pub last_down: Option<String>,
    pub distance_m: Option<u32>,
    pub rx_dbm: Option<f64>,
    pub tx_dbm: Option<f64>,
}

/// One ONT in full (`display ont info 0 5`; ZTE `show gpon onu detail-info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OntDetail {
    pub sn: String,
    pub run: Option<RunState>,
    pub config_state: Option<String>,
    pub match_state: Option<String>,
    pub description: Option<String>,
    pub last_down_cause: Option<String>,
    pub last_up: Option<String>,
    pub last_down: Option<String>,
    pub online_duration: Option<String>,
    pub distance_m: Option<u32>,
    pub temperature_c: Option<f64>,
    pub equipment_id: Option<String>,
    pub version: Option<String>,
    pub software_version: Option<String>,
    pub line_profile_id: Option<u32>,
    pub service_profile_id: Option<u32>,
    /// Every key/value line as printed (firmware adds fields), in order.
    pub fields: Vec<(String, String)>,
}

/// Optical levels (`display ont optical-info 0 5`; ZTE
/// `show pon power attenuation`). `None`: not printed or no reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Optics {
    /// What the ONT receives.
    pub rx_dbm: Option<f64>,
    /// What the ONT sends.
    pub tx_dbm: Option<f64>,
    /// What the OLT receives from this ONT.
    pub olt_rx_dbm: Option<f64>,
    pub bias_ma: Option<f64>,
    pub temperature_c: Option<f64>,
    pub voltage_v: Option<f64>,
}

/// One port's optics table row (`display ont optical-info 0 all` on firmware
/// that has it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PortOptics {
    pub ont_id: u32,
    pub optics: Optics,
}

/// An ONT waiting to be registered (`display ont autofind all`; ZTE `show
/// gpon onu uncfg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autofind {
    pub fsp: Fsp,
    /// Canonical ([`normalise_sn`]).
    pub sn: String,
    /// `HWTC-11E70E9A`.
    pub vendor_sn: String,
    pub equipment_id: Option<String>,
    pub version: Option<String>,
    pub software_version: Option<String>,
    /// As printed.
    pub found_at: Option<String>,
}

/// A service port (`display service-port all` / `… port 0/1/0 ont 5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    pub index: u32,
    pub vlan: u16,
    pub fsp: Fsp,
    /// VPI on Huawei.
    pub ont_id: u32,
    /// VCI on Huawei (the GEM port index).
    pub gemport: u32,
    /// `up` / `down` as printed.
    pub state: String,
}

/// A MAC learned behind an ONT (`display mac-address ont 0/1/0 5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OntMac {
    /// Normalised, lower-case colon form.
    pub mac: String,
    pub vlan: u16,
    pub fsp: Fsp,
    pub ont_id: u32,
    pub service_port: Option<u32>,
}

/// A line or service profile on the OLT (`display ont-lineprofile gpon all`,
/// `display ont-srvprofile gpon all`; ZTE `show onu-type` for types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OltProfile {
    pub id: u32,
    pub name: String,
}

/// Traffic of a port or VLAN, kbit/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub up_kbps: f64,
    pub down_kbps: f64,
}

/// Why output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GponParseError {
    /// The OLT said no (`Failure: …`, `%Code …`): the text, trimmed.
    #[error("the OLT refused: {0}")]
    Failure(String),
    /// The output lacks what the command always prints (a header, a
    /// footer, a key): never read as "nothing".
    #[error("unexpected output: {0}")]
    Structure(String),
}

/// One line to send and the CLI mode it needs: the engine sends `enter`
/// lines to reach the mode first and leaves it afterwards only when the
/// next command needs another mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub mode: Mode,
    pub text: String,
}

/// CLI modes a GPON command runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    /// `config` (Huawei `NAME(config)#`, ZTE `NAME(config)#`).
    Config,
    /// The GPON board interface: Huawei `interface gpon 0/1`; ZTE
    /// `interface gpon-olt_1/2/1` (a port).
    PortInterface(Fsp),
    /// ZTE only: `interface gpon-onu_1/2/1:5`.
    OntInterface(Fsp, u32),
}

/// What a registration step needs to know about the local profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationPlan {
    pub fsp: Fsp,
    /// Canonical SN.
    pub sn: String,
    /// The description (the subscriber's login or address), already checked
    /// to be printable ASCII without quotes.
    pub description: String,
    pub line_profile_id: u32,
    pub service_profile_id: u32,
    pub vlan: u16,
    pub gemport: u32,
    /// Bridge-type ONT (HG8310 class): needs the native VLAN on its eth 1.
    pub native_vlan: bool,
    /// Registered from autofind (`ont confirm`) or by hand (`ont add`).
    pub from_autofind: bool,
    /// ZTE: the ONU type name (`ZTE-F601`); Huawei ignores it.
    pub onu_type: String,
}

/// One OLT dialect: the commands for each thing ispmon asks, and parsers
/// for what comes back. Pure. Parsers take the command's output as the
/// session returns it (echo and prompt removed, pager residue possibly
/// left, CRLF or LF) and must read it by meaning. An output the session
/// reported as refused (a `Failure:` line) never reaches a parser; the
/// caller asks [`GponCli::failure_means_none`] whether that refusal is an
/// empty answer.
pub trait GponCli: Send + Sync {
    /// The ONT-IDs a port numbers its ONTs with: Huawei 0–127, ZTE 1–128.
    fn ont_ids(&self) -> std::ops::RangeInclusive<u32> {
        0..=127
    }

    /// The first frame (shelf) and the first port number on a board:
    /// Huawei 0/…/0, ZTE 1/…/1.
    fn first_frame_and_port(&self) -> (u8, u8) {
        (0, 0)
    }

    /// The whole OLT's MAC table (Huawei `display mac-address all`, ZTE
    /// `show mac`); it parses with [`GponCli::parse_macs`].
    fn macs_command(&self) -> Line;

    /// `display board 0`.
    fn boards_command(&self) -> Line;
    fn parse_boards(&self, out: &str) -> Result<Vec<Board>, GponParseError>;

    /// Every ONT of one port (list joined with descriptions).
    fn ont_list_commands(&self, fsp: Fsp) -> Vec<Line>;
    /// The outputs of [`GponCli::ont_list_commands`], in order.
    fn parse_ont_list(&self, fsp: Fsp, outs: &[String]) -> Result<Vec<OntRow>, GponParseError>;

    /// The port summary (down cause, distance, Rx/Tx of every ONT).
    fn summary_command(&self, fsp: Fsp) -> Line;
    fn parse_summary(&self, fsp: Fsp, out: &str) -> Result<Vec<OntSummary>, GponParseError>;

    /// The optics of every ONT on a port in one command, when the dialect has one.
    fn port_optics_command(&self, fsp: Fsp) -> Option<Line>;
    fn parse_port_optics(&self, out: &str) -> Result<Vec<PortOptics>, GponParseError>;

    fn detail_command(&self, fsp: Fsp, ont_id: u32) -> Line;
    fn parse_detail(&self, out: &str) -> Result<OntDetail, GponParseError>;

    fn optics_command(&self, fsp: Fsp, ont_id: u32) -> Line;
    fn parse_optics(&self, out: &str) -> Result<Optics, GponParseError>;

    /// Autofind over the whole OLT.
    fn autofind_command(&self) -> Line;
    fn parse_autofind(&self, out: &str) -> Result<Vec<Autofind>, GponParseError>;

    fn service_ports_command(&self) -> Line;
    fn service_ports_of_command(&self, fsp: Fsp, ont_id: u32) -> Line;
    fn parse_service_ports(&self, out: &str) -> Result<Vec<ServicePort>, GponParseError>;

    fn macs_of_command(&self, fsp: Fsp, ont_id: u32) -> Line;
    fn parse_macs(&self, out: &str) -> Result<Vec<OntMac>, GponParseError>;

    fn line_profiles_command(&self) -> Line;
    fn service_profiles_command(&self) -> Line;
    fn parse_profiles(&self, out: &str) -> Result<Vec<OltProfile>, GponParseError>;

    fn port_traffic_command(&self, fsp: Fsp) -> Line;
    fn parse_traffic(&self, out: &str) -> Result<Traffic, GponParseError>;

    /// Whether a refusal of this output's command means "there are none"
    /// (`Failure: The automatically found ONTs do not exist`, `Failure: There
    /// is no ONT available`, ZTE `%Code 32310-GPONSRV : No related
    /// information to show.`), as opposed to a real error.
    fn failure_means_none(&self, message: &str) -> bool;

    // Registration and deletion steps. Each returns the lines of one step;
    // the parser of its answer reads what the step produced.

    /// Add the ONT (Huawei `ont confirm` / `ont add`; ZTE `onu N type T sn S`).
    /// `free_id` is the ONT-ID to use where the dialect makes the caller
    /// choose (ZTE), from [`GponCli::parse_ont_list`].
    fn add_ont_commands(&self, plan: &RegistrationPlan, free_id: u32) -> Vec<Line>;
    /// The ONT-ID the OLT gave (`PortID :0, ONTID :5`), or the refusal.
    fn parse_added(&self, out: &str, free_id: u32) -> Result<u32, GponParseError>;
    /// Huawei: `display service-port next-free-index`; `None` where the
    /// dialect numbers service ports per ONT (ZTE).
    fn next_free_index_command(&self) -> Option<Line>;
    fn parse_next_free_index(&self, out: &str) -> Result<u32, GponParseError>;
    /// The service port (and ZTE's tcont/gemport lines).
    fn service_port_commands(&self, plan: &RegistrationPlan, ont_id: u32, index: u32) -> Vec<Line>;
    /// The native VLAN of a bridge-type ONT's eth 1 (empty when not needed).
    fn native_vlan_commands(&self, plan: &RegistrationPlan, ont_id: u32) -> Vec<Line>;
    /// `save` (Huawei) / `write` (ZTE).
    fn save_command(&self) -> Line;
    /// Whether `save`'s output says it saved.
    fn parse_saved(&self, out: &str) -> Result<(), GponParseError>;
    /// Remove one service port (Huawei `undo service-port IDX`; ZTE `no
    /// service-port N` in the ONU's interface, so the whole row is given).
    fn undo_service_port_command(&self, port: &ServicePort) -> Line;
    fn delete_ont_commands(&self, fsp: Fsp, ont_id: u32) -> Vec<Line>;
    /// Find an ONT by SN anywhere on the OLT (Huawei `display ont info
    /// by-sn SN`): its port and id, or `None` when the OLT does not know it.
    fn find_by_sn_command(&self, sn: &str) -> Line;
    fn parse_find_by_sn(&self, out: &str) -> Result<Option<(Fsp, u32)>, GponParseError>;
}

/// Signal class of an ONT's Rx (G.984 class B+, thresholds configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// No reading (offline, or 0 dBm printed).
    None,
    Good,
    Marginal,
    Bad,
    /// Hotter than the receiver likes (above the high threshold).
    Overload,
}

/// Where the signal classes change, dBm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Above this the receiver overloads (−8).
    pub high: f64,
    /// At or above this (and at most `high`) the signal is good (−27).
    pub good: f64,
    /// At or above this (below `good`) marginal; below it bad (−30).
    pub marginal: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high: -8.0,
            good: -27.0,
            marginal: -30.0,
        }
    }
}

impl Thresholds {
    /// The class of an Rx reading; 0 dBm (what an OLT prints for "none") and
    /// no reading are [`Signal::None`].
    pub fn classify(&self, rx_dbm: Option<f64>) -> Signal {
        match rx_dbm {
            None => Signal::None,
            Some(v) if v == 0.0 || !v.is_finite() => Signal::None,
            Some(v) if v > self.high => Signal::Overload,
            Some(v) if v >= self.good => Signal::Good,
            Some(v) if v >= self.marginal => Signal::Marginal,
            Some(_) => Signal::Bad,
        }
    }
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::None => "none",
            Signal::Good => "good",
            Signal::Marginal => "marginal",
            Signal::Bad => "bad",
            Signal::Overload => "overload",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_reads_in_every_printed_form() {
        for s in ["0/1/0", "0/ 1/0", "0 /1 /0", " 0/1 /0 ", "0/ 1/ 0"] {
            assert_eq!(s.parse::<Fsp>(), Ok(Fsp::new(0, 1, 0)), "{s:?}");
        }
        assert_eq!(Fsp::new(0, 1, 15).to_string(), "0/1/15");
        for bad in ["", "0/1", "0/1/0/1", "a/1/0", "0/1/256"] {
            assert!(bad.parse::<Fsp>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_sn_reads_in_every_form_and_prints_its_label_form() {
        let c = Some("48575443CCB59A20".to_string());
        for s in [
            "48575443CCB59A20",
            "48575443ccb59a20",
            "HWTC-CCB59A20",
            "HWTCCCB59A20",
            "hwtc:ccb59a20",
            " HWTC CCB59A20 ",
        ] {
            assert_eq!(normalise_sn(s), c, "{s:?}");
        }
        assert_eq!(vendor_sn("48575443CCB59A20"), "HWTC-CCB59A20");
        assert_eq!(
            normalise_sn("ZTEGC0A1B2C3").as_deref(),
            Some("5A544547C0A1B2C3")
        );
        for bad in [
            "",
            "HWTC-CCB59A2",
            "0000000011112222",
            "HWTC-CCB59A2G",
            "XYZ",
        ] {
            assert_eq!(normalise_sn(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn signal_classes_follow_the_thresholds() {
        let t = Thresholds::default();
        assert_eq!(t.classify(Some(-19.26)), Signal::Good);
        assert_eq!(t.classify(Some(-27.0)), Signal::Good);
        assert_eq!(t.classify(Some(-28.5)), Signal::Marginal);
        assert_eq!(t.classify(Some(-30.0)), Signal::Marginal);
        assert_eq!(t.classify(Some(-31.2)), Signal::Bad);
        assert_eq!(t.classify(Some(-5.0)), Signal::Overload);
        assert_eq!(t.classify(Some(0.0)), Signal::None);
        assert_eq!(t.classify(None), Signal::None);
    }
}
