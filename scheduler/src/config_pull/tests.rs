//! The pull engine against a fake world and a scripted CLI: what it stores,
//! what it records, and what it never lets through (secrets, a second pull
//! of the same device).

use ispmon_events::Source;

use super::*;
use crate::cli::session::{CliError, Stage};
use crate::test_kit::{device, FakePullWorld, Scripted};

struct Fixture {
    _dir: tempfile::TempDir,
    world: Arc<FakePullWorld>,
    cli: Arc<Scripted>,
    puller: Arc<Puller>,
    telemetry: Telemetry,
}

fn fixture(answers: Vec<Result<String, CliError>>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
    let world = Arc::new(FakePullWorld::with_password());
    let cli = Arc::new(Scripted::new(answers));
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
