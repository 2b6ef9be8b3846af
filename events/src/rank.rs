//! Fractional-index ranks: a manual order kept as strings that sort as
//! bytes, so that a drag-and-drop move writes one new rank for the moved
//! item and never rewrites its neighbours.
//!
//! A rank is a base-62 fraction over `0-9A-Za-z` (the alphabet is in byte
//! order) that does not end in `0`: there is always a rank below, above and
//! between any two. [`between`] gives one strictly between two ranks
//! (`None`: the open end). Appending or prepending steps one digit, so a
//! thousand appends grow a rank by about 17 characters; bisecting the same
//! gap again and again grows it by a character every five or six times.
//!
//! Two moves computed from the same view into the same gap get the same
//! rank: both land, and readers order equal ranks by id.

/// The digits, in byte order.
pub const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Longest rank an aggregate accepts.
pub const MAX_RANK: usize = 255;

const BASE: u8 = 62;

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

fn encode(ds: &[u8]) -> String {
    ds.iter().map(|&d| DIGITS[d as usize] as char).collect()
}

fn decode(rank: &str) -> Option<Vec<u8>> {
    is_valid(rank).then(|| rank.bytes().filter_map(digit).collect())
}

/// Whether `rank` is a rank: 1 to [`MAX_RANK`] digits of `0-9A-Za-z`, not
/// ending in `0`.
pub fn is_valid(rank: &str) -> bool {
    !rank.is_empty()
        && rank.len() <= MAX_RANK
        && rank.bytes().all(|c| digit(c).is_some())
        && !rank.ends_with('0')
}

/// The rank of the first item of an empty list (the middle digit).
pub fn first() -> String {
    encode(&[BASE / 2])
}

/// A rank strictly between `a` and `b` (`None`: no bound on that side).
/// When the two are not in order (equal ranks of a tied or stale view),
/// the rank lands right after `a`. A bound that is not a valid rank counts
/// as no bound.
pub fn between(a: Option<&str>, b: Option<&str>) -> String {
    let a = a.and_then(decode);
    let b = b.and_then(decode);
    let ds = match (a, b) {
        (None, None) => vec![BASE / 2],
        (Some(a), None) => after(&a),
        (None, Some(b)) => before(&b),
        (Some(a), Some(b)) if a < b => midpoint(&a, Some(&b)),
        (Some(mut a), Some(_)) => {
            a.push(BASE / 2);
            a
        }
    };
    encode(&ds)
}

/// The shortest step up: the first digit that can grow grows, the rest is
/// dropped; all `z`, a digit more.
fn after(a: &[u8]) -> Vec<u8> {
    match a.iter().position(|&d| d < BASE - 1) {
        Some(i) => {
            let mut out = a[..i].to_vec();
            out.push(a[i] + 1);
            out
        }
        None => {
            let mut out = a.to_vec();
            out.push(1);
            out
        }
    }
}

/// The shortest step down: the first digit that can shrink without
/// becoming a trailing `0` shrinks; otherwise halfway to nothing.
fn before(b: &[u8]) -> Vec<u8> {
    match b.iter().position(|&d| d >= 2) {
        Some(i) => {
            let mut out = b[..i].to_vec();
            out.push(b[i] - 1);
            out
        }
        None => midpoint(&[], Some(b)),
    }
}

/// A fraction strictly between `a` and `b` (`a < b`, neither ending in 0),
/// short: the common prefix, then the middle digit of the first gap.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    if let Some(b) = b {
        let n = (0..b.len()).take_while(|&i| at(a, i) == b[i]).count();
        if n > 0 {
            let mut out = b[..n].to_vec();
            out.extend(midpoint(a.get(n..).unwrap_or(&[]), Some(&b[n..])));
            return out;
        }
    }
    let da = at(a, 0);
    let db = b.map_or(BASE, |b| b[0]);
    if db - da > 1 {
        vec![(da + db).div_ceil(2)]
    } else if let Some(b) = b.filter(|b| b.len() > 1) {
        vec![b[0]]
    } else {
        let mut out = vec![da];
        out.extend(midpoint(a.get(1..).unwrap_or(&[]), None));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(keys: &[String]) -> bool {
        keys.windows(2).all(|w| w[0] < w[1]) && keys.iter().all(|k| is_valid(k))
    }

    #[test]
    fn the_alphabet_is_in_byte_order_and_ranks_are_checked() {
        assert!(DIGITS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(first(), "V");
        for ok in ["V", "1", "z", "0V", "a0b", "zzzz"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["", "0", "V0", "a-b", "ä", "V ", &"V".repeat(MAX_RANK + 1)] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn a_rank_between_is_strictly_between() {
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some("V"), None),
            (None, Some("V")),
            (Some("V"), Some("W")),
            (Some("V"), Some("V1")),
            (Some("1"), Some("2")),
            (None, Some("1")),
            (None, Some("01")),
            (None, Some("001")),
            (Some("z"), None),
            (Some("zz"), None),
            (Some("a"), Some("b")),
            (Some("ay"), Some("b")),
            (Some("a0001"), Some("a001")),
            (Some("49"), Some("5")),
        ];
        for &(a, b) in cases {
            let k = between(a, b);
            assert!(is_valid(&k), "{a:?} {b:?} → {k}");
            assert!(a.is_none_or(|a| a < k.as_str()), "{a:?} < {k}");
            assert!(b.is_none_or(|b| k.as_str() < b), "{k} < {b:?}");
        }
    }

    #[test]
    fn out_of_order_or_invalid_bounds_still_give_a_rank_after_the_lower_one() {
        let k = between(Some("W"), Some("W"));
        assert!(k.as_str() > "W" && is_valid(&k), "{k}");
        let k = between(Some("X"), Some("W"));
        assert!(k.as_str() > "X" && is_valid(&k), "{k}");
        assert_eq!(between(Some("not a rank!"), None), first());
    }

    #[test]
    fn a_thousand_appends_stay_in_order_and_short() {
        let mut keys = vec![first()];
        for _ in 0..1000 {
            let k = between(keys.last().map(String::as_str), None);
            keys.push(k);
        }
        assert!(ordered(&keys));
        let longest = keys.iter().map(String::len).max().unwrap();
        assert!(longest <= 20, "{longest}");
    }

    #[test]
    fn a_thousand_prepends_stay_in_order_and_short() {
        let mut keys = vec![first()];
        for _ in 0..1000 {
            let k = between(None, keys.first().map(String::as_str));
            keys.insert(0, k);
        }
        assert!(ordered(&keys));
        let longest = keys.iter().map(String::len).max().unwrap();
        assert!(longest <= 40, "{longest}");
    }

    #[test]
    fn the_same_gap_bisected_again_and_again_keeps_strict_order() {
        // Always just after the first item, and always just before the last.
        let (lo, hi) = (first(), between(Some(&first()), None));
        let mut below = hi.clone();
        let mut above = lo.clone();
        let mut keys = vec![lo.clone(), hi.clone()];
        for _ in 0..200 {
            below = between(Some(&lo), Some(&below));
            above = between(Some(&above), Some(&hi));
            keys.push(below.clone());
            keys.push(above.clone());
        }
        keys.sort();
        keys.dedup();
        // The first two are both the middle of the whole gap; the rest differ.
        assert_eq!(keys.len(), 401, "every other key distinct");
        assert!(ordered(&keys));
        let longest = keys.iter().map(String::len).max().unwrap();
        assert!(longest <= 45, "{longest}");
    }

    #[test]
    fn random_insertions_keep_a_strict_order() {
        // A small deterministic generator: no dependency needed.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut keys: Vec<String> = Vec::new();
        for _ in 0..2000 {
            let i = (next() % (keys.len() as u64 + 1)) as usize;
            let a = i.checked_sub(1).map(|j| keys[j].as_str());
            let b = keys.get(i).map(String::as_str);
            let k = between(a, b);
            keys.insert(i, k);
        }
        assert!(ordered(&keys));
        let longest = keys.iter().map(String::len).max().unwrap();
        assert!(longest <= 12, "{longest}");
    }
}
