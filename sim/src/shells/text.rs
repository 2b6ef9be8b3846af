//! Small text helpers for the shells: line endings, cp1251, clock and MAC formats.

/// `\n` → `\r\n` (an existing `\r\n` is kept).
pub(crate) fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut prev = '\0';
    for c in text.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// UTF-8 → Windows-1251 for ASCII and Cyrillic (А–я, Ё, ё, №); anything else becomes `?`.
pub(crate) fn encode_cp1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0..=0x7f => c as u8,
            // А (U+0410) .. я (U+044F) are contiguous at 0xC0..0xFF.
            cp @ 0x410..=0x44f => (cp - 0x410 + 0xc0) as u8,
            0x401 => 0xa8,  // Ё
            0x451 => 0xb8,  // ё
            0x2116 => 0xb9, // №
            _ => b'?',
        })
        .collect()
}

/// A wall clock for volatile lines: 2024-05-01 08:00:00 UTC plus `secs`.
pub(crate) struct Clock {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u64,
    pub min: u64,
    pub sec: u64,
}

const BASE_UNIX: u64 = 1_714_550_400; // 2024-05-01 08:00:00 UTC

pub(crate) fn clock(secs: u64) -> Clock {
    let t = BASE_UNIX + secs;
    let days = (t / 86_400) as i64;
    let rem = t % 86_400;
    // Civil date from days since 1970-01-01 (Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Clock {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem % 3600 / 60,
        sec: rem % 60,
    }
}

impl Clock {
    /// `2024-05-01 08:00:00`
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.min, self.sec
        )
    }
    /// `may/01/2024 08:00:00` (RouterOS 6)
    pub fn mikrotik(&self) -> String {
        const M: [&str; 12] = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        format!(
            "{}/{:02}/{:04} {:02}:{:02}:{:02}",
            M[(self.month - 1) as usize],
            self.day,
            self.year,
            self.hour,
            self.min,
            self.sec
        )
    }
    /// `08:00:00 UTC Wed May 1 2024` (Cisco)
    pub fn cisco(&self) -> String {
        const M: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{:02}:{:02}:{:02} UTC {} {} {}",
            self.hour,
            self.min,
            self.sec,
            M[(self.month - 1) as usize],
            self.day,
            self.year
        )
    }
}

/// `3 days, 4 hours, 5 minutes` style pieces.
pub(crate) fn uptime_parts(secs: u64) -> (u64, u64, u64, u64) {
    (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    )
}

/// The 12 hex digits of a colon MAC.
fn hex12(mac: &str) -> String {
    mac.chars().filter(|c| c.is_ascii_hexdigit()).collect()
}

/// `0018.b974.528f` (Cisco)
pub(crate) fn mac_dotted(mac: &str) -> String {
    let h = hex12(mac);
    format!("{}.{}.{}", &h[0..4], &h[4..8], &h[8..12])
}

/// `0018-b974-528f` (Huawei)
pub(crate) fn mac_huawei(mac: &str) -> String {
    let h = hex12(mac);
    format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
}

/// `00-18-B9-74-52-8F` (D-Link, upper case) or `00-18-b9-...` (Qtech).
pub(crate) fn mac_dashed(mac: &str, upper: bool) -> String {
    let m = mac.replace(':', "-");
    if upper {
        m.to_ascii_uppercase()
    } else {
        m
    }
}

/// Any MAC notation (`aabb.ccdd.eeff`, `AA-BB-CC-DD-EE-FF`, `aabb-ccdd-eeff`,
/// `aa:bb:cc:dd:ee:ff`) as the colon form the state keeps; `None` unless it
/// has exactly 12 hex digits.
pub(crate) fn parse_mac(text: &str) -> Option<String> {
    let h = hex12(text).to_ascii_lowercase();
    let seps_ok = text
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'));
    if h.len() != 12 || !seps_ok {
        return None;
    }
    Some(
        (0..6)
            .map(|i| &h[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// A RouterOS duration: `1w2d3h4m5s`, `3h2m1s`, `45s` (zero parts left out).
pub(crate) fn routeros_duration(secs: u64) -> String {
    let parts = [
        (secs / 604_800, 'w'),
        (secs % 604_800 / 86_400, 'd'),
        (secs % 86_400 / 3600, 'h'),
        (secs % 3600 / 60, 'm'),
        (secs % 60, 's'),
    ];
    let s: String = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if s.is_empty() {
        "0s".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1251_of_cyrillic() {
        assert_eq!(
            encode_cp1251("Абонент Иванов ёЁ №1"),
            b"\xc0\xe1\xee\xed\xe5\xed\xf2 \xc8\xe2\xe0\xed\xee\xe2 \xb8\xa8 \xb91".to_vec()
        );
    }

    #[test]
    fn clock_and_line_endings() {
        assert_eq!(clock(0).iso(), "2024-05-01 08:00:00");
        assert_eq!(clock(86_400 * 31 + 61).iso(), "2024-06-01 08:01:01");
        assert_eq!(clock(0).mikrotik(), "may/01/2024 08:00:00");
        assert_eq!(crlf("a\nb\r\nc"), "a\r\nb\r\nc");
        assert_eq!(mac_dotted("00:18:b9:74:52:8f"), "0018.b974.528f");
        assert_eq!(mac_huawei("00:18:b9:74:52:8f"), "0018-b974-528f");
    }

    #[test]
    fn macs_in_any_notation_and_routeros_durations() {
        let colon = Some("aa:bb:cc:dd:ee:0f".to_string());
        for m in [
            "aabb.ccdd.ee0f",
            "AA-BB-CC-DD-EE-0F",
            "aabb-ccdd-ee0f",
            "aa:bb:cc:dd:ee:0f",
        ] {
            assert_eq!(parse_mac(m), colon, "{m}");
        }
        assert_eq!(parse_mac("aabb.ccdd.ee"), None);
        assert_eq!(parse_mac("mac-address"), None);
        assert_eq!(routeros_duration(45), "45s");
        assert_eq!(routeros_duration(3 * 3600 + 2 * 60 + 1), "3h2m1s");
        assert_eq!(
            routeros_duration(604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5),
            "1w2d3h4m5s"
        );
        assert_eq!(routeros_duration(86_400 + 300), "1d5m");
        assert_eq!(routeros_duration(0), "0s");
    }
}
