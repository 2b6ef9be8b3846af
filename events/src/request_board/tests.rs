use super::*;
use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use crate::DomainError;

fn at(m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, m, 0).unwrap()
}

fn created(id: &str, name: &str) -> RequestBoardEvent {
    RequestBoardEvent::RequestFolderCreated {
        id: id.into(),
        name: name.into(),
        at: at(0),
    }
}

fn board() -> RequestBoard {
    let mut b = RequestBoard::default();
    b.apply(created("f-new", "Новые"));
    b.apply(created("f-gpon", "GPON"));
    b
}

fn fields(e: RequestError) -> Vec<&'static str> {
    e.field_errors().into_iter().map(|(f, _)| f).collect()
}

fn delete(id: &str, move_to: Option<&str>) -> RequestBoardCommand {
    RequestBoardCommand::DeleteFolder {
        id: id.into(),
        move_to: move_to.map(str::to_string),
        at: at(5),
    }
}

#[test]
fn folders_are_created_and_renamed_with_names_unique_whatever_the_case() {
    TestFramework::<RequestBoard>::with(())
        .given_no_previous_events()
        .when(RequestBoardCommand::CreateFolder {
            id: " f-new ".into(),
            name: " Новые ".into(),
            at: at(0),
        })
        .then_expect_events(vec![created("f-new", "Новые")]);
    let b = board();
    let create = |id: &str, name: &str| RequestBoardCommand::CreateFolder {
        id: id.into(),
        name: name.into(),
        at: at(1),
    };
    let err = b.decide(create("f-2", "новые")).unwrap_err();
    assert_eq!(err.to_string(), "name another folder has this name");
    assert_eq!(
        fields(b.decide(create("f-new", "Другие")).unwrap_err()),
        ["id"]
    );
    assert_eq!(
        fields(b.decide(create("f 2", "Другие")).unwrap_err()),
        ["id"]
    );
    assert_eq!(fields(b.decide(create("f-2", " ")).unwrap_err()), ["name"]);
    assert_eq!(
        fields(
            b.decide(create("f-2", &"н".repeat(MAX_FOLDER_NAME + 1)))
                .unwrap_err()
        ),
        ["name"]
    );
    let rename = |id: &str, name: &str| RequestBoardCommand::RenameFolder {
        id: id.into(),
        name: name.into(),
        at: at(2),
    };
    assert_eq!(
        b.decide(rename("f-new", "НОВЫЕ")).unwrap(),
        vec![RequestBoardEvent::RequestFolderRenamed {
            id: "f-new".into(),
            from: "Новые".into(),
            to: "НОВЫЕ".into(),
            at: at(2)
        }],
        "its own name in another case is no clash"
    );
    assert_eq!(
        b.decide(rename("f-new", "Новые")),
        Err(RequestError::Unchanged)
    );
    assert_eq!(
        fields(b.decide(rename("f-new", "gpon")).unwrap_err()),
        ["name"]
    );
    assert_eq!(
        fields(b.decide(rename("f-x", "Новое")).unwrap_err()),
        ["id"]
    );
}

#[test]
fn deleting_a_folder_records_where_its_requests_went_and_refuses_nonsense() {
    TestFramework::<RequestBoard>::with(())
        .given(vec![created("f-new", "Новые"), created("f-gpon", "GPON")])
        .when(delete("f-new", Some("f-gpon")))
        .then_expect_events(vec![RequestBoardEvent::RequestFolderDeleted {
            id: "f-new".into(),
            name: "Новые".into(),
            moved_to: Some("f-gpon".into()),
            at: at(5),
        }]);
    let b = board();
    let before = b.clone();
    assert_eq!(
        fields(b.decide(delete("f-new", Some("f-new"))).unwrap_err()),
        ["move_to"]
    );
    assert_eq!(
        fields(b.decide(delete("f-new", Some("f-x"))).unwrap_err()),
        ["move_to"]
    );
    assert_eq!(fields(b.decide(delete("f-x", None)).unwrap_err()), ["id"]);
    assert_eq!(b, before, "refusals change nothing");
    let mut b = board();
    for e in b.decide(delete("f-new", None)).unwrap() {
        b.apply(e);
    }
    assert!(!b.folders.contains_key("f-new"));
    assert_eq!(b.deleted.get("f-new"), Some(&None));
    assert_eq!(
        fields(b.decide(delete("f-gpon", Some("f-new"))).unwrap_err()),
        ["move_to"],
        "not into a deleted folder"
    );
    let reuse = RequestBoardCommand::CreateFolder {
        id: "f-new".into(),
        name: "Снова".into(),
        at: at(6),
    };
    assert_eq!(
        fields(b.decide(reuse).unwrap_err()),
        ["id"],
        "ids are not reused"
    );
}

#[test]
fn an_area_has_its_own_cap_or_the_default() {
    let mut b = RequestBoard::default();
    assert_eq!(b.cap_for("Центр"), None, "no cap until set");
    let run = |b: &mut RequestBoard, c| {
        for e in b.decide(c).unwrap() {
            b.apply(e);
        }
    };
    run(
        &mut b,
        RequestBoardCommand::SetDefaultCap {
            cap: Some(6),
            at: at(1),
        },
    );
    run(
        &mut b,
        RequestBoardCommand::SetAreaCap {
            area: " Центр ".into(),
            cap: Some(4),
            at: at(2),
        },
    );
    assert_eq!(b.cap_for("центр"), Some(4));
    assert_eq!(b.cap_for("Север"), Some(6));
    assert_eq!(
        b.decide(RequestBoardCommand::SetAreaCap {
            area: "Центр".into(),
            cap: Some(4),
            at: at(3)
        }),
        Err(RequestError::Unchanged)
    );
    for cap in [0, MAX_CAP + 1] {
        let c = RequestBoardCommand::SetAreaCap {
            area: "Центр".into(),
            cap: Some(cap),
            at: at(3),
        };
        assert_eq!(fields(b.decide(c).unwrap_err()), ["cap"]);
    }
    run(
        &mut b,
        RequestBoardCommand::SetAreaCap {
            area: "ЦЕНТР".into(),
            cap: None,
            at: at(4),
        },
    );
    assert_eq!(b.cap_for("Центр"), Some(6), "back to the default");
}

#[test]
fn checklist_templates_are_set_replaced_and_removed() {
    let mut b = RequestBoard::default();
    let set = |items: &[&str]| RequestBoardCommand::SetChecklistTemplate {
        name: "Подключение GPON".into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        at: at(1),
    };
    for e in b.decide(set(&["кабель", " ONT ", ""])).unwrap() {
        b.apply(e);
    }
    assert_eq!(b.templates["Подключение GPON"], ["кабель", "ONT"]);
    assert_eq!(
        b.decide(set(&["кабель", "ONT"])),
        Err(RequestError::Unchanged)
    );
    assert_eq!(b.decide(set(&[])).unwrap().len(), 1);
    for e in b.decide(set(&[])).unwrap() {
        b.apply(e);
    }
    assert!(b.templates.is_empty());
    let nameless = RequestBoardCommand::SetChecklistTemplate {
        name: " ".into(),
        items: vec!["x".into()],
        at: at(2),
    };
    assert_eq!(fields(b.decide(nameless).unwrap_err()), ["name"]);
}
