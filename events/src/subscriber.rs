//! The Subscriber aggregate: a subscriber as the billing shows them, kept by
//! the billing sync, plus staff notes and tags of our own. Keyed by the
//! billing's id for the subscriber.
//!
//! The sync issues [`SubscriberCommand::Sync`] with what the billing shows
//! now; the aggregate decides what changed, so a sync where nothing changed
//! writes nothing ([`SubscriberError::Unchanged`]) and a changed field is an
//! event naming that field only. Volatile figures (balance, credit, traffic)
//! are not here: the sync keeps them in a snapshot with the time of the sync.
//! A subscriber gone from billing is flagged ([`SubscriberEvent::LeftBilling`]),
//! never deleted, and comes back with [`SubscriberEvent::ReturnedToBilling`].

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why the billing blocks a subscriber (its status text says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// `Пользователь отключен`.
    Disabled,
    /// `превышен лимит`.
    LimitExceeded,
    /// `Недостаточно средств`.
    OutOfFunds,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Disabled => "disabled",
            BlockReason::LimitExceeded => "limit_exceeded",
            BlockReason::OutOfFunds => "out_of_funds",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "disabled" => Some(BlockReason::Disabled),
            "limit_exceeded" => Some(BlockReason::LimitExceeded),
            "out_of_funds" => Some(BlockReason::OutOfFunds),
            _ => None,
        }
    }
}

/// A billing folder (an area, a district).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingFolder {
    pub id: String,
    pub name: String,
}

/// What the billing shows of a subscriber, less the volatile figures.
///
/// `fields` holds the billing's fields by our names (`login`, `full_name`,
/// `contract`, `contract_date`, `address`, `phones`, `email`, `tariff`,
/// `ip`, `mac`, `connected`, `display`, `dedicated_ip`, and any other the
/// source printed); an absent or empty value is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    pub folder: BillingFolder,
    pub fields: BTreeMap<String, String>,
    /// The status text as printed (`Активен`, `Пользователь отключен`).
    pub status: String,
    pub blocked: Option<BlockReason>,
}

impl BillingView {
    /// A digest of everything a sync compares: the same view → the same
    /// fingerprint, so a sync can skip subscribers that did not change
    /// without loading their events. Computed identically by the read
    /// model (from the state it folded) and by the sync (from the page).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        put(&self.folder.id);
        put(&self.folder.name);
        put(&self.status);
        put(self.blocked.map_or("", BlockReason::as_str));
        for (k, v) in &self.fields {
            put(k);
            put(v);
        }
        hex::encode(&h.finalize()[..12])
    }
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Longest staff note, in characters.
pub const MAX_NOTE: usize = 4000;
/// Longest tag, in characters; at most [`MAX_TAGS`] tags.
pub const MAX_TAG: usize = 40;
pub const MAX_TAGS: usize = 20;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum SubscriberCommand {
    /// The billing shows the subscriber so now (a sync or an import).
    Sync { view: BillingView },
    /// A complete listing of the subscriber's folder did not have them.
    MarkLeft,
    /// A staff note.
    AddNote { text: String },
    /// Our own tags (the whole set).
    SetTags { tags: BTreeSet<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubscriberEvent {
    /// First seen in billing.
    SubscriberImported {
        view: BillingView,
    },
    /// These fields (and only these) changed; the status text is the
    /// field `status`.
    SubscriberFieldsChanged {
        changes: BTreeMap<String, FieldChange>,
    },
    SubscriberMoved {
        from: BillingFolder,
        to: BillingFolder,
    },
    SubscriberBlocked {
        reason: BlockReason,
        status: String,
    },
    SubscriberUnblocked {
        status: String,
    },
    /// Not in a complete listing of their folder: flagged, never deleted.
    SubscriberLeftBilling {
        folder: BillingFolder,
    },
    /// Seen in billing again after having left.
    SubscriberReturned,
    SubscriberNoteAdded {
        text: String,
    },
    SubscriberTagsChanged {
        added: BTreeSet<String>,
        removed: BTreeSet<String>,
    },
}

impl DomainEvent for SubscriberEvent {
    fn event_type(&self) -> String {
        match self {
            SubscriberEvent::SubscriberImported { .. } => "SubscriberImported",
            SubscriberEvent::SubscriberFieldsChanged { .. } => "SubscriberFieldsChanged",
            SubscriberEvent::SubscriberMoved { .. } => "SubscriberMoved",
            SubscriberEvent::SubscriberBlocked { .. } => "SubscriberBlocked",
            SubscriberEvent::SubscriberUnblocked { .. } => "SubscriberUnblocked",
            SubscriberEvent::SubscriberLeftBilling { .. } => "SubscriberLeftBilling",
            SubscriberEvent::SubscriberReturned => "SubscriberReturned",
            SubscriberEvent::SubscriberNoteAdded { .. } => "SubscriberNoteAdded",
            SubscriberEvent::SubscriberTagsChanged { .. } => "SubscriberTagsChanged",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriberError {
    #[error("the billing shows this subscriber as ispmon has them")]
    Unchanged,
    #[error("the subscriber is not known from billing yet")]
    NotImported,
    #[error("a billing subscriber has a login")]
    NoLogin,
    #[error("write a note")]
    EmptyNote,
    #[error("a note is at most {MAX_NOTE} characters")]
    NoteTooLong,
    #[error("a tag is 1 to {MAX_TAG} characters without spaces, at most {MAX_TAGS} tags")]
    BadTag,
}

impl crate::DomainError for SubscriberError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        let field = match self {
            SubscriberError::EmptyNote | SubscriberError::NoteTooLong => "text",
            SubscriberError::BadTag => "tags",
            _ => crate::FORM,
        };
        vec![(field, self.to_string())]
    }
    fn is_unchanged(&self) -> bool {
        matches!(self, SubscriberError::Unchanged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    /// `None` until imported.
    pub view: Option<BillingView>,
    pub left_billing: bool,
    pub tags: BTreeSet<String>,
    pub notes: usize,
}

fn field_changes(
    from: &BTreeMap<String, String>,
    to: &BTreeMap<String, String>,
) -> BTreeMap<String, FieldChange> {
    let keys: BTreeSet<&String> = from.keys().chain(to.keys()).collect();
    keys.into_iter()
        .filter(|k| from.get(*k) != to.get(*k))
        .map(|k| {
            (
                k.clone(),
                FieldChange {
                    from: from.get(k).cloned(),
                    to: to.get(k).cloned(),
                },
            )
        })
        .collect()
}

/// Trims the values and drops the empty ones, so `""` and absent are one.
fn tidy(mut view: BillingView) -> BillingView {
    view.fields = view
        .fields
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    view.status = view.status.trim().to_string();
    view
}

impl Subscriber {
    /// The view as a sync would issue it, tidied ([`BillingView`] values
    /// trimmed, empty ones dropped): what [`BillingView::fingerprint`] is
    /// taken of on both sides.
    pub fn tidy(view: BillingView) -> BillingView {
        tidy(view)
    }

    pub fn decide(
        &self,
        command: SubscriberCommand,
    ) -> Result<Vec<SubscriberEvent>, SubscriberError> {
        use SubscriberEvent as E;
        match command {
            SubscriberCommand::Sync { view } => {
                let view = tidy(view);
                if !view.fields.contains_key("login") {
                    return Err(SubscriberError::NoLogin);
                }
                let Some(old) = &self.view else {
                    return Ok(vec![E::SubscriberImported { view }]);
                };
                let mut out = Vec::new();
                if self.left_billing {
                    out.push(E::SubscriberReturned);
                }
                if old.folder != view.folder {
                    out.push(E::SubscriberMoved {
                        from: old.folder.clone(),
                        to: view.folder.clone(),
                    });
                }
                let mut old_fields = old.fields.clone();
                old_fields.insert("status".into(), old.status.clone());
                let mut new_fields = view.fields.clone();
                new_fields.insert("status".into(), view.status.clone());
                let changes = field_changes(&old_fields, &new_fields);
                if !changes.is_empty() {
                    out.push(E::SubscriberFieldsChanged { changes });
                }
                match (old.blocked, view.blocked) {
                    (a, Some(b)) if a != Some(b) => out.push(E::SubscriberBlocked {
                        reason: b,
                        status: view.status.clone(),
                    }),
                    (Some(_), None) => out.push(E::SubscriberUnblocked {
                        status: view.status.clone(),
                    }),
                    _ => {}
                }
                if out.is_empty() {
                    return Err(SubscriberError::Unchanged);
                }
                Ok(out)
            }
            SubscriberCommand::MarkLeft => match &self.view {
                None => Err(SubscriberError::NotImported),
                Some(_) if self.left_billing => Err(SubscriberError::Unchanged),
                Some(v) => Ok(vec![E::SubscriberLeftBilling {
                    folder: v.folder.clone(),
                }]),
            },
            SubscriberCommand::AddNote { text } => {
                if self.view.is_none() {
                    return Err(SubscriberError::NotImported);
                }
                let text = text.trim().to_string();
                if text.is_empty() {
                    return Err(SubscriberError::EmptyNote);
                }
                if text.chars().count() > MAX_NOTE {
                    return Err(SubscriberError::NoteTooLong);
                }
                Ok(vec![E::SubscriberNoteAdded { text }])
            }
            SubscriberCommand::SetTags { tags } => {
                if self.view.is_none() {
                    return Err(SubscriberError::NotImported);
                }
                let tags: BTreeSet<String> =
                    tags.into_iter().map(|t| t.trim().to_string()).collect();
                let bad = |t: &String| {
                    t.is_empty()
                        || t.chars().count() > MAX_TAG
                        || t.chars().any(char::is_whitespace)
                };
                if tags.len() > MAX_TAGS || tags.iter().any(bad) {
                    return Err(SubscriberError::BadTag);
                }
                let added: BTreeSet<String> = tags.difference(&self.tags).cloned().collect();
                let removed: BTreeSet<String> = self.tags.difference(&tags).cloned().collect();
                if added.is_empty() && removed.is_empty() {
                    return Err(SubscriberError::Unchanged);
                }
                Ok(vec![E::SubscriberTagsChanged { added, removed }])
            }
        }
    }
}

/// Applies `changes` to a view's fields (the status is the field `status`).
pub fn apply_changes(view: &mut BillingView, changes: &BTreeMap<String, FieldChange>) {
    for (k, c) in changes {
        if k == "status" {
            view.status = c.to.clone().unwrap_or_default();
            continue;
        }
        match &c.to {
            Some(v) => {
                view.fields.insert(k.clone(), v.clone());
            }
            None => {
                view.fields.remove(k);
            }
        }
    }
}

impl Aggregate for Subscriber {
    const TYPE: &'static str = "Subscriber";
    type Command = SubscriberCommand;
    type Event = SubscriberEvent;
    type Error = SubscriberError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SubscriberCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SubscriberError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: SubscriberEvent) {
        use SubscriberEvent as E;
        match event {
            E::SubscriberImported { view } => self.view = Some(view),
            E::SubscriberFieldsChanged { changes } => {
                if let Some(v) = &mut self.view {
                    apply_changes(v, &changes);
                }
            }
            E::SubscriberMoved { to, .. } => {
                if let Some(v) = &mut self.view {
                    v.folder = to;
                }
            }
            E::SubscriberBlocked { reason, .. } => {
                if let Some(v) = &mut self.view {
                    v.blocked = Some(reason);
                }
            }
            E::SubscriberUnblocked { .. } => {
                if let Some(v) = &mut self.view {
                    v.blocked = None;
                }
            }
            E::SubscriberLeftBilling { .. } => self.left_billing = true,
            E::SubscriberReturned => self.left_billing = false,
            E::SubscriberNoteAdded { .. } => self.notes += 1,
            E::SubscriberTagsChanged { added, removed } => {
                for t in removed {
                    self.tags.remove(&t);
                }
                self.tags.extend(added);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn folder(id: &str) -> BillingFolder {
        BillingFolder {
            id: id.into(),
            name: format!("Folder {id}"),
        }
    }

    fn view(login: &str, address: &str, status: &str, blocked: Option<BlockReason>) -> BillingView {
        BillingView {
            folder: folder("10"),
            fields: [
                ("login".to_string(), login.to_string()),
                ("address".to_string(), address.to_string()),
            ]
            .into_iter()
            .collect(),
            status: status.into(),
            blocked,
        }
    }

    fn state(events: Vec<SubscriberEvent>) -> Subscriber {
        let mut s = Subscriber::default();
        for e in events {
            s.apply(e);
        }
        s
    }

    #[test]
    fn the_first_sync_imports_and_the_same_view_again_changes_nothing() {
        let v = view("r637_12", "Московская 5 а", "Активен", None);
        TestFramework::<Subscriber>::with(())
            .given_no_previous_events()
            .when(SubscriberCommand::Sync { view: v.clone() })
            .then_expect_events(vec![SubscriberEvent::SubscriberImported {
                view: v.clone(),
            }]);
        // Whitespace and an empty field are not a change.
        let mut again = v.clone();
        again
            .fields
            .insert("address".into(), " Московская 5 а ".into());
        again.fields.insert("email".into(), "".into());
        TestFramework::<Subscriber>::with(())
            .given(vec![SubscriberEvent::SubscriberImported {
                view: v.clone(),
            }])
            .when(SubscriberCommand::Sync {
                view: again.clone(),
            })
            .then_expect_error(SubscriberError::Unchanged);
        assert_eq!(tidy(again).fingerprint(), v.fingerprint());
    }

    #[test]
    fn a_changed_field_is_an_event_naming_only_that_field() {
        let v = view("r637_12", "Московская 5 а", "Активен", None);
        let mut changed = v.clone();
        changed
            .fields
            .insert("address".into(), "Московская 7".into());
        changed
            .fields
            .insert("tariff".into(), "Домашний 100".into());
        let mut expected = BTreeMap::new();
        expected.insert(
            "address".to_string(),
            FieldChange {
                from: Some("Московская 5 а".into()),
                to: Some("Московская 7".into()),
            },
        );
        expected.insert(
            "tariff".to_string(),
            FieldChange {
                from: None,
                to: Some("Домашний 100".into()),
            },
        );
        TestFramework::<Subscriber>::with(())
            .given(vec![SubscriberEvent::SubscriberImported {
                view: v.clone(),
            }])
            .when(SubscriberCommand::Sync {
                view: changed.clone(),
            })
            .then_expect_events(vec![SubscriberEvent::SubscriberFieldsChanged {
                changes: expected.clone(),
            }]);
        let mut s = state(vec![
            SubscriberEvent::SubscriberImported { view: v },
            SubscriberEvent::SubscriberFieldsChanged { changes: expected },
        ]);
        assert_eq!(
            s.view.as_ref().map(|v| v.fingerprint()),
            Some(changed.fingerprint())
        );
        s.apply(SubscriberEvent::SubscriberNoteAdded { text: "x".into() });
        assert_eq!(s.notes, 1);
    }

    #[test]
    fn blocking_unblocking_and_a_move_are_their_own_events() {
        let v = view("a1", "Ленина 1", "Активен", None);
        let blocked = view(
            "a1",
            "Ленина 1",
            "Недостаточно средств на счёте",
            Some(BlockReason::OutOfFunds),
        );
        let events = Subscriber::default()
            .decide(SubscriberCommand::Sync { view: v.clone() })
            .unwrap();
        let s = state(events);
        let out = s
            .decide(SubscriberCommand::Sync {
                view: blocked.clone(),
            })
            .unwrap();
        assert!(matches!(
            out[0],
            SubscriberEvent::SubscriberFieldsChanged { .. }
        ));
        assert_eq!(
            out[1],
            SubscriberEvent::SubscriberBlocked {
                reason: BlockReason::OutOfFunds,
                status: "Недостаточно средств на счёте".into()
            }
        );
        let mut s2 = s.clone();
        for e in out {
            s2.apply(e);
        }
        let mut moved = v.clone();
        moved.folder = folder("11");
        let out = s2.decide(SubscriberCommand::Sync { view: moved }).unwrap();
        assert_eq!(
            out.first(),
            Some(&SubscriberEvent::SubscriberMoved {
                from: folder("10"),
                to: folder("11")
            })
        );
        assert_eq!(
            out.last(),
            Some(&SubscriberEvent::SubscriberUnblocked {
                status: "Активен".into()
            })
        );
    }

    #[test]
    fn left_billing_is_flagged_once_and_a_return_unflags_it() {
        let v = view("a1", "Ленина 1", "Активен", None);
        assert_eq!(
            Subscriber::default().decide(SubscriberCommand::MarkLeft),
            Err(SubscriberError::NotImported)
        );
        let mut s = state(vec![SubscriberEvent::SubscriberImported {
            view: v.clone(),
        }]);
        let left = s.decide(SubscriberCommand::MarkLeft).unwrap();
        assert_eq!(
            left,
            vec![SubscriberEvent::SubscriberLeftBilling {
                folder: folder("10")
            }]
        );
        for e in left {
            s.apply(e);
        }
        assert!(s.left_billing);
        assert_eq!(
            s.decide(SubscriberCommand::MarkLeft),
            Err(SubscriberError::Unchanged)
        );
        assert_eq!(
            s.decide(SubscriberCommand::Sync { view: v }).unwrap(),
            vec![SubscriberEvent::SubscriberReturned]
        );
    }

    #[test]
    fn notes_and_tags_are_validated() {
        let s = state(vec![SubscriberEvent::SubscriberImported {
            view: view("a1", "Ленина 1", "Активен", None),
        }]);
        assert_eq!(
            s.decide(SubscriberCommand::AddNote { text: "  ".into() }),
            Err(SubscriberError::EmptyNote)
        );
        assert_eq!(
            s.decide(SubscriberCommand::AddNote {
                text: "x".repeat(MAX_NOTE + 1)
            }),
            Err(SubscriberError::NoteTooLong)
        );
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(
            s.decide(SubscriberCommand::SetTags {
                tags: tags(&["two words"])
            }),
            Err(SubscriberError::BadTag)
        );
        assert_eq!(
            s.decide(SubscriberCommand::SetTags { tags: tags(&[]) }),
            Err(SubscriberError::Unchanged)
        );
        assert_eq!(
            s.decide(SubscriberCommand::SetTags {
                tags: tags(&["vip", "gpon"])
            }),
            Ok(vec![SubscriberEvent::SubscriberTagsChanged {
                added: tags(&["gpon", "vip"]),
                removed: tags(&[]),
            }])
        );
        assert_eq!(
            s.decide(SubscriberCommand::Sync {
                view: view("", "x", "Активен", None)
            }),
            Err(SubscriberError::NoLogin)
        );
    }
}
