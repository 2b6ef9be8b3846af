//! The Folder aggregate: a named group of hosts on the ICMP board.
//!
//! Deleting a folder that still holds hosts is a process that survives a
//! crash half way: `StartDeletion` records the choice (move its hosts to "no
//! folder", or remove them) as `FolderDeletionStarted`; the scheduler's
//! folder-deletion job then issues one Host command per host still in the
//! folder and finally `Delete`. After a restart the job finds the folder
//! still being deleted and goes on where it stopped.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Parses a folder name: 1 to 64 characters, trimmed.
pub fn parse_name(text: &str) -> Result<String, &'static str> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 64 {
        return Err("a folder name must be 1 to 64 characters");
    }
    Ok(t.to_string())
}

/// What happens to the hosts of a folder being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostDisposal {
    /// Moved to "no folder".
    Move,
    /// Removed from monitoring.
    Remove,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum FolderCommand {
    Create {
        name: String,
    },
    Rename {
        name: String,
    },
    /// Begins deleting the folder; its hosts are dealt with by the job.
    StartDeletion {
        hosts: HostDisposal,
    },
    /// Deletes the folder (its hosts already moved or removed).
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FolderEvent {
    FolderCreated { name: String },
    FolderRenamed { from: String, to: String },
    FolderDeletionStarted { name: String, hosts: HostDisposal },
    FolderDeleted { name: String },
}

impl DomainEvent for FolderEvent {
    fn event_type(&self) -> String {
        match self {
            FolderEvent::FolderCreated { .. } => "FolderCreated",
            FolderEvent::FolderRenamed { .. } => "FolderRenamed",
            FolderEvent::FolderDeletionStarted { .. } => "FolderDeletionStarted",
            FolderEvent::FolderDeleted { .. } => "FolderDeleted",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    #[error("this folder already exists")]
    AlreadyCreated,
    #[error("no such folder")]
    NotFound,
    #[error("the folder already has this name")]
    SameName,
    #[error("this folder is being deleted")]
    BeingDeleted,
}

impl crate::DomainError for FolderError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            FolderError::SameName => vec![("name", self.to_string())],
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Folder {
    pub name: Option<String>,
    pub deleted: bool,
    /// Set while the folder is being deleted.
    #[serde(default)]
    pub deleting: Option<HostDisposal>,
}

impl Folder {
    pub fn decide(&self, command: FolderCommand) -> Result<Vec<FolderEvent>, FolderError> {
        let live = self.name.is_some() && !self.deleted;
        Ok(match command {
            FolderCommand::Create { name } => {
                if self.name.is_some() {
                    return Err(FolderError::AlreadyCreated);
                }
                vec![FolderEvent::FolderCreated { name }]
            }
            _ if !live => return Err(FolderError::NotFound),
            FolderCommand::Rename { .. } | FolderCommand::StartDeletion { .. }
                if self.deleting.is_some() =>
            {
                return Err(FolderError::BeingDeleted)
            }
            FolderCommand::StartDeletion { hosts } => vec![FolderEvent::FolderDeletionStarted {
                name: self.name.clone().unwrap_or_default(),
                hosts,
            }],
            FolderCommand::Rename { name } => {
                let from = self.name.clone().unwrap_or_default();
                if from == name {
                    return Err(FolderError::SameName);
                }
                vec![FolderEvent::FolderRenamed { from, to: name }]
            }
            FolderCommand::Delete => vec![FolderEvent::FolderDeleted {
                name: self.name.clone().unwrap_or_default(),
            }],
        })
    }
}

impl Aggregate for Folder {
    const TYPE: &'static str = "Folder";
    type Command = FolderCommand;
    type Event = FolderEvent;
    type Error = FolderError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FolderCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FolderError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: FolderEvent) {
        match event {
            FolderEvent::FolderCreated { name } => self.name = Some(name),
            FolderEvent::FolderRenamed { to, .. } => self.name = Some(to),
            FolderEvent::FolderDeletionStarted { hosts, .. } => self.deleting = Some(hosts),
            FolderEvent::FolderDeleted { .. } => {
                self.deleted = true;
                self.deleting = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    #[test]
    fn folders_are_created_renamed_and_deleted_once() {
        let created = FolderEvent::FolderCreated {
            name: "Core".into(),
        };
        TestFramework::<Folder>::with(())
            .given(vec![created.clone()])
            .when(FolderCommand::Rename {
                name: "Backbone".into(),
            })
            .then_expect_events(vec![FolderEvent::FolderRenamed {
                from: "Core".into(),
                to: "Backbone".into(),
            }]);
        TestFramework::<Folder>::with(())
            .given(vec![created.clone()])
            .when(FolderCommand::Rename {
                name: "Core".into(),
            })
            .then_expect_error(FolderError::SameName);
        TestFramework::<Folder>::with(())
            .given(vec![
                created,
                FolderEvent::FolderDeleted {
                    name: "Core".into(),
                },
            ])
            .when(FolderCommand::Delete)
            .then_expect_error(FolderError::NotFound);
        assert_eq!(
            parse_name("  "),
            Err("a folder name must be 1 to 64 characters")
        );
        assert_eq!(
            parse_name(&"x".repeat(65)),
            Err("a folder name must be 1 to 64 characters")
        );
        assert_eq!(parse_name(" Core ").unwrap(), "Core");
    }

    #[test]
    fn a_deletion_once_started_refuses_renames_and_a_second_start_and_ends_with_delete() {
        let created = FolderEvent::FolderCreated {
            name: "Core".into(),
        };
        let started = FolderEvent::FolderDeletionStarted {
            name: "Core".into(),
            hosts: HostDisposal::Move,
        };
        TestFramework::<Folder>::with(())
            .given(vec![created.clone()])
            .when(FolderCommand::StartDeletion {
                hosts: HostDisposal::Move,
            })
            .then_expect_events(vec![started.clone()]);
        TestFramework::<Folder>::with(())
            .given(vec![created.clone(), started.clone()])
            .when(FolderCommand::Rename { name: "X".into() })
            .then_expect_error(FolderError::BeingDeleted);
        TestFramework::<Folder>::with(())
            .given(vec![created.clone(), started.clone()])
            .when(FolderCommand::StartDeletion {
                hosts: HostDisposal::Remove,
            })
            .then_expect_error(FolderError::BeingDeleted);
        TestFramework::<Folder>::with(())
            .given(vec![created, started])
            .when(FolderCommand::Delete)
            .then_expect_events(vec![FolderEvent::FolderDeleted {
                name: "Core".into(),
            }]);
    }
}
