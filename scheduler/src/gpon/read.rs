//! Reading OLT output, shared by the GPON dialects: screen lines (pager
//! residue and cursor moves gone), rules, numbers with units, frame/slot/port
//! spread over several tokens, and `key : value` blocks whose values wrap.

use super::model::{Fsp, GponParseError};

/// The output's lines as a terminal shows them (CR, pager prompts and
/// cursor-back escapes gone, trailing blanks trimmed).
pub(crate) fn lines(out: &str) -> Vec<String> {
    crate::cli::dialect::screen_lines(out)
}

/// A line of dashes (or `=`): a table rule.
pub(crate) fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.chars().all(|c| c == '-' || c == '=')
}

/// A `Structure` error.
pub(crate) fn structure(what: impl Into<String>) -> GponParseError {
    GponParseError::Structure(what.into())
}

/// The first line that is a refusal (`Failure: …`, `%Error …`, `%Code …`,
/// `% Invalid input …`), trimmed: the parsers that read a step's answer
/// report it rather than guess.
pub(crate) fn refusal(out: &str) -> Option<String> {
    lines(out)
        .into_iter()
        .map(|l| l.trim().to_string())
        .find(|l| {
            let low = l.to_ascii_lowercase();
            low.starts_with("failure:")
                || low.starts_with("%error")
                || low.starts_with("%code")
                || low.starts_with("% ")
        })
}

/// A reading: `-19.26`, `2.07(dbm)`, `60(C)`, `3703m`, `+3.1`; `-`, `--`,
/// `N/A`, `NA` and empty are no reading.
pub(crate) fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t.trim_start_matches(':').trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    let n = &t[..end];
    if !n.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A whole number with an optional unit (`1382`, `3703m`); `-` is none.
pub(crate) fn whole(s: &str) -> Option<u32> {
    let t = s.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    t[..end].parse().ok()
}

/// `-` (or nothing) is "not known".
pub(crate) fn known(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-" && !t.eq_ignore_ascii_case("n/a")).then(|| t.to_string())
}

/// The whitespace-separated tokens of `line` with their byte offsets.
pub(crate) fn spans(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// A frame/slot/port at the start of `tokens`, printed in one token
/// (`0/1/0`) or spread over two or three (`0/ 1/0`, `0/1 /0`, `0 /1 /0`):
/// the port and how many tokens it took.
pub(crate) fn take_fsp(tokens: &[&str]) -> Option<(Fsp, usize)> {
    let first = tokens.first()?;
    if !first.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut joined = first.to_string();
    let mut used = 1;
    while used < tokens.len()
        && joined.matches('/').count() < 3
        && (joined.ends_with('/') || tokens[used].starts_with('/'))
    {
        joined.push_str(tokens[used]);
        used += 1;
    }
    let fsp = joined.parse::<Fsp>().ok()?;
    Some((fsp, used))
}

/// `key : value` lines in order, keys and values trimmed. A value the
/// device wrapped (a long description goes on under the value's column,
/// with no colon of its own, or with one) is joined back. Lines without a
/// colon that are not such a continuation are skipped.
pub(crate) fn key_values(out: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    // Where the last value started: a line indented this far goes on with it.
    let mut value_col: Option<usize> = None;
    for line in lines(out) {
        if line.trim().is_empty() || is_rule(&line) {
            value_col = None;
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let (Some(col), Some(last)) = (value_col, fields.last_mut()) {
            if indent >= col {
                last.1.push_str(line.trim());
                continue;
            }
        }
        let Some(colon) = line.find(':') else {
            value_col = None;
            continue;
        };
        let key = line[..colon].trim();
        if key.is_empty() {
            value_col = None;
            continue;
        }
        let rest = &line[colon + 1..];
        let value = rest.trim();
        let lead = rest.len() - rest.trim_start().len();
        value_col = Some(colon + 1 + lead.max(1));
        fields.push((key.to_string(), value.to_string()));
    }
    fields
}

/// A key in the form [`Fields::get`] compares: lower case, units in
/// brackets dropped, blanks collapsed (`Rx optical power(dBm)` → `rx optical power`).
pub(crate) fn key_form(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0usize;
    for c in key.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Key/value fields looked up by meaning ([`key_form`]).
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    pub(crate) fn read(out: &str) -> Self {
        Fields(key_values(out))
    }

    /// The first field whose key reads as one of `names` (already in
    /// [`key_form`]).
    pub(crate) fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            self.0
                .iter()
                .find(|(k, _)| key_form(k) == *n)
                .map(|(_, v)| v.as_str())
        })
    }

    /// [`Fields::get`], `-` and empty as none.
    pub(crate) fn known(&self, names: &[&str]) -> Option<String> {
        self.get(names).and_then(known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_spread_over_tokens_are_read_whole() {
        for line in [
            "0/1/0 5 x",
            "0/ 1/0 5 x",
            "0 /1 /0 5 x",
            "0/1 /0 5 x",
            "0/ 1/ 0 5 x",
        ] {
            let t: Vec<&str> = line.split_whitespace().collect();
            let (fsp, used) = take_fsp(&t).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(fsp, Fsp::new(0, 1, 0), "{line}");
            assert_eq!(t[used], "5", "{line}");
        }
        assert_eq!(take_fsp(&["ONT", "5"]), None);
        assert_eq!(take_fsp(&["12", "100"]), None);
    }

    #[test]
    fn readings_with_units_and_no_readings() {
        assert_eq!(number("-19.26"), Some(-19.26));
        assert_eq!(number(":-20.241(dbm)"), Some(-20.241));
        assert_eq!(number("60(C)"), Some(60.0));
        assert_eq!(number("+2.5"), Some(2.5));
        for none in ["-", "--", "N/A", "", "-/-"] {
            assert_eq!(number(none), None, "{none}");
        }
        assert_eq!(whole("3703m"), Some(3703));
        assert_eq!(whole("-"), None);
    }

    #[test]
    fn wrapped_values_are_joined_back() {
        let out = "  F/S/P                   : 0/0/15\r\n\
                   \x20 Description             : Dr,                             \r\n\
                   \x20                           Orlando_zone_PRINCIPAL_authd_202\r\n\
                   \x20                           60818\r\n\
                   \x20 Last up time            : 2018-04-06 19:09:27+08:00\r\n";
        let f = Fields::read(out);
        assert_eq!(
            f.get(&["description"]),
            Some("Dr,Orlando_zone_PRINCIPAL_authd_20260818")
        );
        assert_eq!(f.get(&["last up time"]), Some("2018-04-06 19:09:27+08:00"));
        assert_eq!(f.get(&["f/s/p"]), Some("0/0/15"));
        assert_eq!(key_form("Rx optical power(dBm)"), "rx optical power");
    }
}
