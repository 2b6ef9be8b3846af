//! MikroTik RouterOS: `Login:` with terminal flags (`admin+ct`), `[admin@MikroTik] >`,
//! `key=value` output (`print terse`), `/export` with a `# ... by RouterOS` header.

use std::collections::BTreeMap;

use super::{canonical_port, expand_ports, key_values, normalise_mac, screen_lines, MacRows};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, PppSession, TrunkPort, VersionInfo};

pub(crate) const LOGIN: LoginSpec = LoginSpec {
    user_prompts: &["login:", "username:"],
    password_prompts: &["password:"],
    failure_markers: &["login failed", "incorrect username or password"],
};

/// Appended to the login name: no colours, no terminal detection.
pub(crate) const LOGIN_FLAGS: &str = "+ct";

/// `[admin@MikroTik] >`, `[admin@gw-1] /interface bridge>`, `[admin@gw] <SAFE>`.
pub(crate) fn is_prompt(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((who, after)) = rest.split_once(']') else {
        return false;
    };
    let Some((user, host)) = who.split_once('@') else {
        return false;
    };
    if user.is_empty() || host.is_empty() || user.contains(' ') {
        return false;
    }
    let after = after.trim_start();
    after == ">" || after.ends_with("<SAFE>") || (after.starts_with('/') && after.ends_with('>'))
}

pub(crate) fn is_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.starts_with("bad command name")
        || l.starts_with("syntax error")
        || l.starts_with("expected ")
        || l.starts_with("failure:")
        || l.starts_with("no such item")
        || l.starts_with("input does not match")
        || (l.contains("(line ") && l.contains(" column "))
}

/// The `# may/01/2024 10:00:00 by RouterOS 6.49.10` (v7: `# 2024-05-01 ...`) header.
pub(crate) fn is_volatile(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('#') && t.contains(" by RouterOS")
}

/// `/system resource print`: `version: 6.49.10 (long-term)`, `board-name: CCR1036-8G-2S+`.
pub(crate) fn parse_version(output: &str) -> VersionInfo {
    let mut info = VersionInfo::default();
    for (key, value) in key_values(output) {
        match key {
            "version" => info.version = Some(value.to_string()),
            "board-name" => info.model = Some(value.to_string()),
            _ => {}
        }
    }
    info
}

/// The `key=value` pairs of a RouterOS record, in order. A value is bare
/// (up to the next blank) or double-quoted: a quoted value may hold spaces
/// and `=`, and RouterOS escapes `\"`, `\\` and non-ASCII bytes as `\D0`.
/// Words that are not pairs (the record number, flags) are skipped.
pub(crate) fn pairs(text: &str) -> Vec<(String, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' || i == start {
            // Not a pair: skip the word (quoted words whole).
            if i < b.len() && b[i] == b'"' {
                i = skip_quoted(b, i + 1).0;
            }
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        let key = text[start..i].to_string();
        i += 1;
        let value = if i < b.len() && b[i] == b'"' {
            let (end, raw) = skip_quoted(b, i + 1);
            i = end;
            raw
        } else {
            let vs = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            text[vs..i].to_string()
        };
        out.push((key, value));
    }
    out
}

/// From just after an opening quote: the index after the closing quote and
/// the unescaped value.
fn skip_quoted(b: &[u8], mut i: usize) -> (usize, String) {
    let mut bytes = Vec::new();
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' && i + 1 < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                bytes.push(v);
                i += 3;
            } else {
                bytes.push(b[i + 1]);
                i += 2;
            }
            continue;
        }
        bytes.push(b[i]);
        i += 1;
    }
    (i + 1, String::from_utf8_lossy(&bytes).into_owned())
}

/// The records of a `print` listing: a line whose first word is the item
/// number starts one, more-indented lines continue it (RouterOS wraps a
/// record at the terminal width), blank lines end it. Returns each
/// record's line number, its flags (the words between the number and the
/// first pair) and its text; a `;;; comment` after the flags becomes a
/// `comment` pair. `Flags:` and `Columns:` lines are headers.
fn records(output: &str) -> (bool, Vec<(usize, String, String)>) {
    let mut header = false;
    let mut out: Vec<(usize, String, String)> = Vec::new();
    let mut open = false;
    for (n, line) in screen_lines(output).iter().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            open = false;
            continue;
        }
        if t.starts_with("Flags:") || t.starts_with("Columns:") {
            header = true;
            open = false;
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if first.bytes().all(|c| c.is_ascii_digit()) {
            let rest = t[first.len()..].trim_start();
            // ` 0 R ;;; a comment` (the pairs follow on the next lines).
            let (rest, comment) = match rest.split_once(";;;") {
                Some((before, comment)) => (before.trim_end(), Some(comment.trim())),
                None => (rest, None),
            };
            let flags: String = rest
                .split_whitespace()
                .take_while(|w| !w.contains('=') && w.chars().all(|c| c.is_ascii_uppercase()))
                .collect();
            let mut text = rest.to_string();
            if let Some(c) = comment {
                // Kept as RouterOS escaped it (`\D0`, `\"`); a bare quote escaped.
                let mut quoted = String::with_capacity(c.len());
                let mut prev = ' ';
                for ch in c.chars() {
                    if ch == '"' && prev != '\\' {
                        quoted.push('\\');
                    }
                    quoted.push(ch);
                    prev = ch;
                }
                text.push_str(&format!(" comment=\"{quoted}\""));
            }
            out.push((n + 1, flags, text));
            open = true;
        } else if open && t.contains('=') {
            if let Some(last) = out.last_mut() {
                last.2.push(' ');
                last.2.push_str(t);
            }
        } else if t.contains("mac-address=") || t.contains("name=") {
            // An unnumbered `print terse` line (v7 `without-paging where ...`).
            out.push((n + 1, String::new(), t.to_string()));
            open = true;
        }
    }
    (header, out)
}

/// `/interface bridge host print terse` (v6 and v7):
/// ` 0   D   mac-address=4C:5E:0C:11:22:33 vid=10 on-interface=ether2 bridge=bridge1`.
/// Flags before the first pair: `D` dynamic, `L` local (the bridge's own
/// MAC: returned, not dynamic), `E` external, `X` disabled and `I` invalid
/// (skipped); no `vid` means VLAN 1. A `Flags:` header with no rows is an
/// empty table; group MACs and repeated rows are dropped as for every vendor.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    let (header, recs) = records(output);
    let mut rows = MacRows::default();
    let mut saw = header;
    for (_, flags, text) in recs {
        let kv = pairs(&text);
        let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let (Some(mac), Some(port)) =
            (get("mac-address"), get("on-interface").or(get("interface")))
        else {
            continue;
        };
        let Some(mac) = normalise_mac(mac) else {
            continue;
        };
        saw = true;
        if flags.contains(['X', 'I']) {
            continue;
        }
        let dynamic = flags.contains('D') && !flags.contains('L');
        let kind = if dynamic { "dynamic" } else { "local" };
        rows.offer(get("vid").unwrap_or("1"), mac, port, kind);
    }
    if !saw {
        return Err(ParseError::NoTable);
    }
    Ok(rows.into_vec())
}

/// RouterOS durations → seconds: `1w2d03:04:05`, `3h2m1s`, `00:05:12`,
/// `2d`, `45s` (`ms` parts are dropped).
pub(crate) fn duration_secs(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (units, clock) = match t.find(':') {
        Some(c) => {
            let start = t[..c]
                .rfind(|ch: char| !ch.is_ascii_digit())
                .map_or(0, |i| i + 1);
            (&t[..start], Some(&t[start..]))
        }
        None => (t, None),
    };
    let mut total = 0u64;
    let mut num = String::new();
    let mut chars = units.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let mult = match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0
            }
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += n * mult;
    }
    if !num.is_empty() {
        return None;
    }
    if let Some(clock) = clock {
        let parts: Vec<u64> = clock
            .split(':')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let secs = match parts.as_slice() {
            [h, m, s] => h * 3600 + m * 60 + s,
            [m, s] => m * 60 + s,
            _ => return None,
        };
        total += secs;
    }
    Some(total)
}

/// `/ppp active print detail without-paging`: a `Flags: R - RADIUS` header,
/// then numbered records ` 0 R name="ivanov" service=pppoe caller-id="AA:BB:…"
/// address=100.64.0.2 uptime=3h2m1s session-id=0x81C00001 …`, a record
/// wrapped over indented lines, blank lines between records. Values bare
/// or quoted; every pair is kept in `fields`. No header and no record is
/// `NoTable`; a header alone is no sessions; a record without `name` is a
/// `BadLine`.
pub(crate) fn parse_ppp_sessions(output: &str) -> Result<Vec<PppSession>, ParseError> {
    let (header, recs) = records(output);
    if !header && recs.is_empty() {
        return Err(ParseError::NoTable);
    }
    let mut out = Vec::new();
    for (line, flags, text) in recs {
        let fields: BTreeMap<String, String> = pairs(&text).into_iter().collect();
        let Some(name) = fields.get("name").cloned() else {
            return Err(ParseError::BadLine {
                line,
                reason: "a session record without name=".into(),
            });
        };
        let opt = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
        let caller_id = opt("caller-id");
        let uptime = opt("uptime");
        out.push(PppSession {
            name,
            service: opt("service"),
            mac: caller_id.as_deref().and_then(normalise_mac),
            caller_id,
            address: opt("address"),
            uptime_secs: uptime.as_deref().and_then(duration_secs),
            uptime,
            session_id: opt("session-id"),
            encoding: opt("encoding"),
            limit_bytes_in: fields.get("limit-bytes-in").and_then(|v| v.parse().ok()),
            limit_bytes_out: fields.get("limit-bytes-out").and_then(|v| v.parse().ok()),
            radius: flags.contains('R') || fields.get("radius").is_some_and(|v| v == "yes"),
            fields,
        });
    }
    Ok(out)
}

/// `/export` lines with `\` continuations joined.
fn export_lines(config: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cont = false;
    for line in config.split('\n') {
        let line = line.trim_end_matches(['\r', ' ']);
        let (body, more) = match line.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        match out.last_mut() {
            Some(last) if cont => last.push_str(body.trim_start()),
            _ => out.push(body.to_string()),
        }
        cont = more;
    }
    out
}

/// Tagged ports in an `/export`: `/interface bridge vlan` entries'
/// `tagged=ether1,sfp1` (the bridge itself left out), bridge ports with
/// `frame-types=admit-only-vlan-tagged`, and the parents of
/// `/interface vlan` entries that are not bridges; all mode `"tagged"`.
pub(crate) fn trunk_ports(config: &str) -> Vec<TrunkPort> {
    let mut section = String::new();
    let mut bridges: Vec<String> = Vec::new();
    let mut tagged: Vec<String> = Vec::new();
    for line in export_lines(config) {
        let t = line.trim();
        if t.starts_with('/') {
            section = t.to_string();
            continue;
        }
        if !(t.starts_with("add ") || t.starts_with("set ")) {
            continue;
        }
        let kv = pairs(t);
        let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        match section.as_str() {
            "/interface bridge" => bridges.extend(get("name").map(str::to_string)),
            "/interface bridge vlan" => {
                let own: Vec<&str> = get("bridge")
                    .map(|b| b.split(',').collect())
                    .unwrap_or_default();
                for p in get("tagged").map(expand_ports).unwrap_or_default() {
                    if !own.contains(&p.as_str()) {
                        tagged.push(p);
                    }
                }
            }
            "/interface bridge port" if get("frame-types") == Some("admit-only-vlan-tagged") => {
                tagged.extend(get("interface").map(str::to_string));
            }
            "/interface vlan" => tagged.extend(get("interface").map(str::to_string)),
            _ => {}
        }
    }
    let mut out: Vec<TrunkPort> = Vec::new();
    for p in tagged {
        if bridges.contains(&p) {
            continue;
        }
        let port = canonical_port(&p);
        if !out.iter().any(|t| t.port == port) {
            out.push(TrunkPort {
                port,
                mode: "tagged".into(),
            });
        }
    }
    out
}

/// Masks the values of `password=`, `secret=`, `*-key=`, `passphrase=`, and the
/// `name=` of `/snmp community` entries.
pub(crate) fn mask_secrets(config: &str) -> String {
    let mut section = String::new();
    let mut out = String::with_capacity(config.len());
    for (n, line) in config.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if line.starts_with('/') {
            section = line
                .split(" add")
                .next()
                .unwrap_or("")
                .split(" set")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
        }
        let secret_key = |key: &str| {
            key.ends_with("password")
                || key.ends_with("secret")
                || key.ends_with("-key")
                || key == "key"
                || key.ends_with("passphrase")
                || (key == "name" && section.starts_with("/snmp community"))
        };
        out.push_str(&mask_pairs(line, secret_key));
    }
    out
}

fn mask_pairs(line: &str, secret_key: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key_start = rest[..eq].rfind([' ', '\t']).map_or(0, |i| i + 1);
        let key = &rest[key_start..eq];
        out.push_str(&rest[..=eq]);
        let after = &rest[eq + 1..];
        let end = if let Some(q) = after.strip_prefix('"') {
            q.find('"').map_or(after.len(), |i| i + 2)
        } else {
            after.find(' ').unwrap_or(after.len())
        };
        if secret_key(key) && end > 0 {
            out.push_str("<masked>");
        } else {
            out.push_str(&after[..end]);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::super::entry;
    use crate::cli::dialect::{Dialect, ParseError};

    const M: Dialect = Dialect::Mikrotik;

    #[test]
    fn bridge_hosts_terse() {
        let out = "\
Flags: X - disabled, I - invalid, D - dynamic, L - local, E - external
 0   D   mac-address=4C:5E:0C:11:22:33 vid=10 on-interface=ether2 bridge=bridge1 age=3m2s
 1  DL   mac-address=B8:69:F4:00:00:01 on-interface=bridge1 bridge=bridge1

 2       mac-address=00:0C:42:AA:BB:CC vid=300 on-interface=sfp1 bridge=bridge1
";
        assert_eq!(
            M.parse_mac_table(out).unwrap(),
            vec![
                entry(10, "4c:5e:0c:11:22:33", "ether2", true),
                // `DL`: the bridge's own (local) MAC, not a learned one.
                entry(1, "b8:69:f4:00:00:01", "bridge1", false),
                entry(300, "00:0c:42:aa:bb:cc", "sfp1", false),
            ]
        );
        assert_eq!(
            M.parse_mac_table("bad command name hots (line 1 column 16)"),
            Err(ParseError::NoTable)
        );
    }

    #[test]
    fn bridge_hosts_v7_flags_invalid_rows_lookup_and_empty_answers() {
        let out = "Flags: D - DYNAMIC; L - LOCAL, E - EXTERNAL\r\n\
Columns: MAC-ADDRESS, VID, ON-INTERFACE, BRIDGE\r\n\
 0 D  mac-address=4C:5E:0C:11:22:33 vid=10 on-interface=ether2 bridge=bridge1\r\n\
 1 DE mac-address=4C:5E:0C:11:22:34 vid=10 on-interface=sfp-sfpplus1 bridge=bridge1\r\n\
 2 X  mac-address=4C:5E:0C:11:22:35 vid=10 on-interface=ether3 bridge=bridge1\r\n\
 3 D  mac-address=01:00:5E:00:00:FB vid=10 on-interface=ether2 bridge=bridge1\r\n";
        assert_eq!(
            M.parse_mac_table(out).unwrap(),
            vec![
                entry(10, "4c:5e:0c:11:22:33", "ether2", true),
                entry(10, "4c:5e:0c:11:22:34", "sfp-sfpplus1", true),
            ]
        );
        assert_eq!(
            M.mac_lookup_command("4c-5e-0c-11-22-33").as_deref(),
            Some("/interface bridge host print terse without-paging where mac-address=4C:5E:0C:11:22:33")
        );
        assert_eq!(
            M.parse_mac_table(
                "Flags: X - disabled, I - invalid, D - dynamic, L - local, E - external \n"
            ),
            Ok(vec![])
        );
        assert_eq!(M.parse_mac_table(""), Err(ParseError::NoTable));
    }

    const PPP: &str = "Flags: R - RADIUS \r\n\
 0 R name=\"ivanov\" service=pppoe caller-id=\"AA:BB:CC:DD:EE:FF\" encoding=\"\" address=100.64.0.2 \r\n\
     uptime=3h2m1s session-id=0x81C00001 limit-bytes-in=0 limit-bytes-out=0 radius=yes \r\n\
\r\n\
 1 R name=\"very.long.login.of.a.business.subscriber@corp.example.ru\" service=pppoe \r\n\
     caller-id=\"00:1E:58:AA:BB:CC\" encoding=\"MPPE128 stateless\" address=100.64.0.3 \r\n\
     uptime=1w2d03:04:05 session-id=0x81C00002 comment=\"a=b c\" radius=yes \r\n\
\r\n\
 2   name=\"petrov\" service=pptp caller-id=\"203.0.113.7\" encoding=\"\" address=10.9.0.2 uptime=00:05:12 \r\n\
     session-id=0x81C00003 radius=no \r\n";

    #[test]
    fn ppp_sessions_detail() {
        let s = M.parse_ppp_sessions(PPP).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "ivanov");
        assert_eq!(s[0].service.as_deref(), Some("pppoe"));
        assert_eq!(s[0].caller_id.as_deref(), Some("AA:BB:CC:DD:EE:FF"));
        assert_eq!(s[0].mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert_eq!(s[0].address.as_deref(), Some("100.64.0.2"));
        assert_eq!(s[0].uptime.as_deref(), Some("3h2m1s"));
        assert_eq!(s[0].uptime_secs, Some(3 * 3600 + 2 * 60 + 1));
        assert_eq!(s[0].session_id.as_deref(), Some("0x81C00001"));
        assert_eq!(s[0].encoding, None);
        assert_eq!(
            (s[0].limit_bytes_in, s[0].limit_bytes_out),
            (Some(0), Some(0))
        );
        assert!(s[0].radius);
        assert_eq!(s[0].fields.get("radius").map(String::as_str), Some("yes"));
        assert_eq!(
            s[1].name,
            "very.long.login.of.a.business.subscriber@corp.example.ru"
        );
        assert_eq!(s[1].encoding.as_deref(), Some("MPPE128 stateless"));
        assert_eq!(
            s[1].uptime_secs,
            Some(604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5)
        );
        assert_eq!(
            s[1].fields.get("comment").map(String::as_str),
            Some("a=b c")
        );
        assert_eq!(s[1].limit_bytes_in, None, "only when printed");
        assert_eq!(s[2].mac, None, "a PPTP caller-id is an address");
        assert_eq!(s[2].uptime_secs, Some(312));
        assert!(!s[2].radius);
        assert_eq!(
            M.ppp_sessions_command(),
            Some("/ppp active print detail without-paging")
        );
        assert_eq!(Dialect::CiscoIos.ppp_sessions_command(), None);
    }

    #[test]
    fn ppp_sessions_empty_missing_and_broken() {
        assert_eq!(M.parse_ppp_sessions("Flags: R - RADIUS \r\n"), Ok(vec![]));
        assert_eq!(M.parse_ppp_sessions(""), Err(ParseError::NoTable));
        assert_eq!(
            M.parse_ppp_sessions("bad command name activ (line 1 column 6)\n"),
            Err(ParseError::NoTable)
        );
        assert!(matches!(
            M.parse_ppp_sessions(
                "Flags: R - RADIUS \n 0 R service=pppoe caller-id=\"AA:BB:CC:DD:EE:FF\"\n"
            ),
            Err(ParseError::BadLine { line: 2, .. })
        ));
        let escaped = M
            .parse_ppp_sessions(
                "Flags: R - RADIUS\n 0 name=\"\\D0\\B8\\D0\\B2 \\\"x\\\"\" uptime=45s\n",
            )
            .unwrap();
        assert_eq!(escaped[0].name, "ив \"x\"");
        assert_eq!(escaped[0].uptime_secs, Some(45));
    }

    #[test]
    fn a_comment_line_becomes_a_field() {
        let out = "Flags: R - RADIUS\n 0 R ;;; VIP \"gold\" a=b\n     name=\"sidorov\" service=pppoe caller-id=\"00:1E:58:00:00:01\"\n     uptime=2m uptime-dummy=x\n";
        let s = M.parse_ppp_sessions(out).unwrap();
        assert_eq!(s[0].name, "sidorov");
        assert_eq!(
            s[0].fields.get("comment").map(String::as_str),
            Some("VIP \"gold\" a=b")
        );
        assert!(!s[0].fields.contains_key("a"));
        assert_eq!(s[0].uptime_secs, Some(120));
        assert!(s[0].radius);
    }

    #[test]
    fn durations() {
        for (t, secs) in [
            ("1w2d03:04:05", 788_645),
            ("3h2m1s", 10_921),
            ("00:05:12", 312),
            ("2d", 172_800),
            ("1m30s500ms", 90),
            ("5d23:59:59", 518_399),
        ] {
            assert_eq!(super::duration_secs(t), Some(secs), "{t}");
        }
        for t in ["", "abc", "3x", "1h2"] {
            assert_eq!(super::duration_secs(t), None, "{t}");
        }
    }

    #[test]
    fn tagged_ports_from_an_export() {
        let cfg = "/interface bridge\nadd name=bridge1 vlan-filtering=yes\n\
                   /interface bridge port\nadd bridge=bridge1 interface=ether2 pvid=10\n\
                   add bridge=bridge1 frame-types=admit-only-vlan-tagged interface=ether9\n\
                   /interface bridge vlan\nadd bridge=bridge1 tagged=bridge1,sfp1,ether1 \\\n    vlan-ids=10,20\n\
                   add bridge=bridge1 tagged=sfp1 untagged=ether2 vlan-ids=30\n\
                   /interface vlan\nadd interface=bridge1 name=vlan10 vlan-id=10\nadd interface=ether8 name=vlan99 vlan-id=99\n";
        let t = M.trunk_ports(cfg);
        let ports: Vec<&str> = t.iter().map(|p| p.port.as_str()).collect();
        assert_eq!(ports, ["ether9", "sfp1", "ether1", "ether8"]);
        assert!(t.iter().all(|p| p.mode == "tagged"));
    }

    #[test]
    fn prompt_login_pager_error_version() {
        for p in [
            "[admin@MikroTik] >",
            "[admin@gw-1] /interface bridge>",
            "[admin@gw] <SAFE>",
        ] {
            assert!(M.is_prompt(p) && M.is_privileged_prompt(p), "{p}");
        }
        assert!(!M.is_prompt("[admin@gw] some text"));
        assert!(!M.is_prompt(" 0 D mac-address=4C:5E:0C:11:22:33"));
        assert_eq!(M.login_name("admin"), "admin+ct");
        assert_eq!(M.login_name("admin+c80w"), "admin+c80w");
        assert_eq!(Dialect::CiscoIos.login_name("admin"), "admin");
        let p = M.pager("a\n-- [Q quit|D dump|down]").unwrap();
        assert_eq!((p.start, p.answer), (2, " "));
        assert_eq!(
            M.command_error("bad command name hots (line 1 column 16)")
                .as_deref(),
            Some("bad command name hots (line 1 column 16)")
        );
        let v = M.parse_version("                   uptime: 3w2d4h\n                  version: 6.49.10 (long-term)\n               board-name: CCR1036-8G-2S+\n");
        assert_eq!(
            (v.model.as_deref(), v.version.as_deref()),
            (Some("CCR1036-8G-2S+"), Some("6.49.10 (long-term)"))
        );
    }

    #[test]
    fn export_header_and_secrets() {
        let a = "# may/01/2024 10:00:00 by RouterOS 6.49.10\r\n# software id = ABCD-1234\r\n#\r\n/ppp secret\r\nadd name=ivanov password=\"s3 cret\" profile=default service=pppoe\r\n/snmp community\r\nset [ find default=yes ] name=public\r\n";
        let b = a.replace("10:00:00", "10:00:09");
        let kept = "# software id = ABCD-1234\n#\n/ppp secret\n\
                    add name=ivanov password=\"s3 cret\" profile=default service=pppoe\n\
                    /snmp community\nset [ find default=yes ] name=public\n";
        assert_eq!(
            M.normalise_config(a),
            kept,
            "the dated header line is dropped"
        );
        assert_eq!(M.normalise_config(a), M.normalise_config(&b));
        assert_eq!(
            M.mask_secrets(kept),
            "# software id = ABCD-1234\n#\n/ppp secret\n\
             add name=ivanov password=<masked> profile=default service=pppoe\n\
             /snmp community\nset [ find default=yes ] name=<masked>\n"
        );
    }
}
