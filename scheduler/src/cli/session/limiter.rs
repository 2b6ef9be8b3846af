//! How many CLI sessions may be open at once: a global limit, and one
//! session per device (most gear allows few vty lines, and two config pulls
//! of the same box at once help nobody).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// Limits concurrent sessions; cheap to clone and share.
#[derive(Clone)]
pub struct SessionLimiter {
    global: Arc<Semaphore>,
    devices: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Held while a session is open; dropping it frees the slots.
pub struct LimiterPermit {
    // Field order matters for drop: the global slot first, then the device.
    _global: OwnedSemaphorePermit,
    _device: OwnedMutexGuard<()>,
    key: String,
    devices: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl SessionLimiter {
    /// At most `global` sessions in all (at least one).
    pub fn new(global: usize) -> Self {
        Self {
            global: Arc::new(Semaphore::new(global.max(1))),
            devices: Arc::default(),
        }
    }

    /// Waits until `device_key` has no open session and a global slot is
    /// free. The device lock is taken first so that waiting for a busy
    /// device does not hold a global slot.
    pub async fn acquire(&self, device_key: &str) -> LimiterPermit {
        let lock = {
            let mut map = self.devices.lock().expect("limiter lock");
            Arc::clone(map.entry(device_key.to_owned()).or_default())
        };
        let device = lock.lock_owned().await;
        let global = Arc::clone(&self.global)
            .acquire_owned()
            .await
            .expect("the limiter's semaphore is never closed");
        LimiterPermit {
            _global: global,
            _device: device,
            key: device_key.to_owned(),
            devices: Arc::clone(&self.devices),
        }
    }

    /// Global slots free right now.
    pub fn available(&self) -> usize {
        self.global.available_permits()
    }
}

impl Drop for LimiterPermit {
    fn drop(&mut self) {
        // Forget the device's lock when nobody else holds or waits for it:
        // then only the map and this permit's guard refer to it.
        let mut map = self.devices.lock().expect("limiter lock");
        if let Some(lock) = map.get(&self.key) {
            if Arc::strong_count(lock) <= 2 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_session_per_device_and_a_global_cap() {
        let l = SessionLimiter::new(2);
        let a = l.acquire("a").await;
        // Same device: must wait.
        let l2 = l.clone();
        let second_a = tokio::spawn(async move { l2.acquire("a").await });
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!second_a.is_finished(), "a second session on a must wait");
        let b = l.acquire("b").await;
        assert_eq!(l.available(), 0);
        drop(a);
        let a2 = tokio::time::timeout(Duration::from_secs(5), second_a)
            .await
            .expect("second session on a gets in once the first ends")
            .unwrap();
        drop((a2, b));
        assert_eq!(l.available(), 2);
        assert!(l.devices.lock().unwrap().is_empty());
    }
}
