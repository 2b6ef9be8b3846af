//! The values of a ticket: its priority, its status and the transitions
//! between statuses, what it is about ([`TicketDetails`]) and where it came
//! from ([`TicketSource`]).

use serde::{Deserialize, Serialize};

use crate::phone::normalise_phone;

/// How soon a ticket needs an answer; each has its SLA policy.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// The priority [`Priority::as_str`] names, if `s` is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TicketStatus {
    #[default]
    Open,
    InProgress,
    /// The subscriber has to answer or let the installer in: the SLA clock
    /// stops.
    WaitingSubscriber,
    /// Parts are on their way: the SLA clock stops.
    WaitingParts,
    Resolved,
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 6] = [
        TicketStatus::Open,
        TicketStatus::InProgress,
        TicketStatus::WaitingSubscriber,
        TicketStatus::WaitingParts,
        TicketStatus::Resolved,
        TicketStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::InProgress => "in-progress",
            TicketStatus::WaitingSubscriber => "waiting-subscriber",
            TicketStatus::WaitingParts => "waiting-parts",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    /// The status [`TicketStatus::as_str`] names, if `s` is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Waiting on someone else: the SLA clock stands still.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            TicketStatus::WaitingSubscriber | TicketStatus::WaitingParts
        )
    }

    /// Resolved or closed: the work is over (until a reopen).
    pub fn is_done(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a ticket may go from `from` to `to`: the whole transition table.
/// Staying where it is is not a transition.
pub fn allowed(from: TicketStatus, to: TicketStatus) -> bool {
    use TicketStatus::*;
    match from {
        Open => matches!(
            to,
            InProgress | WaitingSubscriber | WaitingParts | Resolved | Closed
        ),
        InProgress => matches!(
            to,
            WaitingSubscriber | WaitingParts | Resolved | Closed | Open
        ),
        WaitingSubscriber | WaitingParts => matches!(to, InProgress | Open | Resolved | Closed),
        Resolved => matches!(to, Closed | Open | InProgress),
        Closed => matches!(to, Open),
    }
}

/// What to do instead of a forbidden transition, for its message.
pub(super) fn forbidden_message(from: TicketStatus, to: TicketStatus) -> String {
    let hint = match from {
        TicketStatus::Closed | TicketStatus::Resolved => "reopen it first",
        TicketStatus::WaitingSubscriber | TicketStatus::WaitingParts => "take it in progress first",
        TicketStatus::Open | TicketStatus::InProgress => "choose another status",
    };
    format!("a {from} ticket cannot go to {to}; {hint}")
}

/// Where the trouble is on the network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLinks {
    /// A switch port: `switch-name Gi0/5`.
    pub port: Option<String>,
    /// The ONT's aggregate id (`OLT-ID:SN`).
    pub ont_id: Option<String>,
    /// A monitored host's id.
    pub host_id: Option<String>,
}

/// What a ticket is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetails {
    /// The billing's id of the subscriber, when known.
    pub subscriber_id: Option<String>,
    pub login: Option<String>,
    pub address: String,
    /// `+7XXXXXXXXXX` ([`normalise_phone`]).
    pub phone: Option<String>,
    pub problem: String,
    pub category: String,
    pub priority: Priority,
    pub links: TicketLinks,
}

pub const MAX_PROBLEM: usize = 4000;
pub const MAX_ADDRESS: usize = 300;
pub const MAX_CATEGORY: usize = 64;
pub const MAX_LOGIN: usize = 64;
/// An id or a port name.
pub const MAX_REF: usize = 128;

pub(crate) fn tidy_opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

impl TicketDetails {
    /// Trimmed, empty optional values dropped, the phone normalised when it
    /// is one (left as typed otherwise, for [`TicketDetails::errors`]).
    pub fn tidy(self) -> Self {
        let phone = tidy_opt(self.phone).map(|p| normalise_phone(&p).unwrap_or(p));
        TicketDetails {
            subscriber_id: tidy_opt(self.subscriber_id),
            login: tidy_opt(self.login),
            address: self.address.trim().to_string(),
            phone,
            problem: self.problem.trim().to_string(),
            category: self.category.trim().to_string(),
            priority: self.priority,
            links: TicketLinks {
                port: tidy_opt(self.links.port),
                ont_id: tidy_opt(self.links.ont_id),
                host_id: tidy_opt(self.links.host_id),
            },
        }
    }

    pub fn errors(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let problem = chars(self.problem.trim());
        if problem == 0 {
            out.push(("problem", "describe the problem".to_string()));
        } else if problem > MAX_PROBLEM {
            out.push(("problem", format!("at most {MAX_PROBLEM} characters")));
        }
        if chars(&self.address) > MAX_ADDRESS {
            out.push(("address", format!("at most {MAX_ADDRESS} characters")));
        }
        let category = self.category.trim();
        let category_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ');
        if category.is_empty() || chars(category) > MAX_CATEGORY {
            out.push((
                "category",
                format!("a category is 1 to {MAX_CATEGORY} characters"),
            ));
        } else if !category.chars().all(category_char) {
            out.push((
                "category",
                "letters, digits, spaces, - and _ only".to_string(),
            ));
        }
        if let Some(phone) = &self.phone {
            if normalise_phone(phone).is_none() {
                out.push((
                    "phone",
                    "not a Russian phone number (+7 and ten digits)".to_string(),
                ));
            }
        }
        if self.login.as_deref().is_some_and(|l| chars(l) > MAX_LOGIN) {
            out.push(("login", format!("at most {MAX_LOGIN} characters")));
        }
        for (field, value) in [
            ("subscriber_id", &self.subscriber_id),
            ("port", &self.links.port),
            ("ont_id", &self.links.ont_id),
            ("host_id", &self.links.host_id),
        ] {
            if value.as_deref().is_some_and(|v| chars(v) > MAX_REF) {
                out.push((field, format!("at most {MAX_REF} characters")));
            }
        }
        out
    }
}

/// Who opened the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    /// Staff, in ispmon.
    Staff,
    /// The billing cabinet's helpdesk (imported).
    Billing { billing_ticket_id: String },
}
