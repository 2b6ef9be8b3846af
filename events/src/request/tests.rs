use super::*;
use chrono::{NaiveDate, NaiveTime, TimeZone};
use cqrs_es::test::TestFramework;

use crate::DomainError;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
}

fn details() -> RequestDetails {
    RequestDetails {
        name: "Подключение: Иванов".into(),
        address: "Московская 5 а, кв. 12".into(),
        subscriber_id: None,
        login: None,
        phone: Some("+79161234567".into()),
        area: Some("Центр".into()),
        gpon: GponHints {
            sn: Some("48575443CCB59A20".into()),
            olt_id: Some("olt-1".into()),
            port: Some("0/1/3".into()),
            profile: None,
        },
    }
}

fn opened() -> RequestEvent {
    RequestEvent::RequestOpened {
        details: details(),
        folder: Some("f-new".into()),
        rank: "V".into(),
        label: Label::default(),
        at: at(10, 0),
    }
}

fn state(events: Vec<RequestEvent>) -> Request {
    let mut r = Request::default();
    for e in events {
        r.apply(e);
    }
    r
}

fn decided(r: &mut Request, c: RequestCommand) -> Vec<RequestEvent> {
    let events = r.decide(c).unwrap();
    for e in events.clone() {
        r.apply(e);
    }
    events
}

fn status(to: RequestStatus) -> RequestCommand {
    RequestCommand::ChangeStatus {
        to,
        note: None,
        at: at(11, 0),
    }
}

fn fields(e: RequestError) -> Vec<&'static str> {
    e.field_errors().into_iter().map(|(f, _)| f).collect()
}

fn visit(from: (u32, u32), to: (u32, u32)) -> Visit {
    Visit {
        date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
        from: NaiveTime::from_hms_opt(from.0, from.1, 0).unwrap(),
        to: NaiveTime::from_hms_opt(to.0, to.1, 0).unwrap(),
    }
}

#[test]
fn the_transition_table_allows_exactly_these_pairs() {
    use RequestStatus::*;
    let working = [Open, AwaitingReply, Scheduled, InProgress];
    let mut allowed_pairs = Vec::new();
    for from in working {
        for to in RequestStatus::ALL {
            if to != from && to != Closed && to != Done {
                allowed_pairs.push((from, to));
            }
        }
        allowed_pairs.push((from, Done));
        allowed_pairs.push((from, Closed));
    }
    allowed_pairs.extend([(Done, Closed), (Done, InProgress), (Closed, Open)]);
    assert_eq!(allowed_pairs.len(), 4 * 5 + 3);
    for from in RequestStatus::ALL {
        for to in RequestStatus::ALL {
            assert_eq!(
                allowed(from, to),
                allowed_pairs.contains(&(from, to)),
                "{from} → {to}"
            );
        }
    }
}

#[test]
fn every_forbidden_pair_is_refused_with_a_hint_and_every_allowed_one_is_written() {
    for from in RequestStatus::ALL {
        for to in RequestStatus::ALL {
            let mut r = state(vec![opened()]);
            r.status = from;
            let result = r.decide(status(to));
            match result {
                Ok(events) => {
                    assert!(allowed(from, to), "{from} → {to}");
                    assert_eq!(
                        events,
                        vec![RequestEvent::RequestStatusChanged {
                            from,
                            to,
                            note: None,
                            at: at(11, 0)
                        }]
                    );
                }
                Err(RequestError::Unchanged) => assert_eq!(from, to),
                Err(e) => {
                    assert_eq!(e, RequestError::Forbidden { from, to });
                    assert!(!allowed(from, to));
                }
            }
        }
    }
    let mut trash = state(vec![opened()]);
    trash.status = RequestStatus::Closed;
    assert_eq!(
        trash
            .decide(status(RequestStatus::Done))
            .unwrap_err()
            .to_string(),
        "a closed request cannot go to done; restore it from the trash first"
    );
}

#[test]
fn statuses_and_colours_read_as_the_pages_and_the_old_palette_write_them() {
    let names: Vec<String> = RequestStatus::ALL
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "open",
            "awaiting_reply",
            "scheduled",
            "in_progress",
            "done",
            "closed"
        ]
    );
    assert!(RequestStatus::ALL
        .iter()
        .all(|s| RequestStatus::parse(s.as_str()) == Some(*s)));
    let palette = [
        "red",
        "DarkRed",
        "Goldenrod",
        "SaddleBrown",
        "DodgerBlue",
        "Blue",
        "LimeGreen",
        "Green",
        "DarkSlateGray",
        "DarkViolet",
        "Black",
    ];
    for (c, name) in Colour::ALL.iter().zip(palette) {
        assert_eq!(c.as_str(), name);
        assert_eq!(serde_json::to_value(c).unwrap(), name);
        assert_eq!(Colour::parse(name), Some(*c));
    }
    assert_eq!(
        Colour::parse("Red"),
        None,
        "exactly as the palette spells it"
    );
    assert_eq!(
        Label::default(),
        Label {
            text: "для всех".into(),
            colour: Colour::Black
        }
    );
}

#[test]
fn a_request_opens_once_with_tidy_details_its_first_message_and_the_default_label() {
    let mut typed = details();
    typed.name = "  Подключение: Иванов ".into();
    typed.phone = Some(" 8 (916) 123-45-67 ".into());
    typed.gpon.sn = Some("48575443ccb59a20".into());
    typed.login = Some(" ".into());
    TestFramework::<Request>::with(())
        .given_no_previous_events()
        .when(RequestCommand::Open {
            details: typed,
            folder: Some(" f-new ".into()),
            rank: "V".into(),
            first_message: Some(("anna".into(), " хочет 100 Мбит ".into())),
            at: at(10, 0),
        })
        .then_expect_events(vec![
            opened(),
            RequestEvent::RequestMessagePosted {
                n: 0,
                author: "anna".into(),
                body: "хочет 100 Мбит".into(),
                at: at(10, 0),
            },
        ]);
    TestFramework::<Request>::with(())
        .given(vec![opened()])
        .when(RequestCommand::Open {
            details: details(),
            folder: None,
            rank: "V".into(),
            first_message: None,
            at: at(10, 1),
        })
        .then_expect_error(RequestError::AlreadyOpened);
    TestFramework::<Request>::with(())
        .given_no_previous_events()
        .when(status(RequestStatus::Done))
        .then_expect_error(RequestError::NotOpened);
}

#[test]
fn bad_input_is_refused_field_by_field_and_changes_nothing() {
    let mut bad = details();
    bad.name = " ".into();
    bad.address = "д".repeat(MAX_ADDRESS + 1);
    bad.login = Some("x".repeat(65));
    bad.phone = Some("8 916 123".into());
    bad.area = Some("a".repeat(MAX_AREA + 1));
    bad.gpon.sn = Some("HWTC1234".into());
    bad.gpon.port = Some("0/1/x".into());
    let err = Request::default()
        .decide(RequestCommand::Open {
            details: bad.clone(),
            folder: Some("no such/folder".into()),
            rank: "V0".into(),
            first_message: Some(("".into(), "".into())),
            at: at(10, 0),
        })
        .unwrap_err();
    assert_eq!(
        fields(err.clone()),
        [
            "name", "address", "login", "phone", "area", "sn", "port", "folder", "rank", "body",
            "author"
        ]
    );
    assert!(err
        .to_string()
        .starts_with("name write who or what to connect; "));
    let r = state(vec![opened()]);
    let before = r.clone();
    let edit = r.decide(RequestCommand::Edit {
        details: bad,
        at: at(11, 0),
    });
    assert_eq!(
        fields(edit.unwrap_err()),
        ["name", "address", "login", "phone", "area", "sn", "port"]
    );
    let refusals = [
        RequestCommand::Move {
            folder: None,
            rank: "".into(),
            at: at(11, 0),
        },
        RequestCommand::Label {
            text: "x".repeat(MAX_LABEL + 1),
            colour: Colour::Red,
            at: at(11, 0),
        },
        RequestCommand::Schedule {
            visit: Some(visit((12, 0), (10, 0))),
            at: at(11, 0),
        },
        RequestCommand::Schedule {
            visit: Some(visit((12, 0), (12, 0))),
            at: at(11, 0),
        },
        RequestCommand::CheckItem {
            index: 0,
            done: true,
            at: at(11, 0),
        },
        RequestCommand::SetChecklist {
            items: vec!["x".repeat(MAX_ITEM + 1)],
            at: at(11, 0),
        },
        RequestCommand::LinkRegistration {
            job_id: " ".into(),
            ont_id: None,
            at: at(11, 0),
        },
        RequestCommand::Message {
            author: "anna".into(),
            body: "м".repeat(MAX_MESSAGE + 1),
            at: at(11, 0),
        },
    ];
    let expected = [
        "rank", "label", "to", "to", "index", "items", "job_id", "body",
    ];
    for (c, field) in refusals.into_iter().zip(expected) {
        assert_eq!(fields(r.decide(c).unwrap_err()), [field]);
    }
    assert_eq!(r, before, "a refusal decides no event");
}

#[test]
fn an_edit_writes_only_the_fields_it_changed() {
    let mut edited = details();
    edited.address = "Московская 5 а, кв. 14".into();
    edited.gpon.profile = Some("ftth-100".into());
    let changes = RequestChanges {
        address: Some(Change {
            from: "Московская 5 а, кв. 12".into(),
            to: "Московская 5 а, кв. 14".into(),
        }),
        gpon: Some(Change {
            from: details().gpon,
            to: edited.gpon.clone(),
        }),
        ..RequestChanges::default()
    };
    TestFramework::<Request>::with(())
        .given(vec![opened()])
        .when(RequestCommand::Edit {
            details: edited.clone(),
            at: at(11, 0),
        })
        .then_expect_events(vec![RequestEvent::RequestEdited {
            changes: changes.clone(),
            at: at(11, 0),
        }]);
    let json = serde_json::to_value(&changes).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["address", "gpon"]
    );
    let mut r = state(vec![opened()]);
    r.apply(RequestEvent::RequestEdited {
        changes,
        at: at(11, 0),
    });
    assert_eq!(r.details, Some(edited));
    TestFramework::<Request>::with(())
        .given(vec![opened()])
        .when(RequestCommand::Edit {
            details: details(),
            at: at(11, 0),
        })
        .then_expect_error(RequestError::Unchanged);
}

#[test]
fn a_staff_message_on_an_open_request_awaits_the_reply() {
    let mut r = state(vec![opened()]);
    let first = decided(
        &mut r,
        RequestCommand::Message {
            author: "anna".into(),
            body: "когда удобно?".into(),
            at: at(10, 5),
        },
    );
    assert_eq!(
        first[1],
        RequestEvent::RequestStatusChanged {
            from: RequestStatus::Open,
            to: RequestStatus::AwaitingReply,
            note: None,
            at: at(10, 5)
        }
    );
    let second = decided(
        &mut r,
        RequestCommand::Message {
            author: "anna".into(),
            body: "напомню завтра".into(),
            at: at(10, 6),
        },
    );
    assert!(matches!(
        second.as_slice(),
        [RequestEvent::RequestMessagePosted { n: 1, .. }]
    ));
    assert_eq!(r.messages, 2);
    assert_eq!(r.status, RequestStatus::AwaitingReply);
}

#[test]
fn the_trash_takes_no_work_until_restored() {
    let mut r = state(vec![opened()]);
    decided(&mut r, status(RequestStatus::Closed));
    for c in [
        RequestCommand::Message {
            author: "anna".into(),
            body: "?".into(),
            at: at(12, 0),
        },
        RequestCommand::AssignInstaller {
            installer: Some("u-7".into()),
            at: at(12, 0),
        },
        RequestCommand::Schedule {
            visit: Some(visit((10, 0), (12, 0))),
            at: at(12, 0),
        },
        RequestCommand::SetChecklist {
            items: vec!["кабель".into()],
            at: at(12, 0),
        },
    ] {
        assert_eq!(r.decide(c), Err(RequestError::InTrash));
    }
    decided(&mut r, status(RequestStatus::Open));
    assert!(r
        .decide(RequestCommand::AssignInstaller {
            installer: Some("u-7".into()),
            at: at(12, 1),
        })
        .is_ok());
}

#[test]
fn label_move_installer_and_visit_write_what_changed_and_refuse_the_same_again() {
    let mut r = state(vec![opened()]);
    let label = RequestCommand::Label {
        text: " Петрову ".into(),
        colour: Colour::DodgerBlue,
        at: at(10, 1),
    };
    assert_eq!(
        decided(&mut r, label.clone()),
        vec![RequestEvent::RequestLabelled {
            label: Label {
                text: "Петрову".into(),
                colour: Colour::DodgerBlue
            },
            at: at(10, 1)
        }]
    );
    assert_eq!(r.decide(label), Err(RequestError::Unchanged));
    let moved = RequestCommand::Move {
        folder: None,
        rank: "W".into(),
        at: at(10, 2),
    };
    decided(&mut r, moved.clone());
    assert_eq!((r.folder.as_deref(), r.rank.as_str()), (None, "W"));
    assert_eq!(r.decide(moved), Err(RequestError::Unchanged));
    decided(
        &mut r,
        RequestCommand::AssignInstaller {
            installer: Some(" u-7 ".into()),
            at: at(10, 3),
        },
    );
    assert_eq!(r.installer.as_deref(), Some("u-7"));
    let v = visit((10, 0), (12, 0));
    assert_eq!(
        decided(
            &mut r,
            RequestCommand::Schedule {
                visit: Some(v),
                at: at(10, 4),
            },
        ),
        vec![
            RequestEvent::RequestScheduled {
                visit: Some(v),
                at: at(10, 4)
            },
            RequestEvent::RequestStatusChanged {
                from: RequestStatus::Open,
                to: RequestStatus::Scheduled,
                note: None,
                at: at(10, 4)
            }
        ],
        "a visit on an open request schedules it"
    );
    assert_eq!(r.visit, Some(v));
    assert_eq!(r.status, RequestStatus::Scheduled);
    assert_eq!(
        r.decide(RequestCommand::Schedule {
            visit: Some(v),
            at: at(10, 5)
        }),
        Err(RequestError::Unchanged)
    );
    decided(
        &mut r,
        RequestCommand::Schedule {
            visit: None,
            at: at(10, 6),
        },
    );
    assert_eq!(r.visit, None);
    assert_eq!(r.changed_at, Some(at(10, 6)));
}

#[test]
fn a_checklist_from_a_template_is_ticked_item_by_item() {
    let mut r = state(vec![opened()]);
    decided(
        &mut r,
        RequestCommand::SetChecklist {
            items: vec![" кабель ".into(), "".into(), "ONT".into(), "роутер".into()],
            at: at(10, 1),
        },
    );
    assert_eq!(r.checklist_progress(), (0, 3));
    decided(
        &mut r,
        RequestCommand::CheckItem {
            index: 1,
            done: true,
            at: at(10, 2),
        },
    );
    assert_eq!(r.checklist[1], ("ONT".to_string(), true));
    assert_eq!(r.checklist_progress(), (1, 3));
    assert_eq!(
        r.decide(RequestCommand::CheckItem {
            index: 1,
            done: true,
            at: at(10, 3)
        }),
        Err(RequestError::Unchanged)
    );
    assert_eq!(
        r.decide(RequestCommand::SetChecklist {
            items: vec!["кабель".into(), "ONT".into(), "роутер".into()],
            at: at(10, 3)
        }),
        Err(RequestError::Unchanged)
    );
}

#[test]
fn done_offers_the_registration_and_keeps_the_link() {
    let mut r = state(vec![opened()]);
    assert_eq!(r.registration_offer(), None, "not done yet");
    decided(
        &mut r,
        RequestCommand::LinkSubscriber {
            subscriber_id: Some("10423".into()),
            login: Some("r637_12".into()),
            at: at(10, 30),
        },
    );
    decided(&mut r, status(RequestStatus::Done));
    assert_eq!(
        r.registration_offer(),
        Some(RegistrationOffer {
            sn: Some("48575443CCB59A20".into()),
            olt_id: Some("olt-1".into()),
            port: Some("0/1/3".into()),
            profile: None,
            name: "r637_12".into(),
        })
    );
    let link = RequestCommand::LinkRegistration {
        job_id: "job-1".into(),
        ont_id: Some("olt-1:48575443CCB59A20".into()),
        at: at(11, 5),
    };
    decided(&mut r, link.clone());
    assert_eq!(r.decide(link), Err(RequestError::Unchanged));
    assert_eq!(r.registration_offer(), None, "handed over once");
    assert_eq!(
        r.registration.as_ref().map(|l| l.job_id.as_str()),
        Some("job-1")
    );
}

#[tokio::test]
async fn a_request_goes_through_the_event_store_and_the_registry_folds_it() {
    use crate::store::{Durability, EventStore, SqliteRepository};
    use crate::{Metadata, Source};
    use cqrs_es::persist::PersistedEventStore;
    use cqrs_es::CqrsFramework;

    let dir = tempfile::tempdir().unwrap();
    let store = EventStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
    let fw = CqrsFramework::<Request, _>::new(
        PersistedEventStore::new_aggregate_store(SqliteRepository::new(store.clone())),
        vec![],
        (),
    );
    let meta = Metadata::system(Source::Cli, "test").to_map();
    for c in [
        RequestCommand::Open {
            details: details(),
            folder: None,
            rank: "V".into(),
            first_message: Some(("anna".into(), "хочет".into())),
            at: at(10, 0),
        },
        RequestCommand::Message {
            author: "anna".into(),
            body: "когда?".into(),
            at: at(10, 1),
        },
        RequestCommand::SetChecklist {
            items: vec!["кабель".into()],
            at: at(10, 2),
        },
        RequestCommand::CheckItem {
            index: 0,
            done: true,
            at: at(10, 3),
        },
    ] {
        fw.execute_with_metadata("r-1", c, meta.clone())
            .await
            .unwrap();
    }
    let stored = store
        .aggregate_events("Request", "r-1", None)
        .await
        .unwrap();
    let types: Vec<&str> = stored.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "RequestOpened",
            "RequestMessagePosted",
            "RequestMessagePosted",
            "RequestStatusChanged",
            "RequestChecklistSet",
            "RequestItemChecked"
        ]
    );
    let states = (crate::registry::kind("Request").unwrap().fold)(&stored).unwrap();
    let last: Request = serde_json::from_value(states.last().unwrap().clone()).unwrap();
    assert_eq!(last.messages, 2);
    assert_eq!(last.status, RequestStatus::AwaitingReply);
    assert_eq!(last.checklist, vec![("кабель".to_string(), true)]);
}

fn attach(blob: &str, name: &str, size: u64, content_type: &str) -> RequestCommand {
    RequestCommand::Attach {
        blob: blob.into(),
        name: name.into(),
        size,
        content_type: content_type.into(),
        at: at(13, 0),
    }
}

#[test]
fn a_photo_from_the_visit_is_attached_once_and_bad_files_are_refused() {
    let blob = "a".repeat(64);
    let mut r = state(vec![opened()]);
    let events = decided(&mut r, attach(&blob, "щиток.jpg", 120_000, "image/jpeg"));
    assert_eq!(
        events,
        vec![RequestEvent::RequestAttachmentAdded {
            blob: blob.clone(),
            name: "щиток.jpg".into(),
            size: 120_000,
            content_type: "image/jpeg".into(),
            at: at(13, 0),
        }]
    );
    assert_eq!(r.attachments, vec![blob.clone()]);
    assert_eq!(
        r.decide(attach(&blob, "again.jpg", 1, "image/jpeg")),
        Err(RequestError::Unchanged)
    );
    let bad = r
        .decide(attach("nothex", "a/b.exe", 0, "application/x-msdownload"))
        .unwrap_err();
    assert_eq!(fields(bad), vec!["blob", "name", "size", "content_type"]);
    decided(&mut r, status(RequestStatus::Closed));
    assert_eq!(
        r.decide(attach(&"b".repeat(64), "x.png", 10, "image/png")),
        Err(RequestError::InTrash)
    );
}
