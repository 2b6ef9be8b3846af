//! The folder-deletion job's world: folders being deleted and their hosts
//! from the read models, Host and Folder commands to deal with them.

use std::sync::Arc;

use ispmon_events::folder::{FolderCommand, HostDisposal};
use ispmon_events::host::{HostCommand, HostDetails};
use ispmon_events::Metadata;
use ispmon_projections::{folders, hosts};
use ispmon_scheduler::folder_deletion::{FolderDeletion, FolderWorld, WorldFuture};

use crate::core::Core;

pub struct AppFolderWorld {
    core: Core,
}

/// The job over this application.
pub fn job(core: &Core) -> Arc<FolderDeletion> {
    Arc::new(FolderDeletion::new(Arc::new(AppFolderWorld {
        core: core.clone(),
    })))
}

impl FolderWorld for AppFolderWorld {
    fn deleting(&self) -> WorldFuture<'_, Vec<(String, HostDisposal)>> {
        Box::pin(async move {
            self.core
                .views
                .read(folders::being_deleted)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn hosts_in(&self, folder_id: String) -> WorldFuture<'_, Vec<String>> {
        Box::pin(async move {
            self.core
                .views
                .read(move |c| {
                    Ok(hosts::in_folder(c, &folder_id)?
                        .into_iter()
                        .map(|h| h.host_id)
                        .collect())
                })
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn dispose(&self, host_id: String, how: HostDisposal, meta: Metadata) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            let command = match how {
                HostDisposal::Remove => HostCommand::Remove,
                HostDisposal::Move => {
                    let id = host_id.clone();
                    let h = self
                        .core
                        .views
                        .read(move |c| hosts::get(c, &id))
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or_else(|| format!("host {host_id} is gone"))?;
                    HostCommand::Edit {
                        ip: h.ip.clone(),
                        details: HostDetails {
                            name: h.name.clone(),
                            folder: None,
                            parent: h.parent_id.clone(),
                            notes: h.notes.clone(),
                            tags: h.tags.clone(),
                        },
                    }
                }
            };
            match self.core.commands.host(&host_id, command, &meta).await {
                Ok(_) => Ok(()),
                // Already dealt with by a run that stopped before it could
                // record so: nothing left to do for this host.
                Err(e) if e.is_unchanged() => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn finish(&self, folder_id: String, meta: Metadata) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            self.core
                .commands
                .folder(&folder_id, FolderCommand::Delete, &meta)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
