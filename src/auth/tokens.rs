//! Session tokens, API tokens and CSRF tokens.
//!
//! A session cookie holds a random token; the session id the log records is a
//! hash of it, so the log never holds what would let someone log in. An API
//! token is `ispm_<token id>_<secret>`; only the secret's hash is kept, sealed
//! in the secrets table.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "ispmon_session";
pub const LOGIN_CSRF_COOKIE: &str = "ispmon_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The session id recorded in the log for a cookie token.
pub fn session_id(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..16])
}

/// The CSRF token of a session.
pub fn csrf_for(key: &[u8; 32], session_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(b"csrf|");
    mac.update(session_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A fresh API token: (token id, full token to show once, hash to seal).
pub fn new_api_token() -> (String, String, String) {
    let id = hex::encode(&uuid::Uuid::new_v4().as_bytes()[..8]);
    let secret = random_token();
    let full = format!("ispm_{id}_{secret}");
    (id, full, api_secret_hash(&secret))
}

pub fn api_secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Splits `ispm_<id>_<secret>`.
pub fn parse_api_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("ispm_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && !secret.is_empty()).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_round_trip_and_reject_garbage() {
        let (id, full, hash) = new_api_token();
        let (pid, secret) = parse_api_token(&full).unwrap();
        assert_eq!(pid, id);
        assert_eq!(id.len(), 16);
        assert_eq!(full, format!("ispm_{id}_{secret}"));
        assert!(secret.len() >= 20, "a long random secret: {secret}");
        assert_eq!(api_secret_hash(secret), hash);
        assert_ne!(hash, secret, "only the hash is sealed, never the secret");
        assert_ne!(new_api_token().1, full, "every token is new");
        assert_eq!(
            parse_api_token("ispm_0123456789abcdef_se_cret"),
            Some(("0123456789abcdef", "se_cret"))
        );
        assert_eq!(parse_api_token("ispm_short_x"), None);
        assert_eq!(parse_api_token("ispm_0123456789abcdef_"), None, "no secret");
        assert_eq!(parse_api_token("Bearer nonsense"), None);
    }

    #[test]
    fn csrf_depends_on_session_and_key() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        assert_ne!(csrf_for(&k1, "a"), csrf_for(&k1, "b"));
        assert_ne!(csrf_for(&k1, "a"), csrf_for(&k2, "a"));
        let token = csrf_for(&k1, "a");
        assert!(
            same(&token, &csrf_for(&k1, "a")),
            "the same session's token again"
        );
        assert!(!same(&token, &csrf_for(&k1, "b")));
        assert!(
            !same(&token, &token[1..]),
            "a shorter token is not the same"
        );
        assert!(!same(&token, ""));
    }
}
