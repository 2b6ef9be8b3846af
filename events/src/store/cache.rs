//! The latest snapshot of recently used aggregates, kept in memory so that
//! loading an aggregate for a command usually needs no trip to SQLite (and no
//! hop to a blocking thread).
//!
//! The cache only ever holds committed state: the writer fills it after a
//! batch commits, and a load fills it from what it read. An entry only moves
//! forward (a higher `last_sequence` wins), so a slow read cannot put back an
//! older snapshot than the writer already stored. When another process (the
//! CLI) has appended to the log, the writer notices at its next batch and
//! clears the cache. Until then a command loaded from a stale entry fails its
//! append on the unique `(aggregate, sequence)` key, answers "conflict" and
//! evicts the entry; it never writes anything wrong.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

/// Entries kept per generation; at most twice this many are held. A
/// command's hot aggregates are few; at 8,192 the cache held 16k MAC
/// snapshots as JSON values after an FDB collection, the largest live Rust
/// allocation heaptrack showed there (the bench's peak RSS went from 160
/// to 151 MB with this bound alone).
const GENERATION: usize = 2048;

/// One aggregate's latest committed snapshot.
#[derive(Clone)]
pub(crate) struct CachedSnapshot {
    pub payload: Value,
    pub last_sequence: u64,
    pub version: u64,
}

/// Two generations: lookups promote entries from the old one; when the young
/// one fills up the old one is dropped. Cheap, bounded, roughly LRU.
#[derive(Default)]
struct Generations {
    young: HashMap<String, CachedSnapshot>,
    old: HashMap<String, CachedSnapshot>,
}

impl Generations {
    fn insert(&mut self, key: String, snap: CachedSnapshot) {
        if self.young.len() >= GENERATION && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.old.remove(&key);
        self.young.insert(key, snap);
    }
}

#[derive(Default)]
pub(crate) struct SnapshotCache {
    inner: Mutex<Generations>,
}

pub(crate) fn key(aggregate_type: &str, aggregate_id: &str) -> String {
    let mut k = String::with_capacity(aggregate_type.len() + 1 + aggregate_id.len());
    k.push_str(aggregate_type);
    k.push('\0');
    k.push_str(aggregate_id);
    k
}

impl SnapshotCache {
    pub fn get(&self, key: &str) -> Option<CachedSnapshot> {
        let mut g = self.inner.lock().expect("snapshot cache lock");
        if let Some(s) = g.young.get(key) {
            return Some(s.clone());
        }
        let s = g.old.remove(key)?;
        g.young.insert(key.to_string(), s.clone());
        Some(s)
    }

    /// Stores `snap` unless a newer snapshot of the aggregate is cached.
    pub fn offer(&self, key: String, snap: CachedSnapshot) {
        let mut g = self.inner.lock().expect("snapshot cache lock");
        let newer = g
            .young
            .get(&key)
            .or_else(|| g.old.get(&key))
            .is_some_and(|c| c.last_sequence > snap.last_sequence);
        if !newer {
            g.insert(key, snap);
        }
    }

    /// Stores snapshots the writer has just committed.
    pub fn committed(&self, snaps: impl Iterator<Item = (String, CachedSnapshot)>) {
        let mut g = self.inner.lock().expect("snapshot cache lock");
        for (key, snap) in snaps {
            g.insert(key, snap);
        }
    }

    pub fn evict(&self, key: &str) {
        let mut g = self.inner.lock().expect("snapshot cache lock");
        g.young.remove(key);
        g.old.remove(key);
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock().expect("snapshot cache lock");
        g.young.clear();
        g.old.clear();
    }
}
