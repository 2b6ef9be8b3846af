//! The per-vendor halves of [`Dialect`](super::Dialect) and the helpers they
//! share: MAC notation, the MAC table reader (columns by header names, rows
//! filtered and deduplicated once for every vendor), port names compared
//! by meaning, port lists, interface blocks, prompt shapes, pager search,
//! config normalising and keyword-based secret masking.
//!
//! - [`huawei`]: SmartAX MA56xx OLTs and VRP switches.
//! - [`cisco`]: Cisco IOS and the IOS-like Qtech/Orion QSW.
//! - [`dlink`], [`zyxel`], [`mikrotik`]: one vendor each.
//! - [`zte`]: ZTE C300/C320 OLTs.

pub(super) mod cisco;
pub(super) mod dlink;
pub(super) mod huawei;
pub(super) mod mikrotik;
pub(super) mod zte;
pub(super) mod zyxel;

#[cfg(test)]
mod roundtrip_tests;

use super::{MacEntry, ParseError, TrunkPort};

/// Any common MAC notation → `"00:1a:2b:3c:4d:5e"`; `None` if `token` is
/// not a MAC. Accepts `001a.2b3c.4d5e` (Cisco), `001a-2b3c-4d5e` (Huawei),
/// `00-1A-2B-3C-4D-5E` (D-Link, Qtech), `00:1a:2b:3c:4d:5e` and bare
/// `001a2b3c4d5e`, in either case, with surrounding `,;()"` trimmed. Times
/// such as `10:00:00` and port names are not MACs.
pub fn normalise_mac(token: &str) -> Option<String> {
    let token = token.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"'));
    let groups: Vec<&str> = token.split(['.', '-', ':']).collect();
    let ok = match groups.len() {
        3 => groups.iter().all(|g| g.len() == 4),
        6 => groups.iter().all(|g| g.len() == 2),
        1 => token.len() == 12,
        _ => false,
    };
    // A dotted triple must use dots or dashes, not colons (that would be a time),
    // and one notation uses one separator.
    let seps: Vec<char> = token
        .chars()
        .filter(|c| matches!(c, '.' | '-' | ':'))
        .collect();
    if !ok || (groups.len() == 3 && token.contains(':')) || seps.windows(2).any(|w| w[0] != w[1]) {
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

/// The first MAC address in free text (a log line, a ticket, a chat
/// message), normalised as [`normalise_mac`] does. Words are cut at every
/// character that no MAC notation uses, so `mac=aa:bb:cc:dd:ee:ff,` and
/// `(AABB.CCDD.EEFF)` are found; times (`10:00:00`), dates, IPv4/IPv6
/// addresses and longer hex strings are not MACs. A bare 12-digit group is
/// taken only when it holds a hex letter (`001a2b3c4d5e`), so a 12-digit
/// number such as a timestamp is not mistaken for one.
pub fn find_mac_in_text(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | '-' | ':')))
        .map(|w| w.trim_matches(['.', '-', ':']))
        .filter(|w| !w.is_empty())
        .find_map(|w| {
            let bare = !w.contains(['.', '-', ':']);
            if bare && w.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            normalise_mac(w)
        })
}

/// Output lines without CR and trailing spaces.
pub(crate) fn clean_lines(output: &str) -> impl Iterator<Item = &str> {
    output
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']).trim_end())
}

/// Pager prompts a device may leave inside captured output.
const PAGER_RESIDUE: [&str; 8] = [
    "---- More ( Press 'Q' to break ) ----",
    "---- More ----",
    "CTRL+C ESC q Quit SPACE n Next Page ENTER Next Entry a All",
    "-- more --, next page: Space, continue: c, quit: ESC",
    "--More--",
    "--more--",
    "-- More --",
    "<--- More --->",
];

/// One output line as a terminal would show it: ANSI escapes dropped,
/// backspaces and cursor-left moves (`ESC[42D`) erase what they go back
/// over, a CR inside the line starts it again, and pager prompts left in
/// the text (`--More--`, `---- More ( Press 'Q' to break ) ----`,
/// D-Link's `CTRL+C ESC q Quit ...`, MikroTik's `-- [Q quit|...]`) are
/// removed. Trailing blanks trimmed.
pub(crate) fn screen_line(line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut out: Vec<char> = Vec::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    let mut n = String::new();
                    while let Some(&p) = chars.peek() {
                        chars.next();
                        if p.is_ascii_alphabetic() || p == '~' {
                            if p == 'D' {
                                let back = n.parse::<usize>().unwrap_or(1);
                                out.truncate(out.len().saturating_sub(back));
                            }
                            break;
                        }
                        n.push(p);
                    }
                } else {
                    chars.next();
                }
            }
            '\u{8}' => {
                out.pop();
            }
            '\r' => out.clear(),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    let mut s: String = out.into_iter().collect();
    for marker in PAGER_RESIDUE {
        if s.contains(marker) {
            s = s.replace(marker, "");
        }
    }
    while let Some(at) = s.find("-- [Q quit|") {
        let end = s[at..].find(']').map_or(s.len(), |i| at + i + 1);
        s.replace_range(at..end, "");
    }
    s.trim_end().to_string()
}

/// The lines of `output` through [`screen_line`]: what table parsers read.
pub(crate) fn screen_lines(output: &str) -> Vec<String> {
    output.split('\n').map(screen_line).collect()
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
    head.parse::<u16>().ok().filter(|v| (1..=4095).contains(v))
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

/// Is `mac` (normalised) a group address (multicast or broadcast)? Such a
/// MAC is never a subscriber's.
pub(crate) fn is_group_mac(mac: &str) -> bool {
    u8::from_str_radix(mac.get(..2).unwrap_or("00"), 16).is_ok_and(|b| b & 1 == 1)
}

/// Does the row point at the device itself rather than at a port: the CPU,
/// the supervisor (NX-OS `sup-eth1(R)`), the router, or a `Self`/`System`
/// entry (D-Link, Catalyst 2950)?
pub(crate) fn is_device_itself(port: &str, kind: &str) -> bool {
    let p = port.to_ascii_lowercase();
    let k = kind.to_ascii_lowercase();
    matches!(
        p.as_str(),
        "cpu" | "self" | "router" | "switch" | "drop" | "sup"
    ) || p.starts_with("sup-eth")
        || p.ends_with("(r)")
        || matches!(k.as_str(), "self" | "system" | "cpu")
}

/// The rows a MAC table gives back, shared by every vendor: rows whose
/// VLAN is not a number (`All`, `-`), group MACs (multicast, broadcast),
/// rows pointing at the device itself ([`is_device_itself`]), rows listing
/// several ports and rows without a port are dropped; a row printed again
/// (per linecard, per page) is kept once.
#[derive(Debug, Default)]
pub(crate) struct MacRows {
    rows: Vec<MacEntry>,
}

impl MacRows {
    /// Offers one row; `vlan` and `kind` as printed.
    pub(crate) fn offer(&mut self, vlan: &str, mac: String, port: &str, kind: &str) {
        let Some(vlan) = parse_vlan(vlan) else {
            return;
        };
        let port = port.trim();
        if port.is_empty() || port == "-" || is_group_mac(&mac) || is_device_itself(port, kind) {
            return;
        }
        let several =
            port.contains(',') || (port.contains(char::is_whitespace) && !port.starts_with("vPC"));
        if several {
            return;
        }
        let row = mac_row(vlan, mac, port, kind);
        if !self.rows.contains(&row) {
            self.rows.push(row);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<MacEntry> {
        self.rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// What a MAC table column holds, read from its header words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Vlan,
    Mac,
    Type,
    Port,
    /// A free-text column that may hold spaces (D-Link's `VLAN Name`).
    Name,
    Other,
}

/// The columns named by a header line, in order, if it is a MAC table
/// header: one MAC column and a VLAN or port column, and no MAC in it.
/// Names are read by meaning: `Mac Address`, `Destination Address`,
/// `MAC Address` → MAC; `Vlan`, `VID`, `VLAN ID`, `VLAN/VSI/BD` → VLAN;
/// `Type`, `Address Type`, `State`, `Flags` → type; `Port(s)`, `Destination Port`,
/// `Learned-From`, `Interface` → port; `VLAN Name` → a name.
pub(crate) fn header_columns(line: &str) -> Option<Vec<Col>> {
    let lower = line.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if find_mac(&words).is_some() {
        return None;
    }
    let mut cols = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied().unwrap_or("");
        let (col, used) = match (w, next) {
            ("mac", "address" | "addr" | "addresses") => (Col::Mac, 2),
            ("destination", "address") => (Col::Mac, 2),
            ("destination", "port" | "ports") => (Col::Port, 2),
            ("address", "type") => (Col::Type, 2),
            ("vlan", "name") => (Col::Name, 2),
            ("vlan", "id") => (Col::Vlan, 2),
            ("port", "index") => (Col::Port, 2),
            ("aging" | "left", _) if next.starts_with("time") => (Col::Other, 2),
            ("mac" | "mac-address", _) => (Col::Mac, 1),
            ("vlan" | "vid", _) => (Col::Vlan, 1),
            _ if w.starts_with("vlan/") => (Col::Vlan, 1),
            ("type" | "state" | "flags", _) => (Col::Type, 1),
            ("port" | "ports" | "learned-from" | "interface" | "interfaces", _) => (Col::Port, 1),
            ("name", _) => (Col::Name, 1),
            _ => (Col::Other, 1),
        };
        cols.push(col);
        i += used;
    }
    let macs = cols.iter().filter(|c| **c == Col::Mac).count();
    (macs == 1 && cols.iter().any(|c| matches!(c, Col::Vlan | Col::Port))).then_some(cols)
}

/// Pairs `tokens` with `cols`. With more tokens than columns the `absorb`
/// column takes the extra (joined with spaces); without one, extra tokens
/// are leading flags (`align_end`) or belong to the last column. With fewer
/// tokens, the columns nearest the MAC are the ones filled.
fn assign(
    tokens: &[&str],
    cols: &[Col],
    absorb: Option<usize>,
    align_end: bool,
) -> Vec<(Col, String)> {
    let (n, k) = (tokens.len(), cols.len());
    let one = |c: &Col, t: &&str| (*c, t.to_string());
    if k == 0 {
        return Vec::new();
    }
    if n < k {
        return if align_end {
            cols[k - n..]
                .iter()
                .zip(tokens)
                .map(|(c, t)| one(c, t))
                .collect()
        } else {
            cols.iter().zip(tokens).map(|(c, t)| one(c, t)).collect()
        };
    }
    let a = match absorb {
        Some(a) => a,
        None if align_end => {
            return cols
                .iter()
                .zip(&tokens[n - k..])
                .map(|(c, t)| one(c, t))
                .collect();
        }
        None => k - 1,
    };
    let tail = k - a - 1;
    let mut out: Vec<(Col, String)> = cols[..a]
        .iter()
        .zip(tokens)
        .map(|(c, t)| one(c, t))
        .collect();
    out.push((cols[a], tokens[a..n - tail].join(" ")));
    out.extend(
        cols[a + 1..]
            .iter()
            .zip(&tokens[n - tail..])
            .map(|(c, t)| one(c, t)),
    );
    out
}

/// Words a MAC table prints in its type column.
fn is_type_word(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    matches!(
        w.as_str(),
        "dynamic"
            | "static"
            | "learned"
            | "learnt"
            | "self"
            | "secure"
            | "sticky"
            | "igmp"
            | "system"
            | "permanent"
            | "blackhole"
            | "security"
            | "sec-config"
            | "deleteontimeout"
            | "deleteonreset"
    ) || w.starts_with("dyn")
}

/// The columns after the MAC. With more words than columns, the extra
/// words belong to the last column (`vPC Peer-Link`, a port list) unless
/// that leaves the type column without a type word and another choice
/// gives it one (VRP3's two-word `Config static` state).
fn assign_after(tokens: &[&str], cols: &[Col]) -> Vec<(Col, String)> {
    let last = cols.len().saturating_sub(1);
    if tokens.len() <= cols.len() || !cols.contains(&Col::Type) {
        return assign(tokens, cols, None, false);
    }
    let typed = |cells: &[(Col, String)]| {
        cells
            .iter()
            .any(|(c, v)| *c == Col::Type && v.split_whitespace().any(is_type_word))
    };
    let first = assign(tokens, cols, Some(last), false);
    if typed(&first) {
        return first;
    }
    // The type column itself first, then the others.
    let type_at = cols.iter().position(|c| *c == Col::Type).unwrap_or(last);
    std::iter::once(type_at)
        .chain((0..last).filter(|a| *a != type_at))
        .map(|a| assign(tokens, cols, Some(a), false))
        .find(|cells| typed(cells))
        .unwrap_or(first)
}

/// Reads one table row by the header's columns: the MAC is found by its
/// shape, the columns before it are read back from the MAC (leading flags
/// such as NX-OS `*`/`+`/`G` fall away), the ones after it forward (the
/// last one keeps what is left, e.g. `vPC Peer-Link`). Offers the row to `rows`.
pub(crate) fn read_row(cols: &[Col], tokens: &[&str], rows: &mut MacRows) -> bool {
    let (Some((at, mac)), Some(mac_col)) =
        (find_mac(tokens), cols.iter().position(|c| *c == Col::Mac))
    else {
        return false;
    };
    let before = &cols[..mac_col];
    let absorb = before.iter().position(|c| *c == Col::Name);
    let mut cells = assign(&tokens[..at], before, absorb, true);
    cells.extend(assign_after(&tokens[at + 1..], &cols[mac_col + 1..]));
    let get = |col: Col| {
        cells
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, v)| v.as_str())
    };
    let kind = get(Col::Type).unwrap_or("");
    match (get(Col::Vlan), get(Col::Port)) {
        (Some(vlan), Some(port)) => {
            rows.offer(vlan, mac, port, kind);
            true
        }
        _ => false,
    }
}

/// A MAC table read by its header ([`header_columns`]); before any header
/// the vendor's usual `default` layout applies. A line holding one of
/// `markers` (lower-case, e.g. `total entries:`) also shows the table was
/// printed, so a header-less "no entries" answer is `Ok(vec![])`; with no
/// header, no marker and no row the output holds no table.
pub(crate) fn parse_mac_columns(
    output: &str,
    default: &[Col],
    markers: &[&str],
) -> Result<Vec<MacEntry>, ParseError> {
    let mut rows = MacRows::default();
    let mut layout: Vec<Col> = default.to_vec();
    let mut saw_table = false;
    for line in screen_lines(output) {
        if let Some(cols) = header_columns(&line) {
            layout = cols;
            saw_table = true;
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if markers.iter().any(|m| lower.contains(m)) {
            saw_table = true;
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if !tokens.is_empty() && read_row(&layout, &tokens, &mut rows) {
            saw_table = true;
        }
    }
    if !saw_table && rows.is_empty() {
        return Err(ParseError::NoTable);
    }
    Ok(rows.into_vec())
}

/// Interface type prefixes, long and short, and the short form they all
/// compare as. Longest first within a family so a prefix is never cut.
const PORT_PREFIXES: &[(&[&str], &str)] = &[
    (&["hundredgigabitethernet", "hundredgige", "hu"], "hu"),
    (&["fortygigabitethernet", "fortygige", "fo"], "fo"),
    (
        &["twentyfivegigabitethernet", "twentyfivegige", "twe"],
        "twe",
    ),
    (&["tengigabitethernet", "tengige", "te"], "te"),
    (&["xgigabitethernet", "xge"], "xge"),
    (&["twogigabitethernet", "tw"], "tw"),
    (&["gigabitethernet", "gige", "gig", "gi", "ge"], "gi"),
    (&["fastethernet", "fa", "fe"], "fa"),
    (&["ethernet", "eth", "et", "e"], "eth"),
    (&["port-channel", "portchannel", "po"], "po"),
    (&["eth-trunk"], "eth-trunk"),
    (&["vlan-interface", "vlanif", "vlan", "vl"], "vlan"),
];

/// A port name in one form for comparing by meaning: lower case, no
/// blanks, the interface type in its short form, the numbers as printed
/// (leading zeros dropped). `GigabitEthernet0/1`, `Gi0/1`, `gi 0/1` →
/// `gi0/1`; Huawei `GE0/0/1` and `GigabitEthernet0/0/1` → `gi0/0/1`;
/// `Eth1/1`, `Ethernet1/1`, Qtech `Ethernet1/0/25` → `eth…`; `Fa0/5`;
/// `Te1/0/1`; `XGE0/0/1`; `Port-channel1`/`Po1`; `Eth-Trunk1`; SmartAX
/// `0/ 1/0` → `0/1/0`; D-Link `1:5` (unit 1) and plain `5` → `5`, other
/// units `2:5` → `2/5`; names without numbers first (`ether2`, `sfp1`,
/// `bridge1`, `CPU`) are only lower-cased.
pub fn canonical_port(port: &str) -> String {
    let compact: String = port
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    // D-Link unit:port.
    if let Some((unit, p)) = compact.split_once(':') {
        if !unit.is_empty()
            && !p.is_empty()
            && unit.bytes().all(|b| b.is_ascii_digit())
            && p.bytes().all(|b| b.is_ascii_digit())
        {
            let (unit, p) = (trim_zeros(unit), trim_zeros(p));
            return if unit == "1" {
                p
            } else {
                format!("{unit}/{p}")
            };
        }
    }
    let split = compact
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(compact.len());
    let (mut prefix, mut rest) = compact.split_at(split);
    // Huawei `10GE1/0/1`, `40GE`, `100GE`, `25GE`: the speed is the type.
    if prefix.is_empty() {
        if let Some(g) = compact.find("ge") {
            if compact[..g].bytes().all(|b| b.is_ascii_digit()) && g > 0 {
                let after = &compact[g + 2..];
                if after.starts_with(|c: char| c.is_ascii_digit()) {
                    prefix = &compact[..g + 2];
                    rest = after;
                }
            }
        }
    }
    let short = PORT_PREFIXES
        .iter()
        .find(|(names, _)| names.contains(&prefix))
        .map_or(prefix, |(_, short)| *short);
    let numbers: Vec<String> = split_numbers(rest);
    format!("{short}{}", numbers.concat())
}

fn trim_zeros(n: &str) -> String {
    let t = n.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

/// `0/01/1.100` → `["0", "/", "1", "/", "1", ".", "100"]` with leading zeros dropped.
fn split_numbers(rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut num = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push(trim_zeros(&num));
                num.clear();
            }
            out.push(c.to_string());
        }
    }
    if !num.is_empty() {
        out.push(trim_zeros(&num));
    }
    out
}

/// A port list as configs print it → one name per port, as written:
/// `25-28`, `1-24,25`, `1:25-1:28`, `1:1-24`, `Gi0/1-2`,
/// `GigabitEthernet0/1 - 4 , GigabitEthernet0/6`, `ether1,sfp1`. A `-`
/// that belongs to a name (`Eth-Trunk1`, `sfp-sfpplus1`) is not a range.
/// Ranges longer than 4096 ports are kept as written.
pub(crate) fn expand_ports(list: &str) -> Vec<String> {
    let joined: String = list
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" -", "-")
        .replace("- ", "-")
        .replace(" ,", ",")
        .replace(", ", ",");
    let mut out = Vec::new();
    for item in joined.split([',', ' ']).filter(|i| !i.is_empty()) {
        match expand_range(item) {
            Some(ports) => out.extend(ports),
            None => out.push(item.to_string()),
        }
    }
    out
}

/// `Gi0/1-4` → `Gi0/1` … `Gi0/4`; `None` when `item` is not a range.
fn expand_range(item: &str) -> Option<Vec<String>> {
    let dash = item
        .char_indices()
        .filter(|(_, c)| *c == '-')
        .map(|(i, _)| i)
        .find(|&i| {
            item[..i].ends_with(|c: char| c.is_ascii_digit())
                && item[i + 1..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })?;
    let (left, right) = (&item[..dash], &item[dash + 1..]);
    let num_start = |s: &str| s.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    let base = &left[..num_start(left)];
    let first: u32 = left[num_start(left)..].parse().ok()?;
    let rs = num_start(right);
    let right_base = &right[..rs];
    let last: u32 = right[rs..].parse().ok()?;
    // `1:25-1:28` and `Gi0/1-Gi0/4` repeat the base; `Gi0/1-4` does not.
    let same_base = right_base.is_empty()
        || right_base.eq_ignore_ascii_case(base)
        || canonical_port(&format!("{right_base}0")) == canonical_port(&format!("{base}0"));
    if !same_base || last < first || last - first > 4096 {
        return None;
    }
    Some((first..=last).map(|n| format!("{base}{n}")).collect())
}

/// The `interface X` blocks of an IOS-like or VRP config: the interface
/// name(s) as written, blanks dropped (an `interface range` or a ranged
/// name like `Ethernet 1/0/1-4` expanded) and the block's
/// trimmed lines, up to the next unindented line (`!`, `#`, `exit`, …).
pub(crate) fn interface_blocks(config: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut open = false;
    for line in config.split('\n') {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        let indented = line.starts_with([' ', '\t']);
        let t = line.trim();
        if !indented {
            open = false;
            let lower = t.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("interface ") {
                let name = t[t.len() - rest.len()..].trim();
                // `interface range Gi0/1 - 2`, `Interface Ethernet 1/0/1-4`.
                let list = match name.to_ascii_lowercase().strip_prefix("range ") {
                    Some(r) => name[name.len() - r.len()..].to_string(),
                    None => name.to_string(),
                };
                let compact: String = list.split_whitespace().collect();
                let names = expand_ports(&compact);
                out.push((names, Vec::new()));
                open = true;
            }
            continue;
        }
        if open && !t.is_empty() {
            if let Some(last) = out.last_mut() {
                last.1.push(t.to_string());
            }
        }
    }
    out
}

/// The interfaces of an IOS-like or VRP config whose mode is one of
/// `trunk_modes`: `mode_of` reads a block line's words (lower-case) into a
/// mode; the last such line of a block decides.
pub(crate) fn block_trunks(
    config: &str,
    mode_of: impl Fn(&[&str]) -> Option<String>,
    trunk_modes: &[&str],
) -> Vec<TrunkPort> {
    let mut out = Vec::new();
    for (names, lines) in interface_blocks(config) {
        let mode = lines.iter().rev().find_map(|l| {
            let lower = l.to_ascii_lowercase();
            let words: Vec<&str> = lower.split_whitespace().collect();
            mode_of(&words)
        });
        if let Some(mode) = mode.filter(|m| trunk_modes.contains(&m.as_str())) {
            for name in names {
                push_trunk(&mut out, &name, &mode);
            }
        }
    }
    out
}

/// Ports (canonical) with their mode, first mention kept.
pub(crate) fn push_trunk(out: &mut Vec<TrunkPort>, port: &str, mode: &str) {
    let port = canonical_port(port);
    if !out.iter().any(|t| t.port == port) {
        out.push(TrunkPort {
            port,
            mode: mode.to_string(),
        });
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
                .all(|c| c.is_alphanumeric() || "-_/.: ".contains(c)));
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
    fn port_names_compare_by_meaning() {
        for (a, b, canon) in [
            ("GigabitEthernet0/1", "Gi0/1", "gi0/1"),
            ("gi0/1", "Gi 0/1", "gi0/1"),
            ("GE0/0/1", "GigabitEthernet0/0/1", "gi0/0/1"),
            ("Eth1/1", "Ethernet1/1", "eth1/1"),
            ("FastEthernet0/5", "Fa0/5", "fa0/5"),
            ("TenGigabitEthernet1/0/1", "Te1/0/1", "te1/0/1"),
            ("XGigabitEthernet0/0/1", "XGE0/0/1", "xge0/0/1"),
            ("Ethernet1/0/25", "ethernet 1/0/25", "eth1/0/25"),
            ("1:5", "5", "5"),
            ("0/ 1/0", "0/1/0", "0/1/0"),
            ("Port-channel1", "Po1", "po1"),
            ("Eth-Trunk1", "eth-trunk1", "eth-trunk1"),
            ("10GE1/0/1", "10ge1/0/1", "10ge1/0/1"),
            ("ether2", "ETHER2", "ether2"),
        ] {
            assert_eq!(canonical_port(a), canon, "{a}");
            assert_eq!(canonical_port(b), canon, "{b}");
        }
        assert_eq!(canonical_port("2:5"), "2/5");
        assert_ne!(canonical_port("Gi0/1"), canonical_port("Gi0/10"));
        assert_ne!(canonical_port("Gi0/1"), canonical_port("Fa0/1"));
        assert_ne!(canonical_port("Te1/0/1"), canonical_port("Gi1/0/1"));
        assert_eq!(canonical_port("sfp-sfpplus1"), "sfp-sfpplus1");
    }

    #[test]
    fn port_lists_expand() {
        assert_eq!(expand_ports("25-28"), ["25", "26", "27", "28"]);
        assert_eq!(expand_ports("1-2,25"), ["1", "2", "25"]);
        assert_eq!(expand_ports("1:25-1:27"), ["1:25", "1:26", "1:27"]);
        assert_eq!(expand_ports("Gi0/1-2"), ["Gi0/1", "Gi0/2"]);
        assert_eq!(
            expand_ports("GigabitEthernet0/1 - 2 , GigabitEthernet0/5"),
            [
                "GigabitEthernet0/1",
                "GigabitEthernet0/2",
                "GigabitEthernet0/5"
            ]
        );
        assert_eq!(expand_ports("Eth-Trunk1"), ["Eth-Trunk1"]);
        assert_eq!(
            expand_ports("ether1,sfp-sfpplus1"),
            ["ether1", "sfp-sfpplus1"]
        );
        assert_eq!(expand_ports("5-3"), ["5-3"], "not a range: kept as written");
    }

    #[test]
    fn a_mac_is_found_in_pasted_text() {
        for (text, mac) in [
            (
                "Jan 1 10:00:00 dhcpd: DHCPACK on 10.1.2.3 to aa:bb:cc:dd:ee:ff via eth0",
                "aa:bb:cc:dd:ee:ff",
            ),
            (
                "client 00-1E-58-AA-BB-CC at 2024-01-01 10:00",
                "00:1e:58:aa:bb:cc",
            ),
            ("learned (0018.b974.528f) on Gi0/1", "00:18:b9:74:52:8f"),
            ("mac=001a2b3c4d5e, port 5", "00:1a:2b:3c:4d:5e"),
            (
                "%SW_MATM-4-MACFLAP_NOTIF: Host 0025.9e80.2494 in vlan 10",
                "00:25:9e:80:24:94",
            ),
        ] {
            assert_eq!(find_mac_in_text(text).as_deref(), Some(mac), "{text}");
        }
        for text in [
            "Jan 1 10:00:00 up 12:30:45",
            "ts=202401011030 from fe80::1 and 10.0.0.1",
            "sha 0123456789abcdef0123456789abcdef",
            "",
        ] {
            assert_eq!(find_mac_in_text(text), None, "{text}");
        }
    }

    #[test]
    fn screen_lines_drop_pager_prompts_and_cursor_moves() {
        assert_eq!(
            screen_line(" --More-- \u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}\u{8}  10 x\r"),
            "  10 x"
        );
        assert_eq!(
            screen_line("---- More ( Press 'Q' to break ) ----\u{1b}[37D\u{1b}[K  0 1"),
            "  0 1"
        );
        assert_eq!(screen_line("-- [Q quit|D dump|down] 5 D"), " 5 D");
        assert_eq!(screen_line("\u{1b}[1;32mgreen\u{1b}[0m  "), "green");
    }

    #[test]
    fn headers_are_read_by_their_names() {
        use Col::*;
        assert_eq!(
            header_columns("Vlan    Mac Address       Type        Ports"),
            Some(vec![Vlan, Mac, Type, Port])
        );
        assert_eq!(
            header_columns("Destination Address  Address Type  VLAN  Destination Port"),
            Some(vec![Mac, Type, Vlan, Port])
        );
        assert_eq!(
            header_columns("VID  VLAN Name   MAC Address   Port  Type  Status"),
            Some(vec![Vlan, Name, Mac, Port, Type, Other])
        );
        assert_eq!(
            header_columns("Total Mac Addresses for this criterion: 5"),
            None
        );
        assert_eq!(header_columns("MAC address table of slot 0:"), None);
        assert_eq!(header_columns("10 0011.2233.4455 dynamic Gi0/1"), None);
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
