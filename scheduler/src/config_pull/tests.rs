//! The pull engine against a fake world and a scripted CLI: what it stores,
//! what it records, and what it never lets through (secrets, a second pull
//! of the same device).

use std::collections::HashMap;
use std::sync::Mutex;

use ispmon_events::Source;

use super::*;
use crate::cli::connector::ExecFuture;
use crate::cli::session::{CliError, Exec, Stage, Transcript};

#[derive(Default)]
struct FakeWorld {
    stored: Mutex<Vec<(String, Option<String>, String)>>,
    commands: Mutex<Vec<(String, DeviceCommand)>>,
    secrets: HashMap<String, String>,
}

impl PullWorld for FakeWorld {
    fn devices(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(async { Ok(vec![device()]) })
    }
    fn secret(&self, reference: String) -> WorldFuture<'_, Option<String>> {
        Box::pin(async move { Ok(self.secrets.get(&reference).cloned()) })
    }
    fn store_config(
        &self,
        device_id: String,
        previous_hash: Option<String>,
        text: String,
        _meta: Metadata,
    ) -> WorldFuture<'_, Option<u32>> {
        Box::pin(async move {
            let mut s = self.stored.lock().unwrap();
            s.push((device_id, previous_hash, text));
            Ok(Some(s.len() as u32))
        })
    }
    fn command(
        &self,
        device_id: String,
        command: DeviceCommand,
        _meta: Metadata,
    ) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            self.commands.lock().unwrap().push((device_id, command));
            Ok(())
        })
    }
}

/// Answers every session with the next scripted result.
struct Scripted {
    answers: Mutex<Vec<Result<String, CliError>>>,
    host_key: Option<String>,
    seen_commands: Mutex<Vec<String>>,
}

impl CliConnector for Scripted {
    fn exec<'a>(
        &'a self,
        _target: &'a Target,
        creds: &'a Credentials,
        _host_key: &'a HostKeyCheck,
        _timeouts: &'a Timeouts,
        commands: &'a [&'a str],
    ) -> ExecFuture<'a> {
        Box::pin(async move {
            self.seen_commands
                .lock()
                .unwrap()
                .extend(commands.iter().map(|c| c.to_string()));
            let answer = self.answers.lock().unwrap().remove(0);
            let mut transcript = Transcript::default();
            // A device that echoes the password back, as broken gear does.
            transcript.received(&format!("login ok {}\n", creds.password), &[]);
            Exec {
                outputs: answer.map(|a| vec![a]),
                transcript,
                host_key: self.host_key.clone(),
            }
        })
    }
}

fn device() -> PullTarget {
    PullTarget {
        device_id: "d1".into(),
        name: "sw-1".into(),
        address: "127.0.0.1".into(),
        port: 2222,
        transport: TransportKind::Ssh,
        dialect: Dialect::CiscoIos,
        legacy_ssh: false,
        login: "admin".into(),
        password_ref: Some("pw-1".into()),
        enable_ref: None,
        key_ref: None,
        host_key: None,
        mask_secrets: false,
        last_hash: None,
        tags: vec![],
        pull_schedule: None,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    world: Arc<FakeWorld>,
    cli: Arc<Scripted>,
    puller: Arc<Puller>,
    telemetry: Telemetry,
}

fn fixture(answers: Vec<Result<String, CliError>>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
    let world = Arc::new(FakeWorld {
        secrets: HashMap::from([("pw-1".to_string(), "Pa55word".to_string())]),
        ..Default::default()
    });
    let cli = Arc::new(Scripted {
        answers: Mutex::new(answers),
        host_key: Some("SHA256:abc".into()),
        seen_commands: Mutex::new(Vec::new()),
    });
    let puller = Arc::new(Puller::new(
        world.clone(),
        cli.clone(),
        4,
        Timeouts::default(),
        telemetry.clone(),
    ));
    Fixture {
        _dir: dir,
        world,
        cli,
        puller,
        telemetry,
    }
}

fn meta() -> Metadata {
    Metadata::system(Source::Scheduler, "test")
}

const CONFIG: &str = "hostname sw-1\ninterface Gi0/1\n description uplink\n";

#[tokio::test]
async fn a_changed_config_is_stored_once_and_the_same_text_again_stores_nothing() {
    let f = fixture(vec![Ok(CONFIG.into()), Ok(CONFIG.into())]);
    let mut d = device();
    assert_eq!(f.puller.pull(&d, &meta()).await, Outcome::NewVersion(1));
    let stored = f.world.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].2.contains("description uplink"));
    assert_eq!(
        *f.cli.seen_commands.lock().unwrap(),
        vec![Dialect::CiscoIos.config_command().to_string()]
    );
    // The host key seen on first contact is recorded.
    let commands = f.world.commands.lock().unwrap().clone();
    assert!(
        matches!(commands.as_slice(), [(id, DeviceCommand::RecordHostKey { fingerprint })]
            if id == "d1" && fingerprint == "SHA256:abc"),
        "{commands:?}"
    );
    // The read model now has the hash; the same text is unchanged.
    d.last_hash = Some(ispmon_events::blobs::sha256_hex(stored[0].2.as_bytes()));
    d.host_key = Some("SHA256:abc".into());
    assert_eq!(f.puller.pull(&d, &meta()).await, Outcome::Unchanged);
    assert_eq!(f.world.stored.lock().unwrap().len(), 1);
    assert_eq!(f.world.commands.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failure_is_recorded_with_its_reason_and_no_secret_reaches_the_attempt() {
    let f = fixture(vec![Err(CliError::Timeout {
        stage: Stage::Command("show running-config".into()),
    })]);
    let outcome = f.puller.pull(&device(), &meta()).await;
    let reason = "no answer in time while running `show running-config`".to_string();
    assert_eq!(outcome, Outcome::Failed(reason.clone()));
    let commands = f.world.commands.lock().unwrap().clone();
    assert!(
        matches!(commands.as_slice(), [(id, DeviceCommand::FailPull { reason: r, seen_host_key: None })]
            if id == "d1" && *r == reason),
        "{commands:?}"
    );
    // The attempt is in telemetry.db, where another process reads it.
    let other = Puller::new(
        f.world.clone(),
        f.cli.clone(),
        1,
        Timeouts::default(),
        f.telemetry.clone(),
    );
    let a = other.last_attempt("d1").await.expect("kept");
    assert_eq!(a.outcome, Outcome::Failed(reason));
    assert!(
        a.transcript.contains("login ok ********"),
        "{}",
        a.transcript
    );
    assert!(!a.transcript.contains("Pa55word"));
    assert!(!f.puller.is_running("d1").await, "the lease was given back");
}

#[tokio::test]
async fn a_device_whose_lease_another_process_holds_is_busy_and_not_touched() {
    let f = fixture(vec![Ok(CONFIG.into())]);
    let other = Leases::with_owner(f.telemetry.clone(), "other-node".into());
    assert!(other
        .claim(lease_name("d1"), Duration::from_secs(600))
        .await
        .unwrap());
    assert!(f.puller.is_running("d1").await);
    assert_eq!(f.puller.running().await, ["d1".to_string()].into());
    assert_eq!(f.puller.pull(&device(), &meta()).await, Outcome::Busy);
    assert!(f.cli.seen_commands.lock().unwrap().is_empty());
    assert!(f.world.stored.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_password_fails_the_pull_without_connecting() {
    let f = fixture(vec![]);
    let mut d = device();
    d.password_ref = Some("gone".into());
    assert_eq!(
        f.puller.pull(&d, &meta()).await,
        Outcome::Failed("the stored password is missing".into())
    );
    assert!(f.cli.seen_commands.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_config_is_a_failure_not_a_new_version() {
    let f = fixture(vec![Ok("\r\n  \n".into())]);
    assert_eq!(
        f.puller.pull(&device(), &meta()).await,
        Outcome::Failed("the device returned an empty config".into())
    );
    assert!(f.world.stored.lock().unwrap().is_empty());
}

#[test]
fn scrub_removes_every_copy_of_a_secret() {
    assert_eq!(
        scrub("pw s3cret and s3cret", &["s3cret", "x"]),
        "pw ******** and ********"
    );
}

#[test]
fn outcomes_are_kept_as_text_and_read_back() {
    for o in [
        Outcome::NewVersion(12),
        Outcome::Unchanged,
        Outcome::Failed("login refused: wrong password".into()),
        Outcome::Busy,
    ] {
        assert_eq!(Outcome::decode(&o.encode()), Some(o));
    }
    assert_eq!(Outcome::decode("new x"), None);
    assert_eq!(Outcome::decode("something"), None);
}
