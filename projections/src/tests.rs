//! Tests of the runner's guarantees: exactly once, schema resets, replay.

use std::collections::HashMap;

use cqrs_es::persist::SerializedEvent;
use ispmon_events::user::UserEvent;
use ispmon_events::values::{Locale, Login, Role};
use ispmon_events::{Durability, EventStore, Metadata, Source};

use crate::runner::{apply_batch, open_views};

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
    assert!(found.is_some());
    cancel.cancel();
}
