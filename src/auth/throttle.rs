//! Failed-login throttling: too many failures for one login or from one IP
//! within a window block further attempts until the window has passed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    window: Duration,
    per_login: usize,
    per_ip: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl Throttle {
    pub fn new(window: Duration, per_login: usize, per_ip: usize) -> Self {
        Self {
            window,
            per_login,
            per_ip,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(login: &str, ip: &str) -> [(String, bool); 2] {
        [
            (format!("login:{}", login.to_lowercase()), true),
            (format!("ip:{ip}"), false),
        ]
    }

    /// `Some(wait)` when this login or IP is blocked now.
    pub fn blocked(&self, login: &str, ip: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        let mut wait = None;
        for (key, is_login) in Self::keys(login, ip) {
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    q.pop_front();
                }
                let limit = if is_login {
                    self.per_login
                } else {
                    self.per_ip
                };
                if q.len() >= limit {
                    let until = *q.front().expect("non-empty") + self.window;
                    let w = until.saturating_duration_since(now);
                    wait = Some(wait.map_or(w, |x: Duration| x.max(w)));
                }
            }
        }
        wait
    }

    pub fn failed(&self, login: &str, ip: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) <= self.window)
            });
        }
        for (key, _) in Self::keys(login, ip) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears that login's failures (not the IP's).
    pub fn succeeded(&self, login: &str) {
        let [(key, _), _] = Self::keys(login, "");
        self.failures.lock().expect("throttle lock").remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_login_but_not_others() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert!(t.blocked("anna", "127.0.0.1").is_none());
            t.failed("anna", "127.0.0.1");
        }
        let wait = t
            .blocked("Anna", "127.0.0.9")
            .expect("anna is blocked from any IP, whatever the case");
        assert!(
            wait > Duration::from_secs(14 * 60) && wait <= Duration::from_secs(15 * 60),
            "the wait is the rest of the 15-minute window: {wait:?}"
        );
        assert_eq!(t.blocked("boris", "127.0.0.9"), None);
    }

    #[test]
    fn many_logins_from_one_ip_block_the_ip() {
        let t = Throttle::new(Duration::from_secs(60), 100, 3);
        for i in 0..3 {
            t.failed(&format!("u{i}"), "127.0.0.5");
        }
        let wait = t
            .blocked("someone", "127.0.0.5")
            .expect("the IP is blocked for any login");
        assert!(
            wait > Duration::from_secs(59) && wait <= Duration::from_secs(60),
            "the wait is the rest of the window: {wait:?}"
        );
        assert_eq!(t.blocked("someone", "127.0.0.6"), None);
    }
}
