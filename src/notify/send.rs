//! Delivering one notification over HTTP, and the retry policy. Error texts
//! are built without the request URL (a Telegram URL holds the bot token).

use std::time::Duration;

use serde_json::Value;

/// Attempts per delivery before it is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// The first retry waits this long; each next one twice as long …
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// … up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// One request may take this long in all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait after failed attempt number `attempt` (1-based):
/// 1 s, 2 s, 4 s, … capped at 10 min.
pub fn backoff(attempt: u32) -> Duration {
    let shift = attempt.saturating_sub(1).min(20);
    FIRST_BACKOFF.saturating_mul(1u32 << shift).min(MAX_BACKOFF)
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered {
        status: u16,
    },
    /// Worth trying again later (network error, timeout, 408, 429, 5xx).
    Retry {
        status: Option<u16>,
        error: String,
    },
    /// Trying again will not help (other 3xx/4xx, bad configuration).
    Permanent {
        status: Option<u16>,
        error: String,
    },
}

impl Outcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Delivered { status } => Some(*status),
            Outcome::Retry { status, .. } | Outcome::Permanent { status, .. } => *status,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            Outcome::Delivered { .. } => None,
            Outcome::Retry { error, .. } | Outcome::Permanent { error, .. } => Some(error),
        }
    }
}

/// Classifies an HTTP answer.
pub fn classify(status: u16, detail: Option<String>) -> Outcome {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut error = format!("HTTP {status} {reason}").trim_end().to_string();
    if let Some(d) = detail.filter(|d| !d.is_empty()) {
        error.push_str(": ");
        error.push_str(&d);
    }
    match status {
        200..=299 => Outcome::Delivered { status },
        408 | 429 | 500..=599 => Outcome::Retry {
            status: Some(status),
            error,
        },
        _ => Outcome::Permanent {
            status: Some(status),
            error,
        },
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
) -> Outcome {
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
            match classify(status, detail) {
                Outcome::Retry { status, error } => Outcome::Retry {
                    status,
                    error: mask(error),
                },
                Outcome::Permanent { status, error } => Outcome::Permanent {
                    status,
                    error: mask(error),
                },
                ok => ok,
            }
        }
        Err(e) => {
            let error = mask(describe(&e));
            if e.is_builder() {
                Outcome::Permanent {
                    status: None,
                    error,
                }
            } else {
                Outcome::Retry {
                    status: None,
                    error,
                }
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

    #[test]
    fn backoff_doubles_from_one_second_up_to_ten_minutes() {
        let waits: Vec<u64> = (1..=12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    }

    #[test]
    fn server_errors_are_retried_and_client_errors_are_not() {
        assert_eq!(classify(204, None), Outcome::Delivered { status: 204 });
        assert_eq!(
            classify(500, None),
            Outcome::Retry {
                status: Some(500),
                error: "HTTP 500 Internal Server Error".into()
            }
        );
        assert_eq!(
            classify(429, None),
            Outcome::Retry {
                status: Some(429),
                error: "HTTP 429 Too Many Requests".into()
            }
        );
        assert_eq!(
            classify(400, Some("Bad Request: chat not found".into())),
            Outcome::Permanent {
                status: Some(400),
                error: "HTTP 400 Bad Request: Bad Request: chat not found".into()
            }
        );
        assert_eq!(
            classify(301, None),
            Outcome::Permanent {
                status: Some(301),
                error: "HTTP 301 Moved Permanently".into()
            },
            "redirects are not followed"
        );
    }
}
