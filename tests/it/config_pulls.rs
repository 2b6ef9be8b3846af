//! Config pulls from emulated devices: versions only on change, diffs,
//! host keys, faults, transport noise, the last attempt kept; the demo's
//! pulls and test connections; the jobs page running the pull job.

use std::time::Duration;

use ispmon::devices::pull::{target, Outcome};
use ispmon_events::values::Role;
use ispmon_projections::devices as device_views;
use ispmon_scheduler::cli::session::Timeouts;
use ispmon_scheduler::Job;
use ispmon_sim::{DeviceSpec, Fault, Fleet, Kind, SimDevice, Transport};
use serde_json::Value;

use crate::common::*;

/// An app whose device sessions give up quickly (fault modes hang).
async fn quick_app() -> TestApp {
    // Short deadlines so hanging devices fail fast, but long enough for a
    // login (and the garbage a broken device sends after it) to arrive
    // while the rest of the suite loads both cores.
    spawn_app_with(|s| {
        s.cli_timeouts = Timeouts {
            connect: Duration::from_secs(2),
            login: Duration::from_secs(5),
            command: Duration::from_millis(1500),
        }
    })
    .await
}

/// Registers an emulated device; returns its id.
pub async fn register(app: &TestApp, dev: &SimDevice, name: &str, schedule: &str) -> String {
    let mut form = ispmon::demo::device_form(dev, name);
    form.profile.pull_schedule = Some(schedule.into());
    ispmon::devices::register(&app.state.core, &form, &app.meta())
        .await
        .unwrap()
        .unwrap()
}

async fn row(app: &TestApp, id: &str) -> device_views::DeviceRow {
    let id = id.to_string();
    app.state
        .core
        .views
        .read(move |c| device_views::get(c, &id))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_last_attempt_and_its_transcript_survive_a_restart() {
    let app = quick_app().await;
    let fleet = Fleet::start(vec![DeviceSpec::sample(
        Kind::CiscoIos,
        Transport::Telnet,
        5,
    )])
    .await
    .unwrap();
    let id = register(&app, &fleet.devices[0], "sw-kept", "0 3 * * *").await;
    let noc = app.login_as(Role::Noc).await;
    for expect in ["New version stored: v1", "Config unchanged"] {
        let r = noc.post_form(&format!("/devices/{id}/pull"), &[]).await;
        assert!(r.text().await.unwrap().contains(expect));
    }
    // "Pull now" was the scheduler's config-pull job over this one device,
    // and the version it stored is the operator's doing in the log.
    let job = app.state.scheduler.status()["config-pull"].clone();
    assert_eq!(
        job.last_scope,
        Some(ispmon_scheduler::Scope::One(id.clone()))
    );
    assert_eq!(job.runs, 2);
    let events = app.state.core.store.since(0, 10_000).await.unwrap();
    let stored = events
        .iter()
        .find(|e| e.event_type == "ConfigVersionStored")
        .expect("a ConfigVersionStored event");
    assert!(
        stored.metadata.contains("\"actor_login\":\"noc-"),
        "{}",
        stored.metadata
    );
    let (_, before) = noc.get_text(&format!("/devices/{id}")).await;
    assert!(before.contains("Last session transcript"), "{before}");
    let data = app.stop().await;

    let app = spawn_app_with(|s| s.data_dir = data.path().to_path_buf()).await;
    let noc = app.login_as(Role::Noc).await;
    let (status, page) = noc.get_text(&format!("/devices/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Last session transcript"), "{page}");
    assert!(
        page.contains("show running-config"),
        "the transcript: {page}"
    );
    let (_, list) = noc.get_text("/devices").await;
    assert!(
        list.contains("unchanged at"),
        "the list shows the unchanged pull: {list}"
    );
    assert!(
        !page.contains(&fleet.devices[0].spec.password),
        "no password in the transcript"
    );
}

#[tokio::test]
async fn a_pull_stores_a_version_only_when_the_config_changed_and_the_diff_shows_it() {
    let app = quick_app().await;
    let fleet = Fleet::start(vec![
        DeviceSpec::sample(Kind::CiscoIos, Transport::Telnet, 3),
        DeviceSpec::sample(Kind::HuaweiVrp, Transport::Ssh, 4),
    ])
    .await
    .unwrap();
    let noc = app.login_as(Role::Noc).await;
    for (i, dev) in fleet.devices.iter().enumerate() {
        let id = register(&app, dev, &format!("sw-{i}"), "0 3 * * *").await;
        let r = noc.post_form(&format!("/devices/{id}/pull"), &[]).await;
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("New version stored: v1"),
            "{}",
            &page[..page.len().min(3000)]
        );
        let d = row(&app, &id).await;
        assert_eq!(d.versions, 1);
        assert_eq!(d.last_failure, None);
        if dev.spec.transport == Transport::Ssh {
            assert_eq!(
                d.host_key,
                dev.host_key_fingerprint(),
                "host key recorded on first contact"
            );
        }

        let before = app.event_count();
        let r = noc.post_form(&format!("/devices/{id}/pull"), &[]).await;
        assert!(r.text().await.unwrap().contains("Config unchanged"));
        assert_eq!(
            app.event_count(),
            before,
            "an unchanged pull writes no event"
        );

        dev.state.lock().unwrap().config.push_str("vlan 1000\n");
        let r = noc.post_form(&format!("/devices/{id}/pull"), &[]).await;
        assert!(r.text().await.unwrap().contains("New version stored: v2"));
        let versions = app
            .state
            .core
            .views
            .read({
                let id = id.clone();
                move |c| device_views::versions(c, &id)
            })
            .await
            .unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!((versions[0].added, versions[0].removed), (1, 0), "+1 −0");
        assert!(
            versions[0].actor.starts_with("noc"),
            "who pulled it: {}",
            versions[0].actor
        );
        let (status, diff) = noc.get_text(&format!("/devices/{id}/diff?a=1&b=2")).await;
        assert_eq!(status, 200);
        let doc = scraper::Html::parse_document(&diff);
        let added: Vec<String> = doc
            .select(&scraper::Selector::parse("table.diff tr.add td.code").unwrap())
            .map(|e| e.text().collect())
            .collect();
        assert_eq!(
            added,
            vec!["vlan 1000".to_string()],
            "only the new line is marked added"
        );
        let (_, raw) = noc.get_text(&format!("/devices/{id}/configs/2/raw")).await;
        assert!(raw.contains("vlan 1000") && !raw.contains(&dev.spec.password));
        let (_, unified) = noc
            .get_text(&format!("/devices/{id}/diff?a=1&b=2&format=unified"))
            .await;
        assert!(unified.contains("+vlan 1000"), "{unified}");
        let (_, search) = noc.get_text("/configs/search?q=VLAN%201000").await;
        assert!(search.contains(&format!("sw-{i}")));
    }
}

/// Issue #8: a device whose terminal echoes type-ahead at once (a
/// Linux tty: CR and LF each an Enter) printed the echo of a second
/// Enter inside the config, at a line that varied, so an unchanged
/// device got new versions.
#[tokio::test]
async fn fifty_pulls_of_an_unchanged_device_that_echoes_type_ahead_store_one_version() {
    let app = quick_app().await;
    let mut spec = DeviceSpec::sample(Kind::Mikrotik, Transport::Ssh, 2);
    spec.echo_typeahead = true;
    let fleet = Fleet::start(vec![spec]).await.unwrap();
    let dev = &fleet.devices[0];
    let id = register(&app, dev, "nas-tty", "0 3 * * *").await;
    let noc = app.login_as(Role::Noc).await;
    let mut said = Vec::new();
    for _ in 0..50 {
        let r = noc.post_form(&format!("/devices/{id}/pull"), &[]).await;
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().await.unwrap();
        let stored = "New version stored: v";
        let outcome = match page.find(stored) {
            Some(at) => page[at + stored.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>(),
            None if page.contains("Config unchanged") => "unchanged".to_string(),
            None => "no outcome shown".to_string(),
        };
        said.push(outcome);
    }
    assert_eq!(said[0], "1", "the first pull stores v1");
    assert!(said[1..].iter().all(|o| o == "unchanged"), "{said:?}");
    let d = row(&app, &id).await;
    assert_eq!((d.versions, d.last_failure), (1, None));
    let (_, api) = noc.get_text(&format!("/api/v1/devices/{id}/configs")).await;
    let versions: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(
        versions["versions"].as_array().map(Vec::len),
        Some(1),
        "{api}"
    );
    // The stored config is the device's, without a blank line added.
    let (_, raw) = noc.get_text(&format!("/devices/{id}/configs/1/raw")).await;
    let config = dev.state.lock().unwrap().config.clone();
    let dialect = ispmon_scheduler::cli::Dialect::Mikrotik;
    assert_eq!(raw, dialect.normalise_config(&config));
    assert!(!raw.contains("\n\n"), "{raw}");
}

#[tokio::test]
async fn a_changed_ssh_host_key_is_refused_until_an_admin_accepts_it() {
    let app = quick_app().await;
    let fleet = Fleet::start(vec![DeviceSpec::sample(Kind::CiscoIos, Transport::Ssh, 1)])
        .await
        .unwrap();
    let dev = &fleet.devices[0];
    let id = register(&app, dev, "edge-1", "0 3 * * *").await;
    let d = row(&app, &id).await;
    let meta = app.meta();
    assert_eq!(
        app.state.puller.pull(&target(&d).unwrap(), &meta).await,
        Outcome::NewVersion(1)
    );
    let new_key = dev.rotate_host_key().unwrap();
    let d = row(&app, &id).await;
    match app.state.puller.pull(&target(&d).unwrap(), &meta).await {
        Outcome::Failed(reason) => assert!(reason.contains("host key changed"), "{reason}"),
        other => panic!("a changed key must fail the pull: {other:?}"),
    }
    let d = row(&app, &id).await;
    assert_eq!(d.pending_host_key.as_deref(), Some(new_key.as_str()));
    let admin = app.login_as(Role::Admin).await;
    let (_, page) = admin.get_text(&format!("/devices/{id}")).await;
    assert!(page.contains("different SSH host key") && page.contains(&new_key));
    let r = admin
        .post_form(
            &format!("/devices/{id}/hostkey"),
            &[("fingerprint", "SHA256:forged")],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        422,
        "only the presented key can be accepted"
    );
    let r = admin
        .post_form(
            &format!("/devices/{id}/hostkey"),
            &[("fingerprint", &new_key)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let d = row(&app, &id).await;
    assert_eq!(d.host_key.as_deref(), Some(new_key.as_str()));
    assert_eq!(d.pending_host_key, None);
    assert_eq!(
        app.state.puller.pull(&target(&d).unwrap(), &meta).await,
        Outcome::Unchanged
    );
}

#[tokio::test]
async fn every_fault_fails_its_pull_with_the_reason_and_the_scheduled_job_goes_on() {
    let app = quick_app().await;
    // The test drives its own job; the app's scheduled one (every minute)
    // would otherwise pull the same due devices when the run on a loaded
    // machine crosses its tick, and the counts below would be off.
    app.state
        .scheduler
        .reschedule(
            ispmon_scheduler::config_pull::job::JOB_NAME,
            ispmon_scheduler::jobs::Schedule::Cron("0 0 0 1 1 *".into()),
        )
        .await
        .unwrap();
    let faults = [
        (Fault::WrongPassword, "login or password refused"),
        (Fault::HangAfterLogin, "no answer in time"),
        (Fault::HangMidOutput, "no answer in time"),
        (Fault::DisconnectMidOutput, "closed the connection"),
        (Fault::Garbage, "unreadable output"),
    ];
    let mut specs: Vec<DeviceSpec> = faults
        .iter()
        .enumerate()
        .map(|(i, (fault, _))| {
            let mut s = DeviceSpec::sample(Kind::CiscoIos, Transport::Telnet, i);
            s.state.fault = *fault;
            s
        })
        .collect();
    let mut slow = DeviceSpec::sample(Kind::DlinkDes, Transport::Telnet, 9);
    slow.state.fault = Fault::Slow;
    specs.push(slow);
    specs.push(DeviceSpec::sample(Kind::Mikrotik, Transport::Ssh, 10));
    let fleet = Fleet::start(specs).await.unwrap();
    let mut ids = Vec::new();
    for (i, dev) in fleet.devices.iter().enumerate() {
        ids.push(register(&app, dev, &format!("dev-{i}"), "* * * * *").await);
    }
    let job = ispmon_scheduler::config_pull::job::ConfigPullJob::new(
        std::sync::Arc::clone(&app.state.puller),
        "0 3 * * *".into(),
    );
    let summary = job
        .run_once()
        .await
        .expect("the job reports, it does not fail");
    let mut failures = Vec::new();
    for id in &ids {
        let d = row(&app, id).await;
        failures.push(format!("{} {}: {:?}", d.name, d.dialect, d.last_failure));
    }
    assert!(
        summary.contains("7 due: 2 new, 0 unchanged, 5 failed"),
        "{summary}\n{}",
        failures.join("\n")
    );
    for (i, (_, reason)) in faults.iter().enumerate() {
        let d = row(&app, &ids[i]).await;
        let failure = d.last_failure.unwrap_or_default();
        assert!(failure.contains(reason), "{:?}: {failure}", faults[i].0);
        assert_eq!(d.versions, 0);
    }
    assert_eq!(
        row(&app, &ids[5]).await.versions,
        1,
        "slow output still arrives"
    );
    assert_eq!(row(&app, &ids[6]).await.versions, 1);
    // The devices recover; the next run pulls them.
    for dev in &fleet.devices {
        dev.state.lock().unwrap().fault = Fault::None;
    }
    let job = ispmon_scheduler::config_pull::job::ConfigPullJob::new(
        std::sync::Arc::clone(&app.state.puller),
        "0 3 * * *".into(),
    );
    let summary = job.run_once().await.unwrap();
    let mut failures = Vec::new();
    for id in &ids {
        let d = row(&app, id).await;
        failures.push(format!("{} {}: {:?}", d.name, d.dialect, d.last_failure));
    }
    assert!(
        summary.contains("5 new, 2 unchanged, 0 failed"),
        "{summary}\n{}",
        failures.join("\n")
    );
    assert_eq!(row(&app, &ids[0]).await.last_failure, None);
}

/// `ispmon demo` starts its emulated fleet, registers and pulls it; with
/// debug logging on, no device password appears in the log, the event log,
/// the read models, the pages, the API or a test-connection transcript.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_pulls_its_fleet_and_no_device_password_leaks_anywhere() {
    use ispmon_sim::{DeviceSpec, Kind, Transport};
    let data = tempfile::tempdir().unwrap();
    let log_path = data.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = spawn_command(
        "demo",
        &data.path().join("d"),
        &[],
        &[("RUST_LOG", "debug")],
        std::process::Stdio::from(log),
    );
    // The demo's fleet is `Fleet::mixed(14)`: the same sample devices.
    let mut secrets = Vec::new();
    for i in 0..14 {
        let t = if i % 2 == 0 {
            Transport::Ssh
        } else {
            Transport::Telnet
        };
        let spec = DeviceSpec::sample(Kind::ALL[i % Kind::ALL.len()], t, i);
        secrets.push(spec.password.clone());
        secrets.extend(spec.enable_password.clone());
    }
    // And the Search Port network's.
    for d in ispmon::demo::demo_population().device_specs() {
        secrets.push(d.spec.password.clone());
        secrets.extend(d.spec.enable_password.clone());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = server
            .stdout
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the demo did not finish its pulls: {seen:?}"));
        let done = line.contains("second config pull");
        seen.push(line);
        if done {
            break;
        }
    }
    let first = seen
        .iter()
        .find(|l| l.contains("first config pull"))
        .unwrap();
    // 14 devices of every dialect and the population's network (switches,
    // NAS, OLTs).
    let all = 14 + ispmon::demo::demo_population().device_specs().len();
    assert!(
        first.contains(&format!("{all} new, 0 unchanged, 0 failed")),
        "{seen:?}"
    );
    for (what, ok) in [
        ("MAC tables", "0 failed"),
        ("NAS sessions", "0 failed"),
        ("GPON poll", "GPON poll: "),
    ] {
        let line = seen.iter().find(|l| l.contains(what));
        assert!(line.is_some_and(|l| l.contains(ok)), "{what}: {seen:?}");
    }
    let second = seen
        .iter()
        .find(|l| l.contains("second config pull"))
        .unwrap();
    assert!(
        second.contains(&format!("2 new, {} unchanged, 0 failed", all - 2)),
        "{seen:?}"
    );

    let mut admin = Session::anonymous(&server.base);
    let r = admin.log_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status().as_u16(), 303);
    let mut texts = Vec::new();
    let (_, list) = admin.get_text("/devices").await;
    let (_, api) = admin.get_text("/api/v1/devices").await;
    let devices: Value = serde_json::from_str(&api).unwrap();
    let devices = devices["devices"].as_array().unwrap().clone();
    assert_eq!(devices.len(), all);
    for d in &devices {
        let id = d["id"].as_str().unwrap();
        assert!(d["versions"].as_u64().unwrap() >= 1, "{d}");
        texts.push(admin.get_text(&format!("/devices/{id}")).await.1);
        texts.push(
            admin
                .get_text(&format!("/api/v1/devices/{id}/configs/1"))
                .await
                .1,
        );
        let r = admin.post_htmx(&format!("/devices/{id}/test"), &[]).await;
        assert_eq!(r.status().as_u16(), 200);
        let t = r.text().await.unwrap();
        assert!(t.contains("Logged in and read the version"), "{t}");
        texts.push(t);
    }
    texts.push(list);
    texts.push(api);
    texts.push(admin.get_text("/configs/search?q=secret").await.1);
    let events = ispmon(&["export-events"], &data.path().join("d"));
    texts.push(String::from_utf8_lossy(&events.stdout).into_owned());
    drop(server);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("config pulled"), "debug log was written");
    texts.push(log);
    for views in ["views.db", "events.db"] {
        texts.push(
            String::from_utf8_lossy(&std::fs::read(data.path().join("d").join(views)).unwrap())
                .into_owned(),
        );
    }
    for secret in &secrets {
        for (i, t) in texts.iter().enumerate() {
            assert!(
                !t.contains(secret.as_str()),
                "{secret} leaked into text #{i}"
            );
        }
    }
}

#[tokio::test]
async fn the_jobs_page_lists_the_scheduled_jobs_and_runs_one_now() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let (status, page) = admin.get_text("/admin/jobs").await;
    assert_eq!(status, 200);
    for job in ["config-pull", "folder-deletion", "icmp-sweep"] {
        assert!(
            page.contains(&format!(r#"data-job="{job}""#)),
            "{job} listed"
        );
    }
    let r = admin.post_form("/admin/jobs/config-pull/run", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let ran = eventually(std::time::Duration::from_secs(10), || async {
        app.state
            .scheduler
            .status()
            .get("config-pull")
            .is_some_and(|s| s.runs >= 1 && !s.running)
    })
    .await;
    assert!(ran, "run now ran the job");
    let (_, page) = admin.get_text("/admin/jobs").await;
    assert!(page.contains("no device due"), "its outcome is shown");
    let r = admin.post_form("/admin/jobs/no-such-job/run", &[]).await;
    assert_eq!(r.status().as_u16(), 404);
    let noc = app.login_as(Role::Noc).await;
    assert_eq!(noc.get("/admin/jobs").await.status().as_u16(), 403);
}
