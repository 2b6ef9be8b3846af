//! The event store end to end: concurrency, uniqueness, crash safety, the
//! hash chain, replay, export and backup.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ispmon::commands::CommandError;
use ispmon_events::user::UserCommand;
use ispmon_events::values::{Locale, Login, NewPassword, Role};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_commands_on_one_aggregate_lose_and_duplicate_nothing() {
    let app = spawn_app().await;
    let id = app.create_user("racer", Role::Noc).await;
    let ok = Arc::new(AtomicUsize::new(0));
    let conflicts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let commands = app.state.core.commands.clone();
        let (id, ok, conflicts, meta) = (id.clone(), ok.clone(), conflicts.clone(), app.meta());
        tasks.push(tokio::spawn(async move {
            let locale = if i % 2 == 0 { Locale::Ru } else { Locale::En };
            match commands
                .user(&id, UserCommand::ChangeLocale { locale }, &meta)
                .await
            {
                Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                Err(CommandError::Conflict) => conflicts.fetch_add(1, Ordering::SeqCst),
                Err(e) => panic!("unexpected error: {e}"),
            };
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ok = ok.load(Ordering::SeqCst);
    assert_eq!(ok + conflicts.load(Ordering::SeqCst), 64);
    assert!(ok >= 1);
    let events = app
        .state
        .core
        .store
        .aggregate_events("User", &id, None)
        .await
        .unwrap();
    assert_eq!(events.len(), 1 + ok, "one event per successful command");
    let seqs: Vec<u64> = events.iter().map(|e| e.aggregate_seq).collect();
    assert_eq!(
        seqs,
        (1..=(1 + ok as u64)).collect::<Vec<_>>(),
        "no gaps, no duplicates"
    );
    let state = (ispmon_events::registry::kind("User").unwrap().fold)(&events).unwrap();
    assert_eq!(state.last().unwrap()["version"], (1 + ok) as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_registrations_of_one_login_cannot_both_win() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let core = app.state.core.clone();
        let meta = app.meta();
        tasks.push(tokio::spawn(async move {
            core.register_user(
                Login::parse("twin").unwrap(),
                Role::Noc,
                Locale::En,
                &NewPassword::parse("twin-password").unwrap(),
                &meta,
            )
            .await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(CommandError::Taken(t)) => assert_eq!(t.key, "twin"),
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(won, 1);
    let n = app
        .state
        .core
        .views
        .read(|c| {
            c.query_row("SELECT COUNT(*) FROM users WHERE login = 'twin'", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn verify_passes_then_names_the_sequence_of_a_tampered_row() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    app.create_user("boris", Role::Auditor).await;
    let data = app.data.path().to_path_buf();
    let out = ispmon(&["verify"], &data);
    assert!(
        out.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hash chain holds over 3 events"));

    let c = rusqlite::Connection::open(app.events_path()).unwrap();
    c.execute(
        "UPDATE events SET payload = replace(payload, 'auditor', 'admin') WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(c);
    let out = ispmon(&["verify"], &data);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("global sequence 3"), "names the row: {err}");
}

#[tokio::test]
async fn verify_notices_a_read_model_edited_behind_its_back() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    let c = rusqlite::Connection::open(app.data.path().join("views.db")).unwrap();
    c.execute("UPDATE users SET role = 'admin' WHERE login = 'anna'", [])
        .unwrap();
    drop(c);
    let out = ispmon(&["verify"], app.data.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("projection users differs"));
}

#[tokio::test]
async fn replay_rebuilds_read_models_equal_to_the_live_ones() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_user("anna", Role::Noc).await;
    admin
        .post_form(
            &format!("/admin/users/{id}/role"),
            &[("role", "technician")],
        )
        .await;
    admin
        .post_form(&format!("/admin/users/{id}/disable"), &[])
        .await;
    admin.post_form("/account/tokens", &[("name", "t1")]).await;
    let live = app
        .state
        .core
        .views
        .read(|c| {
            let mut s =
                c.prepare("SELECT login, role, disabled, locale FROM users ORDER BY login")?;
            let rows = s.query_map([], |r| {
                Ok(format!(
                    "{}|{}|{}|{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, String>(3)?
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
        .unwrap();
    let copy = tempfile::tempdir().unwrap();
    let fresh = copy.path().join("fresh.db");
    let n = ispmon_projections::rebuild::replay_into(&app.events_path(), &fresh, None).unwrap();
    assert_eq!(n, app.event_count());
    let c = rusqlite::Connection::open(&fresh).unwrap();
    let mut s = c
        .prepare("SELECT login, role, disabled, locale FROM users ORDER BY login")
        .unwrap();
    let replayed: Vec<String> = s
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(live, replayed);
    assert!(live.contains(&"anna|technician|true|en".to_string()));
    let verdict =
        ispmon_projections::rebuild::verify(&app.events_path(), &app.data.path().join("views.db"))
            .unwrap();
    assert_eq!(verdict, Ok(ispmon_projections::all().len()));
}

#[tokio::test]
async fn replay_command_rebuilds_the_views_file() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    let data = app.stop().await;
    std::fs::remove_file(data.path().join("views.db")).ok();
    let out = ispmon(&["replay"], data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("replayed 2 events"));
    let out = ispmon(&["verify"], data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_command() {
    let data = tempfile::tempdir().unwrap();
    let server = spawn_server(data.path(), &[], &[]);
    let mut s = Session::anonymous(&server.base);
    assert_eq!(
        s.log_in("admin", ADMIN_PASSWORD).await.status().as_u16(),
        303
    );
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stream = {
        let acknowledged = acknowledged.clone();
        let (client, base, csrf) = (s.client.clone(), s.base.clone(), s.csrf.clone());
        tokio::spawn(async move {
            for i in 0.. {
                let token = format!("crash-{i}");
                let r = client
                    .post(format!("{base}/account/tokens"))
                    .form(&[("name", token.as_str()), ("_csrf", csrf.as_str())])
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() || r.status().is_redirection() => {
                        acknowledged.lock().unwrap().push(token)
                    }
                    _ => break,
                }
            }
        })
    };
    let mut server = server;
    assert!(
        eventually(Duration::from_secs(30), || {
            let n = acknowledged.lock().unwrap().len();
            async move { n >= 20 }
        })
        .await,
        "commands were acknowledged"
    );
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stream.await.unwrap();
    let acked = acknowledged.lock().unwrap().clone();

    let c = rusqlite::Connection::open(data.path().join("events.db")).unwrap();
    let mut stmt = c
        .prepare("SELECT json_extract(payload, '$.ApiTokenCreated.name') FROM events WHERE event_type = 'ApiTokenCreated'")
        .unwrap();
    let logged: std::collections::HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for name in &acked {
        assert!(
            logged.contains(name),
            "acknowledged command {name} was lost"
        );
    }
    drop(stmt);
    drop(c);

    let restarted = spawn_server(data.path(), &[], &[]);
    let mut s2 = Session::anonymous(&restarted.base);
    assert_eq!(
        s2.log_in("admin", ADMIN_PASSWORD).await.status().as_u16(),
        303
    );
    let (_, page) = s2.get_text("/account").await;
    for name in &acked {
        assert!(
            page.contains(name.as_str()),
            "projection caught up with {name}"
        );
    }
    drop(restarted);
    let out = ispmon(&["verify"], data.path());
    assert!(
        out.status.success(),
        "after restart: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn export_events_prints_json_lines_after_a_sequence() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    app.create_user("boris", Role::Noc).await;
    let out = ispmon(&["export-events", "--since", "1"], app.data.path());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["seq"], 2);
    assert_eq!(lines[1]["payload"]["UserRegistered"]["login"], "boris");
    assert!(!text.contains(PASSWORD));
    assert!(!text.contains("$argon2"));
}

#[tokio::test]
async fn backup_copies_the_log_and_the_blobs_while_serving_and_restores() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    let config = b"hostname sw-backup\nvlan 1000\n";
    let hash = ispmon_events::blobs::BlobStore::open(&app.data.path().join("blobs"))
        .unwrap()
        .put(config)
        .unwrap();
    let target = app.data.path().join("backup.db");
    let out = ispmon(&["backup", target.to_str().unwrap()], app.data.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 stored configs and firmware files"),
        "{stderr}"
    );
    let c = rusqlite::Connection::open(&target).unwrap();
    let n: u64 = c
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, app.event_count());
    assert_eq!(
        ispmon_events::store::verify_chain(&c),
        Ok(n),
        "the copy's chain holds over every event"
    );
    drop(c);
    let blobs = ispmon::cli::blobs_beside(&target);
    let copy = ispmon_events::blobs::BlobStore::open(&blobs).unwrap();
    assert_eq!(copy.get(&hash).unwrap().as_deref(), Some(&config[..]));

    // A second backup to the same place is refused and changes nothing.
    let again = ispmon(&["backup", target.to_str().unwrap()], app.data.path());
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    // Restore as the message says, into a fresh data dir.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&target, restored.path().join("events.db")).unwrap();
    std::fs::rename(&blobs, restored.path().join("blobs")).unwrap();
    std::fs::copy(
        app.data.path().join("secret.key"),
        restored.path().join("secret.key"),
    )
    .unwrap();
    for cmd in ["replay", "verify"] {
        let out = ispmon(&[cmd], restored.path());
        assert!(out.status.success(), "{cmd}: {out:?}");
    }
    let blobs = ispmon_events::blobs::BlobStore::open(&restored.path().join("blobs")).unwrap();
    assert_eq!(blobs.get(&hash).unwrap().as_deref(), Some(&config[..]));
}

#[tokio::test]
async fn secrets_are_sealed_and_the_key_file_is_private() {
    let app = spawn_app().await;
    app.create_user("anna", Role::Noc).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data.path().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let c = rusqlite::Connection::open(app.events_path()).unwrap();
    let blobs: Vec<Vec<u8>> = c
        .prepare("SELECT ciphertext FROM secrets")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(!blobs.is_empty());
    for b in &blobs {
        assert!(
            !String::from_utf8_lossy(b).contains("argon2"),
            "stored sealed"
        );
    }
    let dump: String = c
        .query_row(
            "SELECT group_concat(payload || metadata, '') FROM events",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains("argon2") && !dump.contains(PASSWORD) && !dump.contains(ADMIN_PASSWORD));
    // A different key cannot open them.
    let wrong = ispmon_events::secrets::Secrets::new(
        app.state.core.store.clone(),
        ispmon_events::secrets::SecretKey::generate(),
    );
    let reference = app.state.core.secrets.put("test", b"hello").await.unwrap();
    assert_eq!(
        app.state
            .core
            .secrets
            .get(&reference)
            .await
            .unwrap()
            .unwrap(),
        b"hello"
    );
    assert!(wrong.get(&reference).await.is_err());
}

#[tokio::test]
async fn cli_adds_users_from_stdin_and_creates_working_tokens() {
    let app = spawn_app().await;
    let mut child = Command::new(bin())
        .args(["user", "add", "Petr", "--role", "installer"])
        .env("ISPMON_DATA", app.data.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"petr-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user petr (installer)"));
    let petr = app.login("petr", "petr-password").await;
    assert_eq!(petr.get("/").await.status().as_u16(), 200);

    let out = ispmon(&["user", "add", "petr", "--role", "noc"], app.data.path());
    assert!(!out.status.success(), "a taken login is refused");

    let out = ispmon(
        &["token", "create", "petr", "--name", "script"],
        app.data.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let me: serde_json::Value = client()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "petr");
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let mut server = spawn_server(data.path(), &[], &[]);
    let s = Session::anonymous(&server.base);
    assert_eq!(s.get_text("/healthz").await.0, 200);
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    let stopped = eventually(Duration::from_secs(20), || {
        status = server.child.try_wait().unwrap();
        let done = status.is_some();
        async move { done }
    })
    .await;
    assert!(stopped, "the server exits after SIGTERM");
    assert!(status.unwrap().success(), "and exits cleanly: {status:?}");
}

#[tokio::test]
async fn replay_refuses_to_run_under_a_serving_process() {
    let app = spawn_app().await;
    let out = ispmon(&["replay"], app.data.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"));
    let second = ispmon::app::Application::build(settings(app.data.path())).await;
    assert!(
        second.is_err(),
        "a second server on one data dir is refused"
    );
}

#[tokio::test]
async fn a_data_dir_whose_key_file_is_lost_is_refused_not_rekeyed() {
    let app = spawn_app().await;
    let data = app.stop().await;
    std::fs::remove_file(data.path().join("secret.key")).unwrap();
    let err = ispmon::app::Application::build(settings(data.path()))
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("no secret.key"), "{err:#}");
    assert!(
        !data.path().join("secret.key").exists(),
        "no new key written"
    );
}

/// The snapshot a command leaves holds each of its events once: two notes
/// on a subscriber count two (cqrs-es applies a written event to the
/// aggregate it is handed, and the snapshot applies the events again;
/// `write_decided` hands the sink a scratch copy).
#[tokio::test]
async fn a_snapshot_holds_each_event_of_a_command_once() {
    use ispmon_events::subscriber::{BillingFolder, BillingView, SubscriberCommand};
    let app = spawn_app().await;
    let meta = app.meta();
    let c = &app.state.core.commands;
    let view = BillingView {
        folder: BillingFolder {
            id: "1".into(),
            name: "Центр".into(),
        },
        fields: [("login".to_string(), "snap_sub".to_string())]
            .into_iter()
            .collect(),
        status: "Активен".into(),
        blocked: None,
    };
    c.subscriber("77", SubscriberCommand::Sync { view }, &meta)
        .await
        .unwrap();
    for text in ["first", "second"] {
        c.subscriber(
            "77",
            SubscriberCommand::AddNote { text: text.into() },
            &meta,
        )
        .await
        .unwrap();
    }
    let db = rusqlite::Connection::open(app.events_path()).unwrap();
    let payload: String = db
        .query_row(
            "SELECT payload FROM snapshots WHERE aggregate_type = 'Subscriber' AND aggregate_id = '77'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let snap: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(snap["notes"], serde_json::json!(2), "{snap}");
}
