//! Small in-memory caches of what a read produced, each entry valid for one
//! version of the data it was read from and for a short time at most.
//!
//! The version is a [`DataVersion`]: how far the read models have folded the
//! log, the event log's head and the telemetry's write generation. Any event
//! folded, any event appended and any telemetry round recorded by this
//! process moves it, so an entry is never served after a change it could
//! show; it is read *before* the data, so an entry may hold newer data than
//! its version says, never older. The time limit covers what the version
//! cannot see: telemetry recorded by another process and figures that age
//! with the clock (who is online).
//!
//! Used by the guard (sessions, one read less per request) and by the pages
//! that many people keep open (the ICMP board, the dashboard); see
//! `docs/performance.md`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// What cached data was read from (see the module's doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion {
    /// The sequence every projection has folded.
    pub views: u64,
    /// The event log's head.
    pub events: u64,
    /// Telemetry rounds recorded by this process.
    pub telemetry: u64,
    /// The scheduler's job statuses (a run started or ended).
    pub jobs: u64,
}

struct Entry<V> {
    version: DataVersion,
    at: Instant,
    value: Arc<V>,
}

/// A read in progress: the version it reads at, and where its value lands.
type Loading<V> = (DataVersion, Arc<OnceCell<Arc<V>>>);

/// A bounded map of values by key, each kept with the [`DataVersion`] it
/// was read at. When full, the oldest entry makes room.
pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    /// Reads in progress by key, with the version they read at: callers
    /// that miss at once wait for one read instead of all making their own.
    loading: Mutex<HashMap<K, Loading<V>>>,
    capacity: usize,
    ttl: Duration,
    /// Off: every `get` misses and `put` keeps nothing (the benches measure
    /// the cost of a miss this way).
    enabled: AtomicBool,
}

impl<K: Eq + Hash + Clone, V> Memo<K, V> {
    /// At most `capacity` entries, each served for at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::with_capacity(capacity.min(1024))),
            loading: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
            enabled: AtomicBool::new(true),
        }
    }

    /// Turns the memo on or off; off, it also forgets what it kept.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.entries.lock().expect("memo lock").clear();
        }
    }

    /// The value kept for `key` if it was read at `version` and is not too old.
    pub fn get<Q>(&self, key: &Q, version: DataVersion) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if !self.enabled.load(Ordering::Relaxed) {
            return None;
        }
        let entries = self.entries.lock().expect("memo lock");
        let e = entries.get(key)?;
        (e.version == version && e.at.elapsed() < self.ttl).then(|| Arc::clone(&e.value))
    }

    /// The value for `key` at `version`: kept, or being read by another
    /// caller (then this one waits for that read), or read now by `load`
    /// and kept. If the read in progress fails or its caller goes away, the
    /// next waiter reads.
    pub async fn get_or_load<E, F, Fut>(
        &self,
        key: K,
        version: DataVersion,
        load: F,
    ) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key, version) {
            return Ok(v);
        }
        if !self.enabled.load(Ordering::Relaxed) {
            return load().await.map(Arc::new);
        }
        let cell = {
            let mut loading = self.loading.lock().expect("memo lock");
            match loading.get(&key) {
                Some((v, cell)) if *v == version => Arc::clone(cell),
                _ => {
                    let cell = Arc::new(OnceCell::new());
                    loading.insert(key.clone(), (version, Arc::clone(&cell)));
                    cell
                }
            }
        };
        let value = cell
            .get_or_try_init(|| async { load().await.map(Arc::new) })
            .await
            .map(Arc::clone);
        {
            let mut loading = self.loading.lock().expect("memo lock");
            if loading
                .get(&key)
                .is_some_and(|(_, c)| Arc::ptr_eq(c, &cell))
            {
                loading.remove(&key);
            }
        }
        let value = value?;
        self.keep(key, version, Arc::clone(&value));
        Ok(value)
    }

    /// Keeps `value` for `key`, read at `version`, and hands it back.
    pub fn put(&self, key: K, version: DataVersion, value: V) -> Arc<V> {
        let value = Arc::new(value);
        self.keep(key, version, Arc::clone(&value));
        value
    }

    fn keep(&self, key: K, version: DataVersion, value: Arc<V>) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        let mut entries = self.entries.lock().expect("memo lock");
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Entries of another version can never be served again.
            entries.retain(|_, e| e.version == version && e.at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                value,
            },
        );
    }

    /// Drops the entry for `key` (a session that ended here).
    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.lock().expect("memo lock").remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().expect("memo lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: DataVersion = DataVersion {
        views: 1,
        events: 1,
        telemetry: 0,
        jobs: 0,
    };

    #[test]
    fn a_value_is_served_only_at_its_version() {
        let m: Memo<String, u32> = Memo::new(4, Duration::from_secs(60));
        m.put("a".into(), V1, 7);
        assert_eq!(m.get("a", V1).as_deref(), Some(&7));
        for other in [
            DataVersion { views: 2, ..V1 },
            DataVersion { events: 2, ..V1 },
            DataVersion { telemetry: 1, ..V1 },
            DataVersion { jobs: 1, ..V1 },
        ] {
            assert_eq!(m.get("a", other), None, "{other:?}");
        }
        assert_eq!(m.get("b", V1), None);
    }

    #[test]
    fn a_value_older_than_the_limit_is_not_served() {
        let m: Memo<String, u32> = Memo::new(4, Duration::ZERO);
        m.put("a".into(), V1, 7);
        assert_eq!(m.get("a", V1), None);
    }

    #[test]
    fn a_full_memo_drops_stale_entries_then_the_oldest() {
        let m: Memo<u32, u32> = Memo::new(2, Duration::from_secs(60));
        m.put(1, V1, 1);
        m.put(2, V1, 2);
        m.put(3, V1, 3);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&1, V1), None, "the oldest made room");
        assert_eq!(m.get(&3, V1).as_deref(), Some(&3));
        let v2 = DataVersion { views: 2, ..V1 };
        m.put(4, v2, 4);
        m.put(5, v2, 5);
        assert_eq!(m.len(), 2, "entries of the old version went first");
        assert_eq!(m.get(&4, v2).as_deref(), Some(&4));
        assert_eq!(m.get(&5, v2).as_deref(), Some(&5));
    }

    #[test]
    fn a_memo_turned_off_keeps_nothing() {
        let m: Memo<String, u32> = Memo::new(4, Duration::from_secs(60));
        m.put("a".into(), V1, 1);
        m.set_enabled(false);
        assert_eq!(m.get("a", V1), None);
        assert_eq!(*m.put("b".into(), V1, 2), 2);
        assert!(m.is_empty());
        m.set_enabled(true);
        m.put("c".into(), V1, 3);
        assert_eq!(m.get("c", V1).as_deref(), Some(&3));
    }

    #[tokio::test]
    async fn callers_that_miss_together_share_one_read() {
        let m: Arc<Memo<String, u32>> = Arc::new(Memo::new(4, Duration::from_secs(60)));
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let (m, reads) = (Arc::clone(&m), Arc::clone(&reads));
                tokio::spawn(async move {
                    m.get_or_load("a".to_string(), V1, || async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        // A slow read: every other caller arrives meanwhile.
                        for _ in 0..16 {
                            tokio::task::yield_now().await;
                        }
                        Ok::<_, ()>(42)
                    })
                    .await
                })
            })
            .collect();
        for c in callers {
            assert_eq!(*c.await.unwrap().unwrap(), 42);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "one read served all");
        assert_eq!(m.get("a", V1).as_deref(), Some(&42));
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept_and_the_next_caller_reads() {
        let m: Memo<String, u32> = Memo::new(4, Duration::from_secs(60));
        let failed = m
            .get_or_load("a".to_string(), V1, || async { Err::<u32, _>("no") })
            .await;
        assert_eq!(failed, Err("no"));
        assert_eq!(m.get("a", V1), None);
        let ok = m
            .get_or_load("a".to_string(), V1, || async { Ok::<_, &str>(5) })
            .await;
        assert_eq!(ok.as_deref(), Ok(&5));
    }

    #[test]
    fn forget_drops_one_entry() {
        let m: Memo<String, u32> = Memo::new(4, Duration::from_secs(60));
        m.put("a".into(), V1, 1);
        m.put("b".into(), V1, 2);
        m.forget("a");
        assert_eq!(m.get("a", V1), None);
        assert_eq!(m.get("b", V1).as_deref(), Some(&2));
    }
}
