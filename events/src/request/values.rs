//! The values of a connection request: its status and the transitions
//! between statuses, the "for whom" label and its palette, the visit, the
//! GPON hints for the registration it hands over to, and what it is about
//! ([`RequestDetails`]).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::phone::normalise_phone;
use crate::ticket::{chars, tidy_opt, MAX_LOGIN, MAX_REF};

/// Where a request stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[default]
    Open,
    /// Staff wrote and wait for the subscriber's answer.
    AwaitingReply,
    /// A visit is agreed.
    Scheduled,
    /// The installer is on it.
    InProgress,
    /// Connected: the registration can be handed over.
    Done,
    /// In the trash (restored by going back to `open`).
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 6] = [
        RequestStatus::Open,
        RequestStatus::AwaitingReply,
        RequestStatus::Scheduled,
        RequestStatus::InProgress,
        RequestStatus::Done,
        RequestStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::AwaitingReply => "awaiting_reply",
            RequestStatus::Scheduled => "scheduled",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Done => "done",
            RequestStatus::Closed => "closed",
        }
    }

    /// The status [`RequestStatus::as_str`] names, if `s` is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Still to be done: counts against an area's cap of open visits.
    pub fn is_active(self) -> bool {
        !matches!(self, RequestStatus::Done | RequestStatus::Closed)
    }
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a request may go from `from` to `to`: the whole transition
/// table. The four working statuses go to one another and to done or the
/// trash; done is closed or reopened (back in progress); the trash is
/// restored to open. Staying where it is is not a transition.
pub fn allowed(from: RequestStatus, to: RequestStatus) -> bool {
    use RequestStatus::*;
    match from {
        Open | AwaitingReply | Scheduled | InProgress => from != to,
        Done => matches!(to, Closed | InProgress),
        Closed => matches!(to, Open),
    }
}

/// What to do instead of a forbidden transition, for its message.
pub(super) fn forbidden_message(from: RequestStatus, to: RequestStatus) -> String {
    let hint = match from {
        RequestStatus::Closed => "restore it from the trash first",
        RequestStatus::Done => "reopen it (in progress) first",
        _ => "choose another status",
    };
    format!("a {from} request cannot go to {to}; {hint}")
}

/// The colours of the "for whom" label: the old tool's palette, as CSS
/// names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Colour {
    #[serde(rename = "red")]
    Red,
    DarkRed,
    Goldenrod,
    SaddleBrown,
    DodgerBlue,
    Blue,
    LimeGreen,
    Green,
    DarkSlateGray,
    DarkViolet,
    #[default]
    Black,
}

impl Colour {
    pub const ALL: [Colour; 11] = [
        Colour::Red,
        Colour::DarkRed,
        Colour::Goldenrod,
        Colour::SaddleBrown,
        Colour::DodgerBlue,
        Colour::Blue,
        Colour::LimeGreen,
        Colour::Green,
        Colour::DarkSlateGray,
        Colour::DarkViolet,
        Colour::Black,
    ];

    /// The CSS name, exactly as the old palette spelt it.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::DarkRed => "DarkRed",
            Colour::Goldenrod => "Goldenrod",
            Colour::SaddleBrown => "SaddleBrown",
            Colour::DodgerBlue => "DodgerBlue",
            Colour::Blue => "Blue",
            Colour::LimeGreen => "LimeGreen",
            Colour::Green => "Green",
            Colour::DarkSlateGray => "DarkSlateGray",
            Colour::DarkViolet => "DarkViolet",
            Colour::Black => "Black",
        }
    }

    /// The colour [`Colour::as_str`] names (exactly), if `s` is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// The "for whom" label of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub text: String,
    pub colour: Colour,
}

/// The label a request opens with, as in the old tool.
pub const DEFAULT_LABEL: &str = "для всех";
pub const MAX_LABEL: usize = 50;

impl Default for Label {
    fn default() -> Self {
        Label {
            text: DEFAULT_LABEL.to_string(),
            colour: Colour::Black,
        }
    }
}

/// An installer's visit: a day and a time window (`from < to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub date: NaiveDate,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

/// What is known for the GPON registration the request hands over to,
/// pre-filled on its form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GponHints {
    /// The ONT's serial: 16 hex digits (`48575443CCB59A20`), upper case.
    pub sn: Option<String>,
    /// The OLT's aggregate id.
    pub olt_id: Option<String>,
    /// `frame/slot/port` (`0/1/3`).
    pub port: Option<String>,
    /// A registration profile's name.
    pub profile: Option<String>,
}

/// What a request is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetails {
    /// The subject (the old tool's "name"): who or what to connect.
    pub name: String,
    pub address: String,
    /// The billing's id of the subscriber, once known.
    pub subscriber_id: Option<String>,
    pub login: Option<String>,
    /// `+7XXXXXXXXXX` ([`normalise_phone`]).
    pub phone: Option<String>,
    /// The area the visit is in, for its cap of open visits a day.
    pub area: Option<String>,
    pub gpon: GponHints,
}

pub const MAX_NAME: usize = 200;
pub const MAX_ADDRESS: usize = 300;
pub const MAX_AREA: usize = 100;
pub const MAX_PORT: usize = 32;

fn is_sn(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_port(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl RequestDetails {
    /// Trimmed, empty optional values dropped, the phone normalised when it
    /// is one and the serial upper-cased (left as typed otherwise, for
    /// [`RequestDetails::errors`]).
    pub fn tidy(self) -> Self {
        let phone = tidy_opt(self.phone).map(|p| normalise_phone(&p).unwrap_or(p));
        RequestDetails {
            name: self.name.trim().to_string(),
            address: self.address.trim().to_string(),
            subscriber_id: tidy_opt(self.subscriber_id),
            login: tidy_opt(self.login),
            phone,
            area: tidy_opt(self.area),
            gpon: GponHints {
                sn: tidy_opt(self.gpon.sn).map(|s| s.to_ascii_uppercase()),
                olt_id: tidy_opt(self.gpon.olt_id),
                port: tidy_opt(self.gpon.port),
                profile: tidy_opt(self.gpon.profile),
            },
        }
    }

    /// Each field's problem, in the order of the form.
    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let name = chars(self.name.trim());
        if name == 0 {
            out.push(("name", "write who or what to connect".to_string()));
        } else if name > MAX_NAME {
            out.push(("name", format!("at most {MAX_NAME} characters")));
        }
        if chars(&self.address) > MAX_ADDRESS {
            out.push(("address", format!("at most {MAX_ADDRESS} characters")));
        }
        if self
            .subscriber_id
            .as_deref()
            .is_some_and(|v| chars(v) > MAX_REF)
        {
            out.push(("subscriber_id", format!("at most {MAX_REF} characters")));
        }
        if self.login.as_deref().is_some_and(|l| chars(l) > MAX_LOGIN) {
            out.push(("login", format!("at most {MAX_LOGIN} characters")));
        }
        if self
            .phone
            .as_deref()
            .is_some_and(|p| normalise_phone(p).is_none())
        {
            out.push((
                "phone",
                "not a Russian phone number (+7 and ten digits)".to_string(),
            ));
        }
        if self.area.as_deref().is_some_and(|a| chars(a) > MAX_AREA) {
            out.push(("area", format!("at most {MAX_AREA} characters")));
        }
        let g = &self.gpon;
        if g.sn.as_deref().is_some_and(|s| !is_sn(s)) {
            out.push(("sn", "an ONT serial is 16 hex digits".to_string()));
        }
        if g.olt_id.as_deref().is_some_and(|v| chars(v) > MAX_REF) {
            out.push(("olt_id", format!("at most {MAX_REF} characters")));
        }
        if g.port.as_deref().is_some_and(|p| !is_port(p)) {
            out.push(("port", "a port is frame/slot/port, e.g. 0/1/3".to_string()));
        }
        if g.profile.as_deref().is_some_and(|v| chars(v) > MAX_REF) {
            out.push(("profile", format!("at most {MAX_REF} characters")));
        }
        out
    }
}

/// The registration a done request offers to start, pre-filled with what
/// the request knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationOffer {
    pub sn: Option<String>,
    pub olt_id: Option<String>,
    pub port: Option<String>,
    pub profile: Option<String>,
    /// The ONT's description: the login when known, else the subject.
    pub name: String,
}

/// The registration a request handed over to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationLink {
    /// The GponJob (registration saga) id.
    pub job_id: String,
    /// The ONT's aggregate id, once registered.
    pub ont_id: Option<String>,
}
