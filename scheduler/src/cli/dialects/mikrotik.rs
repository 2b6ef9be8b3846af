//! MikroTik RouterOS: `Login:` with terminal flags (`admin+ct`), `[admin@MikroTik] >`,
//! `key=value` output (`print terse`), `/export` with a `# ... by RouterOS` header.

use super::{clean_lines, key_values, normalise_mac};
use crate::cli::dialect::{LoginSpec, MacEntry, ParseError, VersionInfo};

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

/// `key=value` pairs of one line; a value may be double-quoted.
fn pairs(line: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key_start = rest[..eq].rfind(' ').map_or(0, |i| i + 1);
        let key = &rest[key_start..eq];
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (&q[..end], &q[(end + 1).min(q.len())..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key, value));
        rest = next;
    }
    out
}

/// `/interface bridge host print terse`:
/// ` 0 D   mac-address=4C:5E:0C:11:22:33 vid=10 on-interface=ether2 bridge=bridge1`.
/// Flags before the first pair: `D` dynamic, `L` local, `X` disabled; no `vid` means VLAN 1.
pub(crate) fn parse_macs(output: &str) -> Result<Vec<MacEntry>, ParseError> {
    let mut rows = Vec::new();
    let mut saw_table = false;
    for line in clean_lines(output) {
        let t = line.trim();
        if t.starts_with("Flags:") || t.starts_with("Columns:") {
            saw_table = true;
            continue;
        }
        let kv = pairs(t);
        let get = |k: &str| kv.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let (Some(mac), Some(port)) =
            (get("mac-address"), get("on-interface").or(get("interface")))
        else {
            continue;
        };
        let Some(mac) = normalise_mac(mac) else {
            continue;
        };
        saw_table = true;
        let flags = t.split('=').next().unwrap_or("");
        let flags: Vec<&str> = flags.split_whitespace().collect();
        let flags = flags
            .get(..flags.len().saturating_sub(1))
            .unwrap_or(&[])
            .concat();
        let vlan = get("vid").and_then(|v| v.parse().ok()).unwrap_or(1);
        rows.push(MacEntry {
            vlan,
            mac,
            port: port.to_string(),
            dynamic: flags.contains('D'),
        });
    }
    if !saw_table {
        return Err(ParseError::NoTable);
    }
    Ok(rows)
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
                entry(1, "b8:69:f4:00:00:01", "bridge1", true),
                entry(300, "00:0c:42:aa:bb:cc", "sfp1", false),
            ]
        );
        assert_eq!(
            M.parse_mac_table("bad command name hots (line 1 column 16)"),
            Err(ParseError::NoTable)
        );
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
