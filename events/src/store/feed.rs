//! The most recent events this process committed, in memory, so the
//! projection runner can fold them without reading them back from SQLite.
//!
//! The feed always holds a run of consecutive global sequences. The writer
//! appends each committed batch; when another process has appended to the
//! log in between (the writer notices at its next batch), the feed starts
//! over. A reader asking for anything the feed does not hold gets `None` and
//! reads the log instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::StoredEvent;

/// Events kept; older ones are dropped first. A little over one of the
/// projection runner's batches (its `BATCH`, 2,000): a runner further
/// behind the writer than that reads the log instead. With 8,192 the feed
/// alone held ~10 MB after a first FDB collection of 22,838 MACs, and that
/// bench's peak RSS was 160 MB (138 MB with this and the snapshot cache at
/// 2,048; target 150).
const CAPACITY: usize = 2048;

#[derive(Default)]
pub(crate) struct Feed {
    events: Mutex<VecDeque<Arc<StoredEvent>>>,
}

impl Feed {
    /// Adds a committed batch (consecutive sequences, ascending).
    pub fn committed(&self, batch: Vec<StoredEvent>) {
        let Some(first) = batch.first().map(|e| e.seq) else {
            return;
        };
        let mut q = self.events.lock().expect("feed lock");
        if q.back().is_some_and(|last| last.seq + 1 != first) {
            q.clear();
        }
        q.extend(batch.into_iter().map(Arc::new));
        let excess = q.len().saturating_sub(CAPACITY);
        q.drain(..excess);
    }

    pub fn clear(&self) {
        self.events.lock().expect("feed lock").clear();
    }

    /// Events with `seq > after`, oldest first, at most `limit`; `None` when
    /// the feed does not hold the event right after `after` (not committed
    /// by this process, already dropped, or not committed yet).
    pub fn since(&self, after: u64, limit: usize) -> Option<Vec<Arc<StoredEvent>>> {
        let q = self.events.lock().expect("feed lock");
        let first = q.front()?.seq;
        if after + 1 < first {
            return None;
        }
        let skip = usize::try_from(after + 1 - first).ok()?;
        if skip >= q.len() {
            return None;
        }
        Some(q.iter().skip(skip).take(limit).cloned().collect())
    }
}
