//! The RequestBoard aggregate: one board ([`BOARD_ID`]) holding the
//! requests' folders, the per-area caps of open visits a day, and the
//! checklist templates.
//!
//! Deleting a folder names where its requests go (another folder, or none)
//! and [`RequestBoardEvent::RequestFolderDeleted`] records it: the read
//! model re-homes the folder's rows at once, and the app then moves each
//! request there, so no request points at a deleted folder. A deleted
//! folder's id is never used again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::request::{checklist, RequestError, MAX_AREA};
use crate::ticket::chars;

/// The one board's aggregate id.
pub const BOARD_ID: &str = "board";
pub const MAX_FOLDER_NAME: usize = 100;
pub const MAX_FOLDER_ID: usize = 64;
pub const MAX_TEMPLATE_NAME: usize = 100;
/// The most open visits an area can be capped at a day.
pub const MAX_CAP: u32 = 1000;

/// Whether `id` can be a folder's id: 1 to [`MAX_FOLDER_ID`] ASCII
/// letters, digits, `-` and `_` (the app makes them).
pub fn is_folder_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_FOLDER_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum RequestBoardCommand {
    CreateFolder {
        id: String,
        name: String,
        at: DateTime<Utc>,
    },
    RenameFolder {
        id: String,
        name: String,
        at: DateTime<Utc>,
    },
    /// Its requests go to `move_to` (`None`: into no folder).
    DeleteFolder {
        id: String,
        move_to: Option<String>,
        at: DateTime<Utc>,
    },
    /// An area's cap of open visits a day; `None` falls back to the default.
    SetAreaCap {
        area: String,
        cap: Option<u32>,
        at: DateTime<Utc>,
    },
    /// The cap of an area without its own; `None`: no cap.
    SetDefaultCap { cap: Option<u32>, at: DateTime<Utc> },
    /// A checklist template; no items removes it.
    SetChecklistTemplate {
        name: String,
        items: Vec<String>,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RequestBoardEvent {
    RequestFolderCreated {
        id: String,
        name: String,
        at: DateTime<Utc>,
    },
    RequestFolderRenamed {
        id: String,
        from: String,
        to: String,
        at: DateTime<Utc>,
    },
    RequestFolderDeleted {
        id: String,
        name: String,
        /// Where its requests went (`None`: into no folder).
        moved_to: Option<String>,
        at: DateTime<Utc>,
    },
    RequestAreaCapSet {
        area: String,
        cap: Option<u32>,
        at: DateTime<Utc>,
    },
    RequestDefaultCapSet {
        cap: Option<u32>,
        at: DateTime<Utc>,
    },
    RequestChecklistTemplateSet {
        name: String,
        /// Empty: the template was removed.
        items: Vec<String>,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for RequestBoardEvent {
    fn event_type(&self) -> String {
        use RequestBoardEvent as E;
        match self {
            E::RequestFolderCreated { .. } => "RequestFolderCreated",
            E::RequestFolderRenamed { .. } => "RequestFolderRenamed",
            E::RequestFolderDeleted { .. } => "RequestFolderDeleted",
            E::RequestAreaCapSet { .. } => "RequestAreaCapSet",
            E::RequestDefaultCapSet { .. } => "RequestDefaultCapSet",
            E::RequestChecklistTemplateSet { .. } => "RequestChecklistTemplateSet",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

/// The board's refusals share the request's errors (field messages,
/// unchanged).
pub type RequestBoardError = RequestError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestBoard {
    /// id → name.
    pub folders: BTreeMap<String, String>,
    /// Deleted folders' ids → where their requests went.
    pub deleted: BTreeMap<String, Option<String>>,
    /// Area (lower case) → (area as written, cap).
    pub area_caps: BTreeMap<String, (String, u32)>,
    pub default_cap: Option<u32>,
    /// name → items.
    pub templates: BTreeMap<String, Vec<String>>,
}

fn refuse<T>(field: &'static str, message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError::Invalid(vec![(field, message.into())]))
}

impl RequestBoard {
    /// The cap of open visits a day in `area` (its own, else the default).
    pub fn cap_for(&self, area: &str) -> Option<u32> {
        self.area_caps
            .get(&area.trim().to_lowercase())
            .map(|(_, cap)| *cap)
            .or(self.default_cap)
    }

    fn name_errors(&self, id: Option<&str>, name: &str) -> Result<(), RequestError> {
        let n = chars(name);
        if n == 0 || n > MAX_FOLDER_NAME {
            return refuse(
                "name",
                format!("a folder's name is 1 to {MAX_FOLDER_NAME} characters"),
            );
        }
        let lower = name.to_lowercase();
        let taken = self
            .folders
            .iter()
            .any(|(other, n)| Some(other.as_str()) != id && n.to_lowercase() == lower);
        if taken {
            return refuse("name", "another folder has this name");
        }
        Ok(())
    }

    fn cap_errors(cap: Option<u32>) -> Result<(), RequestError> {
        if cap.is_some_and(|c| c == 0 || c > MAX_CAP) {
            return refuse("cap", format!("a cap is 1 to {MAX_CAP} visits a day"));
        }
        Ok(())
    }

    pub fn decide(
        &self,
        command: RequestBoardCommand,
    ) -> Result<Vec<RequestBoardEvent>, RequestError> {
        use RequestBoardCommand as C;
        use RequestBoardEvent as E;
        match command {
            C::CreateFolder { id, name, at } => {
                let (id, name) = (id.trim().to_string(), name.trim().to_string());
                if !is_folder_id(&id) {
                    return refuse("id", "not a folder id");
                }
                if self.folders.contains_key(&id) || self.deleted.contains_key(&id) {
                    return refuse("id", "this folder id is taken");
                }
                self.name_errors(None, &name)?;
                Ok(vec![E::RequestFolderCreated { id, name, at }])
            }
            C::RenameFolder { id, name, at } => {
                let name = name.trim().to_string();
                let Some(from) = self.folders.get(id.trim()) else {
                    return refuse("id", "there is no such folder");
                };
                if *from == name {
                    return Err(RequestError::Unchanged);
                }
                self.name_errors(Some(id.trim()), &name)?;
                Ok(vec![E::RequestFolderRenamed {
                    id: id.trim().to_string(),
                    from: from.clone(),
                    to: name,
                    at,
                }])
            }
            C::DeleteFolder { id, move_to, at } => {
                let id = id.trim().to_string();
                let move_to = crate::ticket::tidy_opt(move_to);
                let Some(name) = self.folders.get(&id) else {
                    return refuse("id", "there is no such folder");
                };
                if move_to.as_deref() == Some(id.as_str()) {
                    return refuse("move_to", "choose another folder for its requests");
                }
                if move_to
                    .as_ref()
                    .is_some_and(|m| !self.folders.contains_key(m))
                {
                    return refuse("move_to", "there is no such folder");
                }
                Ok(vec![E::RequestFolderDeleted {
                    id,
                    name: name.clone(),
                    moved_to: move_to,
                    at,
                }])
            }
            C::SetAreaCap { area, cap, at } => {
                let area = area.trim().to_string();
                let n = chars(&area);
                if n == 0 || n > MAX_AREA {
                    return refuse("area", format!("an area is 1 to {MAX_AREA} characters"));
                }
                Self::cap_errors(cap)?;
                let now = self.area_caps.get(&area.to_lowercase());
                if now.map(|(a, c)| (a.as_str(), *c)) == cap.map(|c| (area.as_str(), c)) {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestAreaCapSet { area, cap, at }])
            }
            C::SetDefaultCap { cap, at } => {
                Self::cap_errors(cap)?;
                if cap == self.default_cap {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestDefaultCapSet { cap, at }])
            }
            C::SetChecklistTemplate { name, items, at } => {
                let name = name.trim().to_string();
                let n = chars(&name);
                if n == 0 || n > MAX_TEMPLATE_NAME {
                    return refuse(
                        "name",
                        format!("a template's name is 1 to {MAX_TEMPLATE_NAME} characters"),
                    );
                }
                let items = checklist(items)?;
                let now = self.templates.get(&name).cloned().unwrap_or_default();
                if now == items {
                    return Err(RequestError::Unchanged);
                }
                Ok(vec![E::RequestChecklistTemplateSet { name, items, at }])
            }
        }
    }
}

impl Aggregate for RequestBoard {
    const TYPE: &'static str = "RequestBoard";
    type Command = RequestBoardCommand;
    type Event = RequestBoardEvent;
    type Error = RequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: RequestBoardCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RequestError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: RequestBoardEvent) {
        use RequestBoardEvent as E;
        match event {
            E::RequestFolderCreated { id, name, .. } => {
                self.folders.insert(id, name);
            }
            E::RequestFolderRenamed { id, to, .. } => {
                self.folders.insert(id, to);
            }
            E::RequestFolderDeleted { id, moved_to, .. } => {
                self.folders.remove(&id);
                self.deleted.insert(id, moved_to);
            }
            E::RequestAreaCapSet { area, cap, .. } => match cap {
                Some(c) => {
                    self.area_caps.insert(area.to_lowercase(), (area, c));
                }
                None => {
                    self.area_caps.remove(&area.to_lowercase());
                }
            },
            E::RequestDefaultCapSet { cap, .. } => self.default_cap = cap,
            E::RequestChecklistTemplateSet { name, items, .. } => {
                if items.is_empty() {
                    self.templates.remove(&name);
                } else {
                    self.templates.insert(name, items);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
