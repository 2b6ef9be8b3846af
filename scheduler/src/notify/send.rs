//! Delivering one notification over HTTP. Error texts are built without the
//! request URL (a Telegram URL holds the bot token). Network errors,
//! timeouts, 408, 429 and 5xx are worth a retry; other 3xx/4xx answers and
//! a bad URL are not.

use std::time::Duration;

use serde_json::Value;

use crate::reactor::{Done, Failure};

/// One request may take this long in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Classifies an HTTP answer.
pub fn classify(status: u16, detail: Option<String>) -> Result<Done, Failure> {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut error = format!("HTTP {status} {reason}").trim_end().to_string();
    if let Some(d) = detail.filter(|d| !d.is_empty()) {
        error.push_str(": ");
        error.push_str(&d);
    }
    let code = Some(status);
    match status {
        200..=299 => Ok(Done { code }),
        408 | 429 | 500..=599 => Err(Failure::retry(error).with_code(code)),
        _ => Err(Failure::permanent(error).with_code(code)),
    }
}

/// The HTTP client notifications go out with: bounded time, no redirects.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ispmon/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| describe(&e))
}

/// POSTs `body` as JSON to `url`. `secret`, when given, is masked out of
/// any error text (defence in depth: texts are built without the URL).
pub async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    secret: Option<&str>,
) -> Result<Done, Failure> {
    let mask = |s: String| match secret {
        Some(sec) if !sec.is_empty() => s.replace(sec, "•••"),
        _ => s,
    };
    match client.post(url).json(body).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            // The Bot API explains refusals in `description`.
            let detail = if resp.status().is_success() {
                None
            } else {
                resp.json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v.get("description")?.as_str().map(short))
            };
            classify(status, detail).map_err(|mut f| {
                f.reason = mask(f.reason);
                f
            })
        }
        Err(e) => {
            let error = mask(describe(&e));
            if e.is_builder() {
                Err(Failure::permanent(error))
            } else {
                Err(Failure::retry(error))
            }
        }
    }
}

/// A reqwest error as text, without its URL, with its causes.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_builder() {
        "bad request URL"
    } else {
        "request failed"
    };
    let mut text = kind.to_string();
    let mut source = std::error::Error::source(e);
    let mut depth = 0;
    while let Some(s) = source {
        let s_text = s.to_string();
        if !s_text.contains("://") && !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
        depth += 1;
        if depth > 4 {
            break;
        }
    }
    short(&text)
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactor::FailureKind;

    #[test]
    fn server_errors_are_retried_and_client_errors_are_not() {
        assert_eq!(classify(204, None), Ok(Done { code: Some(204) }));
        let kind = |s| classify(s, None).unwrap_err().kind;
        assert_eq!(kind(500), FailureKind::Retry);
        assert_eq!(kind(429), FailureKind::Retry);
        assert_eq!(kind(301), FailureKind::Permanent);
        let p = classify(400, Some("Bad Request: chat not found".into())).unwrap_err();
        assert_eq!(
            p.reason,
            "HTTP 400 Bad Request: Bad Request: chat not found"
        );
        assert_eq!((p.kind, p.code), (FailureKind::Permanent, Some(400)));
    }
}
