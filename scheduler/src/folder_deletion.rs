//! Deleting a folder that holds hosts, as a process that survives a crash
//! half way. The folder's `FolderDeletionStarted` event (in the log) is the
//! process's state; this job finds every folder being deleted, issues one
//! Host command per host still in it (moved to "no folder", or removed), then
//! deletes the folder. Each step is idempotent — a host already dealt with
//! is no longer in the folder — so a run that stopped anywhere is finished
//! by the next one (the next tick, or a run on command).

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::folder::HostDisposal;
use ispmon_events::{Metadata, Source};

use crate::{Job, JobFuture, Scope};

pub const JOB_NAME: &str = "folder-deletion";

pub type WorldFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// What the job needs from the application.
pub trait FolderWorld: Send + Sync {
    /// The folders being deleted, with what happens to their hosts.
    fn deleting(&self) -> WorldFuture<'_, Vec<(String, HostDisposal)>>;
    /// The ids of the hosts in a folder now.
    fn hosts_in(&self, folder_id: String) -> WorldFuture<'_, Vec<String>>;
    /// Moves a host out of its folder, or removes it.
    fn dispose(&self, host_id: String, how: HostDisposal, meta: Metadata) -> WorldFuture<'_, ()>;
    /// Deletes the (now empty) folder.
    fn finish(&self, folder_id: String, meta: Metadata) -> WorldFuture<'_, ()>;
}

pub struct FolderDeletion {
    world: Arc<dyn FolderWorld>,
}

impl FolderDeletion {
    pub fn new(world: Arc<dyn FolderWorld>) -> Self {
        Self { world }
    }

    async fn delete_one(
        &self,
        folder_id: &str,
        how: HostDisposal,
        meta: &Metadata,
    ) -> Result<usize, String> {
        let hosts = self.world.hosts_in(folder_id.to_string()).await?;
        let n = hosts.len();
        for host in hosts {
            self.world
                .dispose(host.clone(), how, meta.clone())
                .await
                .map_err(|e| format!("host {host}: {e}"))?;
        }
        self.world
            .finish(folder_id.to_string(), meta.clone())
            .await?;
        Ok(n)
    }
}

impl Job for FolderDeletion {
    fn name(&self) -> &'static str {
        JOB_NAME
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn run(&self, scope: Scope, by: Option<Metadata>) -> JobFuture<'_> {
        Box::pin(async move {
            let meta = by.unwrap_or_else(|| Metadata::system(Source::Scheduler, JOB_NAME));
            let mut todo = self.world.deleting().await?;
            match &scope {
                Scope::Due | Scope::All => {}
                Scope::One(id) => todo.retain(|(f, _)| f == id),
                other => return Err(format!("folder deletion cannot cover {}", other.describe())),
            }
            if todo.is_empty() {
                return Ok("no folder being deleted".into());
            }
            let (mut folders, mut hosts) = (0, 0);
            for (folder, how) in &todo {
                match self.delete_one(folder, *how, &meta).await {
                    Ok(n) => {
                        folders += 1;
                        hosts += n;
                        tracing::info!(folder = %folder, hosts = n, how = ?how, "folder deleted");
                    }
                    Err(e) => {
                        return Err(format!(
                            "deleting folder {folder} stopped ({e}); the next run goes on"
                        ))
                    }
                }
            }
            Ok(format!(
                "{folders} folders deleted, {hosts} hosts dealt with"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Folders and hosts in memory; `fail_on` makes that host's command fail
    /// once (a crash half way).
    #[derive(Default)]
    struct Fake {
        deleting: Mutex<BTreeMap<String, HostDisposal>>,
        hosts: Mutex<BTreeMap<String, Option<String>>>,
        removed: Mutex<Vec<String>>,
        fail_on: Mutex<Option<String>>,
        finished: Mutex<Vec<String>>,
    }

    impl FolderWorld for Fake {
        fn deleting(&self) -> WorldFuture<'_, Vec<(String, HostDisposal)>> {
            Box::pin(async move {
                Ok(self
                    .deleting
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(f, d)| (f.clone(), *d))
                    .collect())
            })
        }
        fn hosts_in(&self, folder_id: String) -> WorldFuture<'_, Vec<String>> {
            Box::pin(async move {
                Ok(self
                    .hosts
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(_, f)| f.as_deref() == Some(folder_id.as_str()))
                    .map(|(h, _)| h.clone())
                    .collect())
            })
        }
        fn dispose(&self, host_id: String, how: HostDisposal, _: Metadata) -> WorldFuture<'_, ()> {
            Box::pin(async move {
                if self
                    .fail_on
                    .lock()
                    .unwrap()
                    .take_if(|h| *h == host_id)
                    .is_some()
                {
                    return Err("the process stopped here".into());
                }
                let mut hosts = self.hosts.lock().unwrap();
                match how {
                    HostDisposal::Move => {
                        hosts.insert(host_id, None);
                    }
                    HostDisposal::Remove => {
                        hosts.remove(&host_id);
                        self.removed.lock().unwrap().push(host_id);
                    }
                }
                Ok(())
            })
        }
        fn finish(&self, folder_id: String, _: Metadata) -> WorldFuture<'_, ()> {
            Box::pin(async move {
                self.deleting.lock().unwrap().remove(&folder_id);
                self.finished.lock().unwrap().push(folder_id);
                Ok(())
            })
        }
    }

    fn world() -> Arc<Fake> {
        let w = Fake::default();
        w.deleting
            .lock()
            .unwrap()
            .insert("core".into(), HostDisposal::Remove);
        for (h, f) in [
            ("h1", "core"),
            ("h2", "core"),
            ("h3", "core"),
            ("h4", "edge"),
        ] {
            w.hosts.lock().unwrap().insert(h.into(), Some(f.into()));
        }
        Arc::new(w)
    }

    #[tokio::test]
    async fn a_deletion_stopped_half_way_is_finished_by_the_next_run_with_each_host_dealt_with_once(
    ) {
        let w = world();
        *w.fail_on.lock().unwrap() = Some("h2".into());
        let job = FolderDeletion::new(w.clone());
        let first = job.run_once().await.unwrap_err();
        assert!(
            first.contains("folder core stopped") && first.contains("host h2"),
            "{first}"
        );
        assert_eq!(*w.removed.lock().unwrap(), vec!["h1".to_string()]);
        assert!(
            w.finished.lock().unwrap().is_empty(),
            "not deleted half way"
        );
        assert_eq!(
            job.run_once().await.unwrap(),
            "1 folders deleted, 2 hosts dealt with"
        );
        assert_eq!(*w.removed.lock().unwrap(), vec!["h1", "h2", "h3"]);
        assert_eq!(*w.finished.lock().unwrap(), vec!["core".to_string()]);
        assert!(
            w.hosts.lock().unwrap().contains_key("h4"),
            "another folder's host stays"
        );
        assert_eq!(job.run_once().await.unwrap(), "no folder being deleted");
    }

    #[tokio::test]
    async fn moving_hosts_leaves_them_monitored_without_a_folder_and_one_scope_touches_one_folder()
    {
        let w = world();
        w.deleting
            .lock()
            .unwrap()
            .insert("core".into(), HostDisposal::Move);
        w.deleting
            .lock()
            .unwrap()
            .insert("edge".into(), HostDisposal::Move);
        let job = FolderDeletion::new(w.clone());
        job.run(Scope::One("edge".into()), None).await.unwrap();
        assert_eq!(*w.finished.lock().unwrap(), vec!["edge".to_string()]);
        assert_eq!(w.hosts.lock().unwrap()["h4"], None);
        assert_eq!(w.hosts.lock().unwrap()["h1"], Some("core".into()));
        job.run(Scope::All, None).await.unwrap();
        assert!(w.hosts.lock().unwrap().values().all(Option::is_none));
        assert!(w.removed.lock().unwrap().is_empty());
        assert!(job.run(Scope::Tag("x".into()), None).await.is_err());
    }
}
