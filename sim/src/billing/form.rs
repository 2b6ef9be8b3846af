//! windows-1251 on the wire: bodies out, url-encoded form posts in (`%C2%EE`
//! is `Во`, `+` is a space), as a browser on a cp1251 page sends them.

use encoding_rs::WINDOWS_1251;

/// The page as cp1251 bytes; a character cp1251 lacks becomes `&#NNNN;`,
/// as a PHP page's would.
pub(crate) fn encode(page: &str) -> Vec<u8> {
    let (bytes, _, _) = WINDOWS_1251.encode(page);
    bytes.into_owned()
}

/// `a=1&b=%C2%EE` → `[("a", "1"), ("b", "Во")]`, each name and value
/// percent-decoded to bytes and then read as cp1251.
pub(crate) fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut kv = part.splitn(2, |&b| b == b'=');
            let k = kv.next().unwrap_or_default();
            let v = kv.next().unwrap_or_default();
            (unescape(k), unescape(v))
        })
        .collect()
}

/// The value of `name` in a decoded form.
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn unescape(text: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'+' => bytes.push(b' '),
            b'%' if i + 2 < text.len() => match (hex(text[i + 1]), hex(text[i + 2])) {
                (Some(h), Some(l)) => {
                    bytes.push(h << 4 | l);
                    i += 2;
                }
                _ => bytes.push(b'%'),
            },
            b => bytes.push(b),
        }
        i += 1;
    }
    WINDOWS_1251
        .decode_without_bom_handling(&bytes)
        .0
        .into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A value for a cp1251 form post (what a browser on the login page
/// sends): tests and the demo's client use it.
pub fn encode_form_value(value: &str) -> String {
    let (bytes, _, _) = WINDOWS_1251.encode(value);
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes.iter() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cp1251_form_post_decodes_to_cyrillic() {
        let body =
            b"cab_login=admin&cab_user_login=%C2%EE%E9%F2%E8+%E2+%EA%E0%E1%E8%ED%E5%F2&x=%zz%4";
        let form = decode_form(body);
        assert_eq!(field(&form, "cab_login"), Some("admin"));
        assert_eq!(field(&form, "cab_user_login"), Some("Войти в кабинет"));
        assert_eq!(field(&form, "x"), Some("%zz%4"));
        assert_eq!(
            encode_form_value("Войти в кабинет"),
            "%C2%EE%E9%F2%E8+%E2+%EA%E0%E1%E8%ED%E5%F2"
        );
        assert_eq!(encode("Ёж №1"), vec![0xa8, 0xe6, b' ', 0xb9, b'1']);
    }
}
