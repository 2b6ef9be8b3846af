//! The values a card shows, as a test reads them back: dates, statuses,
//! money, and the subscriber itself ([`BillingSubscriber`]).

use std::fmt;
use std::net::Ipv4Addr;

/// A calendar date as the cabinet prints it (`DD.MM.YYYY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// `DD.MM.YYYY` (the stat form's fields); `None` for anything else or an
    /// impossible date.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().split('.');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || d.len() != 2 || m.len() != 2 || y.len() != 4 {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        (Date::from_days(date.days()) == date).then_some(date)
    }

    /// Days since 1970-01-01 (Hinnant's `days_from_civil`): stat rows and
    /// date arithmetic count in these.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days`].
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}.{:02}.{:04}", self.day, self.month, self.year)
    }
}

/// Why a blocked subscriber is blocked; each reason's status text contains
/// exactly one [`BlockReason::marker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    Disabled,
    LimitExceeded,
    OutOfFunds,
}

impl BlockReason {
    pub const ALL: [BlockReason; 3] = [
        BlockReason::Disabled,
        BlockReason::LimitExceeded,
        BlockReason::OutOfFunds,
    ];

    /// The words a scraper looks for in the status (what the old tool
    /// showed red).
    pub fn marker(self) -> &'static str {
        match self {
            BlockReason::Disabled => "Пользователь отключен",
            BlockReason::LimitExceeded => "превышен лимит",
            BlockReason::OutOfFunds => "Недостаточно средств",
        }
    }

    /// The status texts of this reason; a subscriber keeps one (by its seed).
    pub(crate) fn texts(self) -> [&'static str; 2] {
        match self {
            BlockReason::Disabled => [
                "Пользователь отключен",
                "Пользователь отключен администратором",
            ],
            BlockReason::LimitExceeded => [
                "Доступ ограничен: превышен лимит",
                "Заблокирован (превышен лимит трафика)",
            ],
            BlockReason::OutOfFunds => [
                "Недостаточно средств на счёте",
                "Блокировка: Недостаточно средств",
            ],
        }
    }
}

/// A subscriber's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    Blocked(BlockReason),
}

impl Status {
    /// The card's text: `Активен` or `Включен` for an active one (by
    /// `variant`), a reason's text for a blocked one.
    pub(crate) fn text(self, variant: u64) -> &'static str {
        let i = (variant % 2) as usize;
        match self {
            Status::Active => ["Активен", "Включен"][i],
            Status::Blocked(r) => r.texts()[i],
        }
    }
}

/// Money in Russian notation: `-1 234,56 руб.` with `sep` between the
/// thousands (a space, a non-breaking space, or `&nbsp;` in HTML).
pub(crate) fn rubles(kopecks: i64, sep: &str) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let k = kopecks.unsigned_abs();
    let whole = (k / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + 8);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push_str(sep);
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02} руб.", k % 100)
}

/// One subscriber as its card shows it (plain values, not HTML): what a
/// scraper should read back. Phones are as printed (strip the non-digits to
/// compare); `mac` is lower-case colon form whatever notation the card uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingSubscriber {
    /// The path segment of the card (`/cabinet/userinfo/{id}`).
    pub id: u32,
    pub folder_id: u32,
    pub login: String,
    pub full_name: String,
    /// The tree's link text before `<login>`: usually the street address.
    pub display_name: String,
    pub contract_number: String,
    pub contract_date: Date,
    pub address: String,
    pub phones: Vec<String>,
    /// `None`: the card's e-mail cell is empty.
    pub email: Option<String>,
    pub balance_kopecks: i64,
    pub credit_kopecks: i64,
    pub tariff: String,
    pub status: Status,
    /// The status cell's text (without the tags around it).
    pub status_text: String,
    pub ip: Ipv4Addr,
    pub mac: String,
    pub connected_on: Date,
    /// The add-ons table has the odd-shaped "dedicated IP" row.
    pub dedicated_ip: bool,
    /// One of the [`Population`](crate::Population)'s subscribers (else
    /// billing-only: not connected to the emulated network).
    pub in_population: bool,
}

/// A folder of the tree (a district).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingFolder {
    pub id: u32,
    pub name: String,
    /// Subscriber ids, in the folder page's order.
    pub subscribers: Vec<u32>,
}

/// One field of a card, with its new value, for
/// [`Cabinet::change`](super::Cabinet::change). The status changes through
/// [`Cabinet::block`](super::Cabinet::block) /
/// [`Cabinet::unblock`](super::Cabinet::unblock), the folder through
/// [`Cabinet::move_to_folder`](super::Cabinet::move_to_folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Login(String),
    FullName(String),
    DisplayName(String),
    ContractNumber(String),
    ContractDate(Date),
    Address(String),
    Phones(Vec<String>),
    Email(Option<String>),
    BalanceKopecks(i64),
    CreditKopecks(i64),
    Tariff(String),
    Ip(Ipv4Addr),
    /// Any common notation (`AA-BB-..`, `aa:bb:..`, `aabb.ccdd.eeff`).
    Mac(String),
    ConnectedOn(Date),
    DedicatedIp(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_numbers_and_the_cabinet_notation() {
        let d = Date::parse("29.02.2024").unwrap();
        assert_eq!(d.to_string(), "29.02.2024");
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(Date::from_days(0).to_string(), "01.01.1970");
        assert_eq!(Date::parse("01.03.2024").unwrap().days() - d.days(), 1);
        assert!(Date::parse("30.02.2024").is_none());
        assert!(Date::parse("1.2.2024").is_none());
        assert!(Date::parse("2024-02-01").is_none());
    }

    #[test]
    fn money_is_printed_with_thousands_and_a_comma() {
        assert_eq!(rubles(123_456, " "), "1 234,56 руб.");
        assert_eq!(rubles(-5, " "), "-0,05 руб.");
        assert_eq!(
            rubles(-123_456_700, "&nbsp;"),
            "-1&nbsp;234&nbsp;567,00 руб."
        );
        assert_eq!(rubles(99_900, " "), "999,00 руб.");
    }
}
