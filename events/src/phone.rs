//! Russian phone numbers: one number as a person types it
//! ([`normalise_phone`]) and every number inside free text
//! ([`find_phones`]), both to the one form `+7XXXXXXXXXX`.
//!
//! A number is 10 national digits, written bare, after a trunk `8` or a
//! country code `7`, or after `+7`, with spaces, dashes and parentheses
//! anywhere between the digits. The national number begins with 3, 4, 8 or
//! 9 (the Russian area and mobile codes), so a ten-digit contract number
//! starting with 1 is not taken for a phone.

/// Separators a person puts between the digits of a phone.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')')
}

/// `+7XXXXXXXXXX` for a Russian number typed in any of the usual ways
/// (`8 (916) 123-45-67`, `+7 916 1234567`, `9161234567`), `None` for
/// anything else: other lengths, other country codes, a letter or any
/// other character inside.
pub fn normalise_phone(text: &str) -> Option<String> {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if !rest.starts_with(|c: char| c.is_ascii_digit() || c == '(') {
        return None;
    }
    if !rest.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let national = match (plus, digits.len()) {
        (true, 11) => digits.strip_prefix('7')?,
        (false, 11) => digits
            .strip_prefix('8')
            .or_else(|| digits.strip_prefix('7'))?,
        (false, 10) => digits.as_str(),
        _ => return None,
    };
    if !national.starts_with(['3', '4', '8', '9']) {
        return None;
    }
    Some(format!("+7{national}"))
}

/// Every phone inside `text`, normalised, each once, in the order they
/// first appear.
///
/// A candidate is a maximal run of digits and separators (space, `-`, `(`,
/// `)`) with an optional leading `+`; it is a phone when
/// [`normalise_phone`] takes it whole and it is not glued to a letter, a
/// digit group of a date or an address (`01.02.2024`, `10.0.0.1`,
/// `00:1a:…`). A longer digit run is not cut into a phone.
pub fn find_phones(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = c.is_ascii_digit()
            || c == '('
            || (c == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        while end < chars.len() && (chars[end].is_ascii_digit() || is_separator(chars[end])) {
            end += 1;
        }
        // Trailing separators (`… 45-67 (кв. 5)`) belong to the text.
        let mut last = end;
        while last > start && matches!(chars[last - 1], ' ' | '-' | '(') {
            last -= 1;
        }
        i = end;
        if glued_before(&chars, start) || glued_after(&chars, last) {
            continue;
        }
        let candidate: String = chars[start..last].iter().collect();
        for phone in phones_in_run(&candidate) {
            if !found.contains(&phone) {
                found.push(phone);
            }
        }
    }
    found
}

/// The phones of one run: the whole run when it is one, or else the
/// longest space-separated stretches that are, left to right — two numbers
/// in one field (`89161234567 89035556677`), a house number before a phone
/// (`д. 5 8 916 123-45-67`). A run is never cut inside a group of digits,
/// so a long digit string stays no phone.
fn phones_in_run(run: &str) -> Vec<String> {
    if let Some(phone) = normalise_phone(run) {
        return vec![phone];
    }
    let groups: Vec<&str> = run.split(' ').filter(|g| !g.is_empty()).collect();
    let mut out = Vec::new();
    let mut g = 0;
    'groups: while g < groups.len() {
        for h in (g + 1..=groups.len()).rev() {
            if let Some(phone) = normalise_phone(&groups[g..h].join(" ")) {
                out.push(phone);
                g = h;
                continue 'groups;
            }
        }
        g += 1;
    }
    out
}

/// A character that makes the digits next to it part of a word or of a
/// dotted or colon-separated group.
fn is_glue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_joiner(c: char) -> bool {
    matches!(c, '.' | ':' | '/' | ',')
}

/// The candidate starting at `start` continues a word (`ID9161234567`) or a
/// group (`10.0.0.1`, `01.02.`). A dot after a word (`тел.8 916 …`) is not
/// glue.
fn glued_before(chars: &[char], start: usize) -> bool {
    let Some(&prev) = start.checked_sub(1).and_then(|p| chars.get(p)) else {
        return false;
    };
    if is_glue(prev) {
        return true;
    }
    is_joiner(prev)
        && start
            .checked_sub(2)
            .and_then(|p| chars.get(p))
            .is_some_and(char::is_ascii_digit)
}

/// The candidate ending before `end` runs on into a word or a group. A dot
/// or comma ending a sentence (`… 45-67.`, `… 45-67, перезвонить`) is not
/// glue.
fn glued_after(chars: &[char], end: usize) -> bool {
    let Some(&next) = chars.get(end) else {
        return false;
    };
    if is_glue(next) {
        return true;
    }
    is_joiner(next) && chars.get(end + 1).is_some_and(|c| is_glue(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_ways_of_writing_a_number_normalise_to_one() {
        for typed in [
            "8 (916) 123-45-67",
            "+7 916 1234567",
            "9161234567",
            "7 916 123 45 67",
            "8-916-123-45-67",
            "+79161234567",
            "+7 (916) 123-45-67",
            "  89161234567 ",
            "(916) 123-45-67",
        ] {
            assert_eq!(
                normalise_phone(typed).as_deref(),
                Some("+79161234567"),
                "{typed}"
            );
        }
        assert_eq!(
            normalise_phone("8 (495) 111-22-33").as_deref(),
            Some("+74951112233"),
            "a Moscow landline"
        );
        assert_eq!(
            normalise_phone("8 800 555 35 35").as_deref(),
            Some("+78005553535"),
            "a free number keeps its 8 after the trunk 8"
        );
    }

    #[test]
    fn what_is_not_ten_national_digits_is_no_phone() {
        for typed in [
            "",
            "+",
            "916123456",      // nine digits
            "891612345678",   // twelve
            "+89161234567",   // +8 is not a country code here
            "+8 916 1234567", // nor with spaces
            "69161234567",    // eleven starting with 6
            "+380501234567",  // Ukraine
            "1234567890",     // a contract number, not a Russian code
            "8 916 12З-45-67",
            "8 916 123-45-67 доб. 12",
            "8.916.123.45.67",
            "8916123456a",
            "++79161234567",
            "-89161234567",
        ] {
            assert_eq!(normalise_phone(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn phones_in_free_text_are_found_in_order_and_once() {
        assert_eq!(
            find_phones("звонил с 8 (916) 123-45-67, перезвонить на +7 903 000 11 22"),
            vec!["+79161234567", "+79030001122"]
        );
        assert_eq!(
            find_phones("тел.89161234567; ещё раз: 8-916-123-45-67. Жена 9035556677."),
            vec!["+79161234567", "+79035556677"],
            "the same number twice is one; a sentence's dot is no glue"
        );
        assert_eq!(
            find_phones("(8 916 123-45-67)"),
            vec!["+79161234567"],
            "in brackets"
        );
        assert_eq!(find_phones("89161234567"), vec!["+79161234567"]);
        assert_eq!(
            find_phones("89161234567 8 903 555-66-77"),
            vec!["+79161234567", "+79035556677"],
            "two numbers with only a space between"
        );
        assert_eq!(
            find_phones("Ленина д. 5 8 916 123-45-67"),
            vec!["+79161234567"],
            "a house number before the phone"
        );
    }

    #[test]
    fn dates_addresses_and_other_numbers_in_text_are_not_phones() {
        for text in [
            "с 01.02.2024 по 2024-02-10 не работает",
            "шлюз 10.0.0.1, абонент 192.168.100.200",
            "мак 00:1a:2b:3c:4d:5e и 00-1A-2B-3C-4D-5E и 001122334455",
            "договор 1234567890, лицевой 12345",
            "номер заявки 891612345678901",
            "ID9161234567 и 89161234567abc",
            "серийник HWTC89161234567",
            "порт Gi0/5, влан 100",
            "100.9161234567",
            "9161234567.1",
        ] {
            assert_eq!(find_phones(text), Vec::<String>::new(), "{text}");
        }
    }
}
