//! Leases in `telemetry.db`: "this process works on X until T". A run takes
//! the lease of what it touches before it starts and gives it back when it
//! ends; a holder that died leaves a lease that expires and is then taken
//! over. Because the table is in a database, every process on the data dir
//! (and, with a shared database, every node) sees the same leases — the
//! state DESIGN §7 says must not live only in memory.

use std::collections::HashSet;
use std::time::Duration;

use rusqlite::{params, OptionalExtension};

use crate::telemetry::Telemetry;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The leases of one holder (a process instance).
#[derive(Clone)]
pub struct Leases {
    telemetry: Telemetry,
    owner: String,
}

impl Leases {
    /// A holder with a fresh instance id.
    pub fn new(telemetry: Telemetry) -> Self {
        Self::with_owner(telemetry, uuid::Uuid::new_v4().to_string())
    }

    pub fn with_owner(telemetry: Telemetry, owner: String) -> Self {
        Self { telemetry, owner }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Takes `name` for `ttl` unless someone else holds an unexpired lease
    /// on it; true when taken (a lease of our own is renewed).
    pub fn claim_blocking(&self, name: &str, ttl: Duration) -> rusqlite::Result<bool> {
        let now = now_ms();
        let until = now + ttl.as_millis() as i64;
        let changed = self.telemetry.with_conn(|c| {
            c.prepare_cached(
                "INSERT INTO leases (name, owner, until_ms, taken_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET
                    owner = excluded.owner, until_ms = excluded.until_ms,
                    taken_at = excluded.taken_at
                 WHERE leases.until_ms <= ?5 OR leases.owner = excluded.owner",
            )?
            .execute(params![
                name,
                self.owner,
                until,
                ispmon_events::store::now_rfc3339(),
                now
            ])
        })?;
        Ok(changed == 1)
    }

    /// Gives a lease back (only our own).
    pub fn release_blocking(&self, name: &str) -> rusqlite::Result<()> {
        self.telemetry.with_conn(|c| {
            c.prepare_cached("DELETE FROM leases WHERE name = ?1 AND owner = ?2")?
                .execute(params![name, self.owner])
                .map(|_| ())
        })
    }

    /// Whether anyone holds an unexpired lease on `name`.
    pub fn held_blocking(&self, name: &str) -> rusqlite::Result<bool> {
        self.telemetry.with_conn(|c| {
            c.prepare_cached("SELECT 1 FROM leases WHERE name = ?1 AND until_ms > ?2")?
                .query_row(params![name, now_ms()], |_| Ok(()))
                .optional()
                .map(|r| r.is_some())
        })
    }

    /// The names under `prefix` with an unexpired lease, prefix removed.
    pub fn held_under_blocking(&self, prefix: &str) -> rusqlite::Result<HashSet<String>> {
        self.telemetry.with_conn(|c| {
            let mut s = c.prepare_cached(
                "SELECT name FROM leases WHERE name >= ?1 AND name < ?1 || x'ff' AND until_ms > ?2",
            )?;
            let rows = s.query_map(params![prefix, now_ms()], |r| r.get::<_, String>(0))?;
            rows.map(|r| r.map(|n| n[prefix.len()..].to_string()))
                .collect()
        })
    }

    pub async fn claim(&self, name: String, ttl: Duration) -> rusqlite::Result<bool> {
        let me = self.clone();
        self.telemetry
            .blocking(move |_| me.claim_blocking(&name, ttl))
            .await
    }

    pub async fn release(&self, name: String) -> rusqlite::Result<()> {
        let me = self.clone();
        self.telemetry
            .blocking(move |_| me.release_blocking(&name))
            .await
    }

    pub async fn held(&self, name: String) -> rusqlite::Result<bool> {
        let me = self.clone();
        self.telemetry
            .blocking(move |_| me.held_blocking(&name))
            .await
    }

    pub async fn held_under(&self, prefix: String) -> rusqlite::Result<HashSet<String>> {
        let me = self.clone();
        self.telemetry
            .blocking(move |_| me.held_under_blocking(&prefix))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn telemetry() -> (tempfile::TempDir, Telemetry) {
        let dir = tempfile::tempdir().unwrap();
        let t = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
        (dir, t)
    }

    #[test]
    fn a_held_lease_is_refused_to_another_holder_and_free_again_once_released() {
        let (_d, t) = telemetry();
        let a = Leases::with_owner(t.clone(), "a".into());
        let b = Leases::with_owner(t, "b".into());
        let hour = Duration::from_secs(3600);
        assert!(a.claim_blocking("config-pull/d1", hour).unwrap());
        assert!(!b.claim_blocking("config-pull/d1", hour).unwrap());
        assert!(
            a.claim_blocking("config-pull/d1", hour).unwrap(),
            "renewed by its holder"
        );
        assert!(b.held_blocking("config-pull/d1").unwrap());
        assert!(b.claim_blocking("config-pull/d2", hour).unwrap());
        assert!(!a.held_blocking("config-pull/d3").unwrap());
        let held = a.held_under_blocking("config-pull/").unwrap();
        assert_eq!(held, HashSet::from(["d1".to_string(), "d2".to_string()]));
        b.release_blocking("config-pull/d1").unwrap();
        assert!(
            a.held_blocking("config-pull/d1").unwrap(),
            "only the holder releases"
        );
        a.release_blocking("config-pull/d1").unwrap();
        assert!(!b.held_blocking("config-pull/d1").unwrap());
        assert!(b.claim_blocking("config-pull/d1", hour).unwrap());
    }

    #[test]
    fn the_lease_of_a_holder_that_died_expires_and_is_taken_over() {
        let (_d, t) = telemetry();
        let dead = Leases::with_owner(t.clone(), "dead".into());
        let next = Leases::with_owner(t, "next".into());
        assert!(dead.claim_blocking("x", Duration::ZERO).unwrap());
        assert!(!next.held_blocking("x").unwrap(), "expired at once");
        assert!(next.claim_blocking("x", Duration::from_secs(60)).unwrap());
        assert!(!dead.claim_blocking("x", Duration::from_secs(60)).unwrap());
    }
}
