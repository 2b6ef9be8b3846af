//! The per-vendor halves of [`Dialect`](super::Dialect) and the helpers they
//! share: MAC notation, prompt shapes, pager search, config normalising and
//! keyword-based secret masking.
//!
//! - [`huawei`]: SmartAX MA56xx OLTs and VRP switches.
//! - [`cisco`]: Cisco IOS and the IOS-like Qtech/Orion QSW.
//! - [`dlink`], [`zyxel`], [`mikrotik`]: one vendor each.

pub(super) mod cisco;
pub(super) mod dlink;
pub(super) mod huawei;
pub(super) mod mikrotik;
pub(super) mod zyxel;

#[cfg(test)]
mod roundtrip_tests;

use super::{MacEntry, ParseError};

/// Any common MAC notation → `"00:1a:2b:3c:4d:5e"`; `None` if `token` is not a MAC.
pub(crate) fn normalise_mac(token: &str) -> Option<String> {
    let token = token.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"'));
    let groups: Vec<&str> = token.split(['.', '-', ':']).collect();
    let ok = match groups.len() {
        3 => groups.iter().all(|g| g.len() == 4),
        6 => groups.iter().all(|g| g.len() == 2),
        1 => token.len() == 12,
        _ => false,
    };
    // A dotted triple must use dots or dashes, not colons (that would be a time).
    if !ok || (groups.len() == 3 && token.contains(':')) {
        return None;
    }
    let hex: String = groups.concat();
    if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

/// Output lines without CR and trailing spaces.
pub(crate) fn clean_lines(output: &str) -> impl Iterator<Item = &str> {
    output
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']).trim_end())
}

/// The position of the first MAC among `tokens`, and the MAC normalised.
pub(crate) fn find_mac(tokens: &[&str]) -> Option<(usize, String)> {
    tokens
        .iter()
        .enumerate()
        .find_map(|(i, t)| normalise_mac(t).map(|m| (i, m)))
}

/// A VLAN number; tolerates VRP's `10/-/-`.
pub(crate) fn parse_vlan(token: &str) -> Option<u16> {
    let head = token.split('/').next()?;
    head.parse::<u16>().ok().filter(|v| *v <= 4095)
}

/// Is the type column a dynamically learned entry?
pub(crate) fn is_dynamic(kind: &str) -> bool {
    let k = kind.to_ascii_lowercase();
    k.starts_with("dyn") || k == "learned" || k == "learnt"
}

/// A MAC table row from its columns as printed: the type column (`kind`)
/// read by [`is_dynamic`].
pub(crate) fn mac_row(vlan: u16, mac: String, port: &str, kind: &str) -> MacEntry {
    MacEntry {
        vlan,
        mac,
        port: port.to_string(),
        dynamic: is_dynamic(kind),
    }
}

/// The `key : value` lines of `output`, key and value trimmed (lines
/// without a colon skipped): how `display version`, `show switch`,
/// `show system-information` and `/system resource print` print.
pub(crate) fn key_values(output: &str) -> impl Iterator<Item = (&str, &str)> {
    clean_lines(output)
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim(), value.trim()))
}

/// Collects rows from table lines; `row` returns `None` for lines that are not
/// rows (headers, footers, pager leftovers, junk). `header` recognises a
/// header line; with neither a header nor a row, the output holds no table.
pub(crate) fn collect_rows(
    output: &str,
    header: impl Fn(&str) -> bool,
    row: impl Fn(&[&str]) -> Option<MacEntry>,
) -> Result<Vec<MacEntry>, ParseError> {
    let mut rows = Vec::new();
    let mut saw_header = false;
    for line in clean_lines(output) {
        let lower = line.to_ascii_lowercase();
        if header(&lower) {
            saw_header = true;
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        if let Some(entry) = row(&tokens) {
            rows.push(entry);
        }
    }
    if rows.is_empty() && !saw_header {
        return Err(ParseError::NoTable);
    }
    Ok(rows)
}

/// Does `line` look like `host>` / `host#` / `host(config-if)#`, ending in one of `ends`?
pub(crate) fn is_host_prompt(line: &str, ends: &[char]) -> bool {
    let Some(last) = line.chars().last() else {
        return false;
    };
    if !ends.contains(&last) {
        return false;
    }
    let body = &line[..line.len() - last.len_utf8()];
    let (host, mode) = match body.find('(') {
        Some(i) => (&body[..i], &body[i..]),
        None => (body, ""),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && host.chars().next().is_some_and(|c| c.is_alphanumeric());
    let mode_ok = mode.is_empty()
        || (mode.ends_with(')')
            && mode[1..mode.len() - 1]
                .chars()
                .all(|c| c.is_alphanumeric() || "-_/.:".contains(c)));
    host_ok && mode_ok
}

/// Where one of `markers` starts on the last line of `tail`, if that line
/// holds nothing after it but spaces.
pub(crate) fn find_pager(tail: &str, markers: &[&str]) -> Option<usize> {
    let trimmed = tail.trim_end();
    let line_start = trimmed.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let last = &trimmed[line_start..];
    markers.iter().find_map(|m| {
        let at = last.rfind(m)?;
        let after = last[at + m.len()..].trim();
        // "-- [Q quit|D dump|down]" is matched by its opening only.
        (after.is_empty() || m.ends_with('|')).then_some(line_start + at)
    })
}

/// The first line among the first few non-blank lines of `output` that `is_error` accepts.
pub(crate) fn first_error_line(output: &str, is_error: fn(&str) -> bool) -> Option<String> {
    clean_lines(output)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(6)
        .find(|l| is_error(l))
        .map(str::to_string)
}

/// CR and trailing space removed, the echoed command and volatile lines
/// dropped, leading and trailing blank lines dropped, one final newline.
pub(crate) fn normalise(config: &str, command: &str, volatile: fn(&str) -> bool) -> String {
    let mut lines: Vec<&str> = clean_lines(config).collect();
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    if lines.first().is_some_and(|l| l.trim() == command) {
        lines.remove(0);
    }
    let mut kept: Vec<&str> = lines.into_iter().filter(|l| !volatile(l)).collect();
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let mut out = kept.join("\n");
    out.push('\n');
    out
}

/// Is `line` a comment (`!`, `#`, `;`) that mentions one of `words` (lower-case)?
pub(crate) fn comment_mentions(line: &str, words: &[&str]) -> bool {
    let t = line.trim_start();
    if !t.starts_with(['!', '#', ';']) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    words.iter().any(|w| lower.contains(w))
}

/// Words after which the next token is the secret.
fn is_secret_keyword(lower: &str) -> bool {
    matches!(
        lower,
        "password"
            | "secret"
            | "community"
            | "key"
            | "key-string"
            | "cipher"
            | "irreversible-cipher"
            | "authentication-key"
            | "pre-shared-key"
    ) || lower.ends_with("-password")
        || lower.ends_with("_password")
        || lower.ends_with("-community")
        || lower.ends_with("-key")
        || lower.ends_with("_key")
}

/// Words between a keyword and its secret (encryption types, access modes).
fn is_secret_qualifier(lower: &str) -> bool {
    matches!(
        lower,
        "0" | "4"
            | "5"
            | "6"
            | "7"
            | "8"
            | "9"
            | "cipher"
            | "simple"
            | "irreversible-cipher"
            | "plain"
            | "encrypted"
            | "read"
            | "write"
            | "ro"
            | "rw"
            | "sha_1"
            | "md5"
            | "encrypt"
    )
}

/// Masks the token after a secret keyword on every line (Cisco, Huawei,
/// D-Link, Zyxel and Qtech configs all follow "keyword [qualifiers] value").
pub(crate) fn mask_keyword_secrets(config: &str) -> String {
    let mut out = String::with_capacity(config.len());
    for (n, line) in config.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str(&mask_line(line));
    }
    out
}

fn mask_line(line: &str) -> String {
    let spans: Vec<(usize, usize)> = token_spans(line);
    let mut masked: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        let lower = line[spans[i].0..spans[i].1].to_ascii_lowercase();
        if !is_secret_keyword(&lower) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < spans.len() {
            let t = line[spans[j].0..spans[j].1].to_ascii_lowercase();
            if t == "level" {
                j += 2;
            } else if is_secret_qualifier(&t) && j + 1 < spans.len() {
                j += 1;
            } else {
                break;
            }
        }
        if let Some(&span) = spans.get(j) {
            let t = line[span.0..span.1].to_ascii_lowercase();
            if !matches!(t.as_str(), "encryption" | "recovery" | "<masked>") {
                masked.push(span);
            }
        }
        i = j + 1;
    }
    let mut out = String::with_capacity(line.len());
    let mut pos = 0;
    for (a, b) in masked {
        out.push_str(&line[pos..a]);
        out.push_str("<masked>");
        pos = b;
    }
    out.push_str(&line[pos..]);
    out
}

/// Byte spans of whitespace-separated tokens; a double-quoted token may hold spaces.
fn token_spans(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        spans.push((start, i));
    }
    spans
}

/// `MacEntry` in one line, for the dialects' tests.
#[cfg(test)]
pub(crate) fn entry(vlan: u16, mac: &str, port: &str, dynamic: bool) -> MacEntry {
    MacEntry {
        vlan,
        mac: mac.into(),
        port: port.into(),
        dynamic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mac_notation_normalises_to_lower_case_colons() {
        for t in [
            "001A.2B3C.4D5E",
            "00-1a-2b-3c-4d-5e",
            "00:1A:2B:3C:4D:5E",
            "001a-2b3c-4d5e",
            "001a2b3c4d5e",
        ] {
            assert_eq!(
                normalise_mac(t).as_deref(),
                Some("00:1a:2b:3c:4d:5e"),
                "{t}"
            );
        }
        for t in [
            "10:20:30",
            "0/1/0",
            "GE0/0/1",
            "1.2.3.4",
            "zz-1a-2b-3c-4d-5e",
            "Dynamic",
        ] {
            assert_eq!(normalise_mac(t), None, "{t}");
        }
    }

    #[test]
    fn host_prompts_are_recognised_and_output_lines_are_not() {
        for p in [
            "Switch#",
            "Switch>",
            "MA5608T(config)#",
            "QSW-2800(config-if-ethernet1/0/1)#",
            "sw.core_1#",
        ] {
            assert!(is_host_prompt(p, &['>', '#']), "{p}");
        }
        for p in [
            "#",
            "  Switch#",
            "Total: 3",
            "Vlan    Mac Address       Type        Ports",
            "a b#",
            "(x)#",
        ] {
            assert!(!is_host_prompt(p, &['>', '#']), "{p}");
        }
    }

    #[test]
    fn masking_keeps_the_line_and_hides_the_value() {
        let cfg = "enable secret 5 $1$abc$xyz\nsnmp-server community public RO\n\
                   local-user admin password irreversible-cipher $1a$xx$\n\
                   snmp-agent community read cipher %^%#abc%^%#\nservice password-encryption\n\
                   super password level 15 cipher QWE\nhostname sw";
        let m = mask_keyword_secrets(cfg);
        assert_eq!(
            m,
            "enable secret 5 <masked>\nsnmp-server community <masked> RO\n\
             local-user admin password irreversible-cipher <masked>\n\
             snmp-agent community read cipher <masked>\nservice password-encryption\n\
             super password level 15 cipher <masked>\nhostname sw"
        );
    }

    #[test]
    fn normalise_drops_echo_cr_and_trailing_blank_lines() {
        let out = normalise(
            "show run\r\nhostname a  \r\n!\r\n\r\n\r\n",
            "show run",
            |_| false,
        );
        assert_eq!(out, "hostname a\n!\n");
    }
}
