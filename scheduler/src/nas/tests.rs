//! Polls against a scripted CLI and a fake world that applies Login
//! commands as the aggregate would: sessions kept, bindings only on change,
//! a failed poll changes nothing, "who had IP X at T".

use std::collections::HashMap;
use std::sync::Mutex;

use ispmon_events::login::{Binding, LoginCommand};
use ispmon_events::{Metadata, Source};

use super::*;
use crate::cli::session::{CliError, Stage, Timeouts};
use crate::cli::Dialect;
use crate::test_kit::{device, FakePullWorld, Scripted};

#[derive(Default)]
struct World {
    bindings: Mutex<HashMap<String, Binding>>,
    commands: Mutex<usize>,
}

impl NasWorld for World {
    fn nas_devices(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(async { Ok(vec![nas()]) })
    }
    fn bindings(&self, logins: Vec<String>) -> WorldFuture<'_, HashMap<String, Binding>> {
        Box::pin(async move {
            let b = self.bindings.lock().unwrap();
            Ok(logins
                .into_iter()
                .filter_map(|l| b.get(&l).map(|x| (l, x.clone())))
                .collect())
        })
    }
    fn login_command(
        &self,
        login: String,
        command: LoginCommand,
        _meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            let LoginCommand::Bind { binding } = command;
            self.bindings.lock().unwrap().insert(login, binding);
            *self.commands.lock().unwrap() += 1;
            Ok(true)
        })
    }
    fn settings(&self) -> WorldFuture<'_, ispmon_events::fdb_settings::FdbSettingsValues> {
        Box::pin(async { Ok(Default::default()) })
    }
}

fn nas() -> PullTarget {
    PullTarget {
        dialect: Dialect::Mikrotik,
        name: "nas-1".into(),
        ..device()
    }
}

const LONG: &str = "ooo-romashka-office-krasnaya-ploshchad-1@corp";

/// A RouterOS detail print of `(login, mac, ip, uptime)` records, the long
/// ones wrapped as RouterOS wraps them.
fn print(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from("Flags: R - RADIUS \r\n");
    for (i, (login, mac, ip, uptime)) in rows.iter().enumerate() {
        out.push_str(&format!(
            " {i:>2} R name=\"{login}\" service=pppoe caller-id=\"{mac}\" encoding=\"\" \r\n      \
             address={ip} uptime={uptime} session-id=0x81C0000{i} limit-bytes-in=0 \r\n      \
             limit-bytes-out=0 radius=yes \r\n\r\n"
        ));
    }
    out
}

struct Rig {
    _dir: tempfile::TempDir,
    world: Arc<World>,
    cli: Arc<Scripted>,
    poller: Arc<Poller>,
    telemetry: Telemetry,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
    let world = Arc::new(World::default());
    let cli = Arc::new(Scripted::new(Vec::new()));
    let puller = Arc::new(Puller::new(
        Arc::new(FakePullWorld::with_password()),
        cli.clone(),
        4,
        Timeouts::default(),
        telemetry.clone(),
    ));
    let poller = Arc::new(Poller::new(world.clone(), puller, telemetry.clone()));
    Rig {
        _dir: dir,
        world,
        cli,
        poller,
        telemetry,
    }
}

impl Rig {
    async fn poll(&self, answer: Result<String, CliError>) -> Outcome {
        self.cli.push(answer);
        self.poller
            .poll(&nas(), &Metadata::system(Source::Scheduler, "test"))
            .await
    }
    fn commands(&self) -> usize {
        *self.world.commands.lock().unwrap()
    }
}

#[tokio::test]
async fn sessions_are_kept_and_a_binding_is_written_only_when_it_changes() {
    let r = rig();
    let two = print(&[
        ("ivanov", "AA:BB:CC:DD:EE:01", "100.64.0.2", "3h2m1s"),
        (LONG, "AA:BB:CC:DD:EE:02", "100.64.0.3", "1w2d3h4m5s"),
    ]);
    assert_eq!(
        r.poll(Ok(two.clone())).await,
        Outcome::Polled {
            sessions: 2,
            rebound: 2
        }
    );
    assert_eq!(
        r.world.bindings.lock().unwrap()[LONG].mac.as_deref(),
        Some("aa:bb:cc:dd:ee:02"),
        "a 45-character login, its record wrapped"
    );
    for _ in 0..3 {
        assert_eq!(
            r.poll(Ok(two.clone())).await,
            Outcome::Polled {
                sessions: 2,
                rebound: 0
            }
        );
    }
    assert_eq!(r.commands(), 2, "steady polls write nothing");
    let new_ip = print(&[
        ("ivanov", "AA:BB:CC:DD:EE:01", "100.64.0.9", "1m"),
        (LONG, "AA:BB:CC:DD:EE:02", "100.64.0.3", "1w2d3h5m5s"),
    ]);
    assert_eq!(
        r.poll(Ok(new_ip)).await,
        Outcome::Polled {
            sessions: 2,
            rebound: 1
        }
    );
    let now = chrono::Utc::now().timestamp();
    let had = r
        .telemetry
        .sessions_with_ip_at_blocking("100.64.0.9", now)
        .unwrap();
    assert_eq!(had.len(), 1);
    assert_eq!(had[0].login, "ivanov");
    assert_eq!(had[0].mac.as_deref(), Some("aa:bb:cc:dd:ee:01"));
}

#[tokio::test]
async fn a_failed_or_unreadable_poll_changes_nothing_and_a_gone_session_ends() {
    let r = rig();
    let one = print(&[("ivanov", "AA:BB:CC:DD:EE:01", "100.64.0.2", "10s")]);
    r.poll(Ok(one)).await;
    let failed = r
        .poll(Err(CliError::Timeout {
            stage: Stage::Command("/ppp active print detail without-paging".into()),
        }))
        .await;
    assert!(matches!(failed, Outcome::Failed(_)), "{failed:?}");
    let garbage = r.poll(Ok("bad command name ppp\r\n".into())).await;
    assert!(matches!(garbage, Outcome::Failed(_)), "{garbage:?}");
    let open = r.telemetry.sessions_of_login_blocking("ivanov", 5).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].ended_at, None, "still online after failed polls");
    // A successful poll without it ends the session at its last sighting.
    assert_eq!(
        r.poll(Ok("Flags: R - RADIUS \r\n".into())).await,
        Outcome::Polled {
            sessions: 0,
            rebound: 0
        }
    );
    let ended = r.telemetry.sessions_of_login_blocking("ivanov", 5).unwrap();
    assert_eq!(ended[0].ended_at, Some(ended[0].last_seen));
    let later = ended[0].last_seen + 3600;
    assert!(r
        .telemetry
        .sessions_with_ip_at_blocking("100.64.0.2", later)
        .unwrap()
        .is_empty());
    assert_eq!(
        r.telemetry
            .sessions_with_ip_at_blocking("100.64.0.2", ended[0].last_seen)
            .unwrap()
            .len(),
        1,
        "who had the IP then"
    );
}
