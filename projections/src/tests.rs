//! Tests of the runner's guarantees: exactly once, schema resets, replay.

use std::collections::HashMap;

use cqrs_es::persist::SerializedEvent;
use ispmon_events::user::UserEvent;
use ispmon_events::values::{Locale, Login, Role};
use ispmon_events::{Durability, EventStore, Metadata, Source};

use crate::runner::{apply_batch, open_views};

/// The plan SQLite would run `sql` with, its steps joined by `; ` (the
/// read models' plan tests look in it for the index they rely on).
pub(crate) fn query_plan(
    c: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> String {
    let mut s = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let steps: Vec<String> = s
        .query_map(params, |r| r.get(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    steps.join("; ")
}

fn user_event(id: &str, seq: usize, e: UserEvent) -> SerializedEvent {
    use cqrs_es::DomainEvent;
    let meta: HashMap<String, String> = Metadata::system(Source::Cli, "test").to_map();
    SerializedEvent::new(
        id.into(),
        seq,
        "User".into(),
        e.event_type(),
        e.event_version(),
        serde_json::to_value(&e).unwrap(),
        serde_json::to_value(meta).unwrap(),
    )
}

fn registered(login: &str) -> UserEvent {
    UserEvent::UserRegistered {
        login: Login::parse(login).unwrap(),
        role: Role::Noc,
        locale: Locale::En,
        password: ispmon_events::secrets::SecretRef("p".into()),
    }
}

async fn log_with_users(dir: &std::path::Path, n: usize) -> EventStore {
    let store = EventStore::open(&dir.join("events.db"), Durability::Normal).unwrap();
    for i in 0..n {
        store
            .append(
                vec![user_event(
                    &format!("u{i}"),
                    1,
                    registered(&format!("user{i}")),
                )],
                None,
            )
            .await
            .unwrap();
    }
    store
}

fn count(c: &rusqlite::Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_batch_seen_twice_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_with_users(dir.path(), 3).await;
    let events = store.since(0, 100).await.unwrap();
    let projections = crate::all();
    let (mut conn, mut cps) =
        open_views(&dir.path().join("views.db"), &projections, false).unwrap();
    apply_batch(&mut conn, &projections, &mut cps, None, &events).unwrap();
    // A stale runner (another process, or a retry) holds old checkpoints.
    let mut stale = vec![0; projections.len()];
    apply_batch(&mut conn, &projections, &mut stale, None, &events).unwrap();
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM users"), 3);
    assert_eq!(stale, cps, "the stale runner learned the checkpoints");
    assert_eq!(count(&conn, "SELECT MIN(seq) FROM checkpoints"), 3);
}

#[tokio::test]
async fn a_changed_schema_resets_only_that_projection() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_with_users(dir.path(), 2).await;
    let events = store.since(0, 100).await.unwrap();
    let projections = crate::all();
    let views = dir.path().join("views.db");
    {
        let (mut conn, mut cps) = open_views(&views, &projections, false).unwrap();
        apply_batch(&mut conn, &projections, &mut cps, None, &events).unwrap();
        conn.execute(
            "UPDATE checkpoints SET schema_hash = 'old' WHERE projection = 'users'",
            [],
        )
        .unwrap();
    }
    let (conn, cps) = open_views(&views, &projections, false).unwrap();
    let names: Vec<_> = projections.iter().map(|p| p.name()).collect();
    let users = names.iter().position(|n| *n == "users").unwrap();
    let sessions = names.iter().position(|n| *n == "sessions").unwrap();
    assert_eq!(cps[users], 0, "users starts over");
    assert_eq!(cps[sessions], 2, "sessions keeps its checkpoint");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM users"), 0);
}

#[tokio::test]
async fn the_runner_follows_appends_and_wait_for_reaches_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = log_with_users(dir.path(), 1).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let views = crate::Views::start(
        store.clone(),
        &dir.path().join("views.db"),
        false,
        cancel.clone(),
    )
    .unwrap();
    let seq = store
        .append(vec![user_event("u9", 1, registered("late"))], None)
        .await
        .unwrap();
    assert!(
        views
            .wait_for(seq, std::time::Duration::from_secs(10))
            .await
    );
    let found = views
        .read(|c| crate::users::by_login(c, "late"))
        .await
        .unwrap();
    let found = found.expect("the late user is in the view");
    assert_eq!(
        (
            found.user_id.as_str(),
            found.login.as_str(),
            found.role.as_str()
        ),
        ("u9", "late", "noc")
    );
    cancel.cancel();
}

/// A user's history touching every column of both user views, in one log.
async fn eventful_log(dir: &std::path::Path) -> EventStore {
    let store = EventStore::open(&dir.join("events.db"), Durability::Normal).unwrap();
    let secret = |s: &str| ispmon_events::secrets::SecretRef(s.into());
    let login = |s: &str| UserEvent::UserLoggedIn {
        session_id: s.into(),
        ip: "10.0.0.1".into(),
        expires_at: "2030-01-01T00:00:00Z".into(),
    };
    let history = |user: &str| {
        vec![
            registered(user),
            login(&format!("{user}-s1")),
            UserEvent::UserLocaleChanged { locale: Locale::Ru },
            login(&format!("{user}-s2")),
            UserEvent::UserLoggedOut {
                session_id: format!("{user}-s1"),
            },
            UserEvent::UserRoleChanged {
                from: Role::Noc,
                to: Role::Admin,
            },
            login(&format!("{user}-s3")),
            UserEvent::SessionRevoked {
                session_id: format!("{user}-s3"),
            },
            UserEvent::UserPasswordChanged {
                password: secret("p2"),
            },
            login(&format!("{user}-s4")),
            UserEvent::UserDisabled,
            UserEvent::UserEnabled,
            UserEvent::UserPasswordReset {
                password: secret("p3"),
            },
            login(&format!("{user}-s5")),
        ]
    };
    // Two users, their events interleaved.
    let (a, b) = (history("alice"), history("bob"));
    let mut seqs = [0usize; 2];
    for (ea, eb) in a.into_iter().zip(b) {
        for (i, (id, e)) in [("ua", ea), ("ub", eb)].into_iter().enumerate() {
            seqs[i] += 1;
            store
                .append(vec![user_event(id, seqs[i], e)], None)
                .await
                .unwrap();
        }
    }
    store
}

fn dump(c: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = c.prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    Ok(format!("{v:?}"))
                })
                .collect()
        })
        .unwrap();
    rows.collect::<rusqlite::Result<_>>().unwrap()
}

#[tokio::test]
async fn folding_a_whole_batch_gives_the_rows_of_one_event_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = eventful_log(dir.path()).await;
    let events = store.since(0, 1000).await.unwrap();
    let projections = crate::all();
    let (mut whole, mut cps) =
        open_views(&dir.path().join("whole.db"), &projections, false).unwrap();
    apply_batch(&mut whole, &projections, &mut cps, None, &events).unwrap();
    let (mut single, mut cps) =
        open_views(&dir.path().join("single.db"), &projections, false).unwrap();
    for ev in &events {
        apply_batch(&mut single, &projections, &mut cps, None, &[ev]).unwrap();
    }
    for sql in [
        "SELECT * FROM users ORDER BY user_id",
        "SELECT * FROM sessions ORDER BY session_id",
    ] {
        assert_eq!(dump(&whole, sql), dump(&single, sql), "{sql}");
    }
    let users = dump(
        &whole,
        "SELECT role, locale, disabled, password_ref, updated_at = last_login_at FROM users",
    );
    assert_eq!(
        users[0],
        [
            "Text(\"admin\")",
            "Text(\"ru\")",
            "Integer(0)",
            "Text(\"p3\")",
            "Integer(0)"
        ]
    );
    let ended = dump(
        &whole,
        "SELECT session_id, end_reason FROM sessions WHERE user_id = 'ua' ORDER BY session_id",
    );
    let reasons: Vec<_> = ended.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        reasons,
        [
            "Text(\"logout\")",
            "Text(\"user disabled\")",
            "Text(\"revoked\")",
            "Text(\"user disabled\")",
            "Null"
        ],
        "s1 logged out, s2 and s4 ended by the disable, s3 revoked, s5 open"
    );
}
