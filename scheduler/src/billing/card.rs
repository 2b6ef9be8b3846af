//! A card's rows turned into a [`Card`], by meaning: cabinets of different
//! versions (and different staff) print `Договор`, `Номер договора` or
//! `№ договора` for the same thing, so labels are matched case-insensitively,
//! without their colon, against synonyms. Pure; the HTML side is in
//! [`super::pages`].

use super::{BillingError, Blocked, Card};
use crate::cli::normalise_mac;

/// What a card label means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Login,
    FullName,
    Contract,
    ContractDate,
    Address,
    Phone,
    Email,
    Balance,
    Credit,
    Tariff,
    Status,
    Ip,
    Mac,
    Connected,
}

/// Synonyms, in the form [`label_key`] leaves them.
const LABELS: &[(&str, Meaning)] = &[
    ("логин", Meaning::Login),
    ("login", Meaning::Login),
    ("фио", Meaning::FullName),
    ("полное имя", Meaning::FullName),
    ("имя", Meaning::FullName),
    ("номер договора", Meaning::Contract),
    ("договор", Meaning::Contract),
    ("№ договора", Meaning::Contract),
    ("дата договора", Meaning::ContractDate),
    ("дата заключения договора", Meaning::ContractDate),
    ("учетная запись", Meaning::Login),
    ("логин пользователя", Meaning::Login),
    ("адрес электронной почты", Meaning::Email),
    ("электронная почта", Meaning::Email),
    ("текущий баланс", Meaning::Balance),
    ("статус пользователя", Meaning::Status),
    ("статус учетной записи", Meaning::Status),
    ("состояние учетной записи", Meaning::Status),
    ("ip адреса", Meaning::Ip),
    ("mac адреса", Meaning::Mac),
    ("адрес", Meaning::Address),
    ("адрес подключения", Meaning::Address),
    ("телефон", Meaning::Phone),
    ("телефоны", Meaning::Phone),
    ("мобильный телефон", Meaning::Phone),
    ("контактный телефон", Meaning::Phone),
    ("e mail", Meaning::Email),
    ("email", Meaning::Email),
    ("эл. почта", Meaning::Email),
    ("баланс", Meaning::Balance),
    ("кредит", Meaning::Credit),
    ("тариф", Meaning::Tariff),
    ("тарифный план", Meaning::Tariff),
    ("статус", Meaning::Status),
    ("состояние", Meaning::Status),
    ("ip", Meaning::Ip),
    ("ip адрес", Meaning::Ip),
    ("mac", Meaning::Mac),
    ("mac адрес", Meaning::Mac),
    ("дата подключения", Meaning::Connected),
];

/// Whitespace runs (newlines, tabs, NBSP) as one space, trimmed.
pub fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A label as printed, without its trailing colon, whitespace collapsed.
pub fn label_text(raw: &str) -> String {
    let t = collapse(raw);
    t.trim_end_matches([':', ' ']).to_string()
}

/// The form labels are compared in: lower case, `ё` as `е`, hyphens as
/// spaces (`IP-адрес` = `IP адрес`, `E-mail` = `E mail`), a unit or a
/// remark after a comma or in brackets left out (`Баланс, руб.` and
/// `Баланс (руб.)` are `баланс`, `Телефон(ы)` is `телефон`).
fn label_key(label: &str) -> String {
    let lower = label.to_lowercase().replace('ё', "е").replace('-', " ");
    let head = lower.split([',', '(']).next().unwrap_or_default();
    collapse(head)
}

fn meaning(label: &str) -> Option<Meaning> {
    let key = label_key(label);
    LABELS.iter().find(|(l, _)| *l == key).map(|(_, m)| *m)
}

/// Why a status blocks the subscriber, if it does.
pub fn blocked(status: &str) -> Option<Blocked> {
    let s = status.to_lowercase().replace('ё', "е");
    if s.contains("пользователь отключен") {
        Some(Blocked::Disabled)
    } else if s.contains("превышен лимит") {
        Some(Blocked::LimitExceeded)
    } else if s.contains("недостаточно средств") {
        Some(Blocked::OutOfFunds)
    } else {
        None
    }
}

/// An amount in Russian notation: `1 234,56 руб.`, `-10,00`, `−5`, with
/// NBSP or thin spaces between thousands; also `1234.56`. `None` when
/// there is no number, or more than one.
pub fn parse_money(text: &str) -> Option<f64> {
    let t = text.trim();
    let mut digits = String::new();
    let mut rest = t;
    if let Some(r) = t.strip_prefix(['-', '−', '–']) {
        digits.push('-');
        rest = r.trim_start();
    }
    let mut seen_digit = false;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '0'..='9' => {
                digits.push(c);
                seen_digit = true;
            }
            ',' | '.' if seen_digit => digits.push('.'),
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' if seen_digit => {}
            _ => {
                end = i;
                break;
            }
        }
    }
    if !seen_digit {
        return None;
    }
    // What follows the number may only be a currency word.
    let tail = rest[end..].trim().trim_end_matches('.').to_lowercase();
    if !tail.is_empty() && !matches!(tail.as_str(), "руб" | "р" | "rub" | "₽") {
        return None;
    }
    let digits = digits.trim_end_matches('.');
    // `1.234.56` is a thousands dot then the decimal: keep the last one.
    let (int, frac) = match digits.rfind('.') {
        Some(i) => (digits[..i].replace('.', ""), &digits[i + 1..]),
        None => (digits.to_string(), ""),
    };
    let number = if frac.is_empty() {
        int
    } else {
        format!("{int}.{frac}")
    };
    number.parse().ok()
}

/// Phones from one cell: several numbers separated by commas, semicolons
/// or line breaks.
pub fn split_phones(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split([',', ';', '\n'])
        .map(collapse)
        .filter(|p| !p.is_empty())
}

/// A card from its rows of (label, value) as printed (`value` may hold
/// line breaks where the cell had `<br>`). `page` names the page in
/// errors. The login is its labelled row's; without one, the second row's
/// value when it is one word (the cabinet prints the login second); a card
/// with neither is a structure error.
pub fn card_from_rows(
    page: &str,
    billing_id: &str,
    rows: impl IntoIterator<Item = (String, String)>,
    dedicated_ip: bool,
) -> Result<Card, BillingError> {
    let mut card = Card {
        billing_id: billing_id.to_string(),
        dedicated_ip,
        ..Card::default()
    };
    let mut login = None;
    let mut second = None;
    for (n, (raw_label, raw_value)) in rows.into_iter().enumerate() {
        let value = collapse(&raw_value);
        if n == 1 && !value.is_empty() && !value.contains(' ') {
            second = Some(value.clone());
        }
        let label = label_text(&raw_label);
        if label.is_empty() {
            continue;
        }
        let some = || (!value.is_empty()).then(|| value.clone());
        match meaning(&label) {
            Some(Meaning::Login) => login = login.or(some()),
            Some(Meaning::FullName) => card.full_name = card.full_name.or(some()),
            Some(Meaning::Contract) => card.contract = card.contract.or(some()),
            Some(Meaning::ContractDate) => card.contract_date = card.contract_date.or(some()),
            Some(Meaning::Address) => card.address = card.address.or(some()),
            Some(Meaning::Phone) => card.phones.extend(split_phones(&raw_value)),
            Some(Meaning::Email) => card.email = card.email.or(some()),
            Some(Meaning::Balance) => card.balance = card.balance.or(parse_money(&value)),
            Some(Meaning::Credit) => card.credit = card.credit.or(parse_money(&value)),
            Some(Meaning::Tariff) => card.tariff = card.tariff.or(some()),
            Some(Meaning::Status) if card.status.is_empty() => card.status = value.clone(),
            Some(Meaning::Status) => {}
            Some(Meaning::Ip) => card.ip = card.ip.or(some()),
            Some(Meaning::Mac) => card.mac = card.mac.or(normalise_mac(&value)),
            Some(Meaning::Connected) => card.connected = card.connected.or(some()),
            None => {}
        }
        card.fields
            .entry(label)
            .and_modify(|v| {
                if !value.is_empty() {
                    if !v.is_empty() {
                        v.push_str(", ");
                    }
                    v.push_str(&value);
                }
            })
            .or_insert(value);
    }
    card.login = login
        .or(second)
        .ok_or_else(|| BillingError::structure(page, "login row in the card"))?;
    card.blocked = blocked(&card.status);
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(l: &str, v: &str) -> (String, String) {
        (l.to_string(), v.to_string())
    }

    #[test]
    fn russian_money_reads_with_spaces_nbsp_commas_minus_and_the_currency() {
        assert_eq!(parse_money("1 234,56 руб."), Some(1234.56));
        assert_eq!(parse_money("1\u{a0}234,56\u{a0}руб."), Some(1234.56));
        assert_eq!(parse_money("-10,00 руб."), Some(-10.0));
        assert_eq!(parse_money("− 5,5"), Some(-5.5));
        assert_eq!(parse_money("0"), Some(0.0));
        assert_eq!(parse_money("1234.5"), Some(1234.5));
        assert_eq!(parse_money("1.234,50"), Some(1234.5));
        assert_eq!(parse_money("12 р."), Some(12.0));
        assert_eq!(parse_money(""), None);
        assert_eq!(parse_money("нет"), None);
        assert_eq!(parse_money("12 abc"), None);
    }

    #[test]
    fn a_blocking_status_is_recognised_whatever_its_case_and_its_yo() {
        assert_eq!(
            blocked("Активен, ПОЛЬЗОВАТЕЛЬ ОТКЛЮЧЁН"),
            Some(Blocked::Disabled)
        );
        assert_eq!(
            blocked("Превышен лимит трафика"),
            Some(Blocked::LimitExceeded)
        );
        assert_eq!(
            blocked("недостаточно средств на счёте"),
            Some(Blocked::OutOfFunds)
        );
        assert_eq!(blocked("Активен"), None);
    }

    #[test]
    fn labels_map_by_meaning_and_every_label_is_kept_as_printed() {
        let card = card_from_rows(
            "/cabinet/userinfo/7",
            "7",
            vec![
                row("ФИО:", "Иванов  Иван\n Иванович"),
                row(" логин : ", "r637_12"),
                row("№ договора:", "Д-17"),
                row("Адрес подключения:", "Московская 5 а"),
                row("Телефон:", "+7 900 000-00-01, 8 (4852) 11-22-33"),
                row("Мобильный телефон:", "+7 911 111-11-11;+7 922\n+7 933"),
                row("E-mail:", "a@b.ru"),
                row("Баланс:", "-1 234,56 руб."),
                row("Кредит:", "500 руб."),
                row("Тарифный план:", "Домашний 100"),
                row("Состояние:", "Недостаточно средств"),
                row("IP-адрес:", "10.0.0.7"),
                row("MAC-адрес:", "00-1A-2B-3C-4D-5E"),
                row("Дата подключения:", "01.02.2020"),
                row("Примечание:", "с собакой"),
            ],
            true,
        )
        .unwrap();
        assert_eq!(card.login, "r637_12");
        assert_eq!(card.full_name.as_deref(), Some("Иванов Иван Иванович"));
        assert_eq!(card.contract.as_deref(), Some("Д-17"));
        assert_eq!(card.address.as_deref(), Some("Московская 5 а"));
        assert_eq!(
            card.phones,
            vec![
                "+7 900 000-00-01",
                "8 (4852) 11-22-33",
                "+7 911 111-11-11",
                "+7 922",
                "+7 933"
            ]
        );
        assert_eq!(card.email.as_deref(), Some("a@b.ru"));
        assert_eq!(card.balance, Some(-1234.56));
        assert_eq!(card.credit, Some(500.0));
        assert_eq!(card.tariff.as_deref(), Some("Домашний 100"));
        assert_eq!(card.blocked, Some(Blocked::OutOfFunds));
        assert_eq!(card.ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(card.mac.as_deref(), Some("00:1a:2b:3c:4d:5e"));
        assert_eq!(card.connected.as_deref(), Some("01.02.2020"));
        assert!(card.dedicated_ip);
        assert_eq!(card.fields["Примечание"], "с собакой");
        assert_eq!(card.fields["логин"], "r637_12");
        assert_eq!(card.fields["ФИО"], "Иванов Иван Иванович");
    }

    #[test]
    fn labels_with_a_unit_or_a_remark_and_other_wordings_keep_their_meaning() {
        let card = card_from_rows(
            "/cabinet/userinfo/8",
            "8",
            vec![
                row("ФИО", "Петров Пётр"),
                row("Учётная запись:", "petrov_p"),
                row("Баланс, руб.:", "12,50"),
                row("Кредит (руб.):", "100"),
                row("Телефон(ы):", "+7 900 1, +7 900 2"),
                row("Адрес электронной почты:", "p@p.ru"),
                row("Статус учётной записи:", "Превышен лимит"),
                row("IP-адреса:", "10.1.1.1"),
                row("Дата заключения договора:", "02.03.2021"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(card.login, "petrov_p");
        assert_eq!(card.full_name.as_deref(), Some("Петров Пётр"));
        assert_eq!(card.balance, Some(12.5));
        assert_eq!(card.credit, Some(100.0));
        assert_eq!(card.phones, vec!["+7 900 1", "+7 900 2"]);
        assert_eq!(card.email.as_deref(), Some("p@p.ru"));
        assert_eq!(card.blocked, Some(Blocked::LimitExceeded));
        assert_eq!(card.ip.as_deref(), Some("10.1.1.1"));
        assert_eq!(card.contract_date.as_deref(), Some("02.03.2021"));
        // Printed labels are kept as printed.
        assert_eq!(card.fields["Баланс, руб."], "12,50");
    }

    #[test]
    fn without_a_login_label_the_second_rows_one_word_value_is_the_login() {
        let card = card_from_rows(
            "/cabinet/userinfo/10",
            "10",
            vec![row("ФИО:", "Сидоров С."), row("Имя входа:", "sidorov_s")],
            false,
        )
        .unwrap();
        assert_eq!(card.login, "sidorov_s");
        // Not a word: no login, a structure error.
        let err = card_from_rows(
            "/cabinet/userinfo/11",
            "11",
            vec![row("ФИО:", "Сидоров С."), row("Адрес:", "Мира 1")],
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            BillingError::structure("/cabinet/userinfo/11", "login row in the card")
        );
    }

    #[test]
    fn a_card_without_a_login_row_is_a_structure_error_naming_the_page() {
        let err =
            card_from_rows("/cabinet/userinfo/9", "9", vec![row("ФИО:", "X")], false).unwrap_err();
        assert_eq!(
            err,
            BillingError::structure("/cabinet/userinfo/9", "login row in the card")
        );
        assert!(err.to_string().contains("/cabinet/userinfo/9"));
    }
}
