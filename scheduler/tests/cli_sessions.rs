//! CLI sessions against emulated devices (ispmon-sim) over SSH and telnet:
//! logins, pulls, paging, faults, host keys, the session limiter.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ispmon_scheduler::cli::session::{
    connect, exec, CliError, Credentials, Exec, HostKeyCheck, SessionLimiter, Stage, Target,
    Timeouts, TranscriptEntry, TransportKind,
};
use ispmon_scheduler::cli::text::decode;
use ispmon_scheduler::cli::{Dialect, MacEntry};
use ispmon_sim::fleet::ShellFactory;
use ispmon_sim::{DeviceSpec, Fault, Fleet, Kind, Shell, SimDevice, Step, Transport};

/// The kinds exercised here: every dialect.
const KINDS: [Kind; 8] = Kind::ALL;
const TRANSPORTS: [Transport; 2] = [Transport::Ssh, Transport::Telnet];

fn spec(kind: Kind, transport: Transport, index: usize) -> DeviceSpec {
    DeviceSpec::sample(kind, transport, index)
}

fn dialect(kind: Kind) -> Dialect {
    Dialect::parse(kind.slug()).expect("every sim kind has a dialect")
}

fn target(d: &SimDevice) -> Target {
    Target {
        host: d.addr.ip().to_string(),
        port: d.addr.port(),
        transport: match d.spec.transport {
            Transport::Ssh => TransportKind::Ssh,
            Transport::Telnet => TransportKind::Telnet,
        },
        dialect: dialect(d.spec.kind),
        legacy_ssh: d.spec.legacy_ssh,
    }
}

fn creds(d: &SimDevice) -> Credentials {
    Credentials {
        login: d.spec.login.clone(),
        password: d.spec.password.clone(),
        enable_password: d.spec.enable_password.clone(),
        private_key: None,
    }
}

/// Short enough for fault tests, long enough for a loaded 2-core machine.
fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        login: Duration::from_secs(3),
        command: Duration::from_secs(2),
    }
}

fn set_fault(d: &SimDevice, fault: Fault) {
    d.state.lock().unwrap().fault = fault;
}

/// The transcript is there and holds no password.
fn assert_clean_transcript(e: &Exec, c: &Credentials) {
    let text = e.transcript.render();
    assert!(!text.is_empty());
    assert!(
        !text.contains(&c.password),
        "password in transcript:\n{text}"
    );
    if let Some(p) = &c.enable_password {
        assert!(
            !text.contains(p.as_str()),
            "enable password in transcript:\n{text}"
        );
    }
}

async fn pull(d: &SimDevice, timeouts: &Timeouts) -> Exec {
    let t = target(d);
    let cmds = [
        t.dialect.version_command(),
        t.dialect.config_command(),
        t.dialect.mac_table_command(),
    ];
    let e = exec(&t, &creds(d), &HostKeyCheck::FirstContact, timeouts, &cmds).await;
    assert_clean_transcript(&e, &creds(d));
    e
}

fn assert_pulled(d: &SimDevice, e: &Exec) {
    let what = format!("{:?} over {:?}", d.spec.kind, d.spec.transport);
    let outputs = e
        .outputs
        .as_ref()
        .unwrap_or_else(|err| panic!("{what}: {err}\n{}", e.transcript.render()));
    let state = d.state.lock().unwrap().clone();
    let (version, config, macs) = (&outputs[0], &outputs[1], &outputs[2]);
    assert!(
        version.contains(&state.firmware),
        "{what}: version output {version:?}"
    );
    for line in state.config.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            config.contains(line.trim_end()),
            "{what}: config lacks {line:?}:\n{config}"
        );
    }
    assert!(
        !config.contains("More"),
        "{what}: pager left in config:\n{config}"
    );
    assert!(
        !config.contains('\u{1b}') && !config.contains('\u{8}'),
        "{what}: escapes left"
    );
    assert!(
        !config.contains(&format!("{}#", state.hostname)),
        "{what}: prompt in output"
    );
    let cmd = target(d).dialect.config_command();
    assert!(!config.contains(cmd), "{what}: echo left in output");
    // Vendors print MACs in their own notation: compare the hex digits.
    let hex = |t: &str| -> String {
        t.to_lowercase()
            .chars()
            .filter(|c| !matches!(c, ':' | '.' | '-'))
            .collect()
    };
    let mac = hex(&state.mac_table[0].mac);
    assert!(hex(macs).contains(&mac), "{what}: mac table {macs:?}");
    match d.spec.transport {
        Transport::Ssh => assert_eq!(e.host_key, d.host_key_fingerprint()),
        Transport::Telnet => assert_eq!(e.host_key, None),
    }
}

/// What the device prints for `command` when a person types it (paging
/// off, privileged), between the echoed line and the next prompt: the
/// device's own shell driven in-process on a copy of its state, with no
/// transport and no session engine in between.
fn device_print(d: &SimDevice, command: &str) -> String {
    let dialect = dialect(d.spec.kind);
    let state = Arc::new(Mutex::new(d.state.lock().unwrap().clone()));
    let mut shell = ispmon_sim::shell::new_shell(&d.spec, state);
    let text = |steps: Vec<Step>| -> String {
        let bytes: Vec<u8> = steps
            .into_iter()
            .flat_map(|s| match s {
                Step::Write(b) => b,
                _ => Vec::new(),
            })
            .collect();
        decode(&bytes).replace('\r', "")
    };
    let type_line = |shell: &mut Box<dyn Shell>, line: &str| {
        text(shell.input(&[line.as_bytes(), dialect.enter()].concat()))
    };
    let last_line = |t: &str| t.rsplit('\n').next().unwrap_or("").trim_end().to_owned();
    let banner = text(shell.open(true));
    if !dialect.is_privileged_prompt(&last_line(&banner)) {
        let enable = dialect
            .enable()
            .expect("unprivileged prompt, so enable exists");
        let asked = type_line(&mut shell, enable.command);
        if last_line(&asked)
            .to_lowercase()
            .ends_with(enable.password_prompt)
        {
            let pw = d
                .spec
                .enable_password
                .clone()
                .unwrap_or(d.spec.password.clone());
            type_line(&mut shell, &pw);
        }
    }
    for off in dialect.paging_off() {
        type_line(&mut shell, off);
    }
    let all = type_line(&mut shell, command);
    assert!(
        dialect.is_prompt(&last_line(&all)),
        "{:?}: no prompt after {command}: {all:?}",
        d.spec.kind
    );
    let start = all.find('\n').map_or(0, |i| i + 1);
    let end = all.rfind('\n').map_or(all.len(), |i| i + 1);
    all[start..end.max(start)].to_owned()
}

/// The pulled config is the device's config print, normalised: nothing of
/// the dialogue (echo, prompt, pager) left in it, nothing of it lost.
fn assert_config_is_the_device_print(d: &SimDevice, pulled: &str) {
    let what = format!("{:?} over {:?}", d.spec.kind, d.spec.transport);
    let dialect = dialect(d.spec.kind);
    let printed = device_print(d, dialect.config_command());
    assert_eq!(
        dialect.normalise_config(pulled),
        dialect.normalise_config(&printed),
        "{what}"
    );
    let state = d.state.lock().unwrap().clone();
    let last = state.config.trim_end().lines().last().unwrap().trim_end();
    assert!(pulled.ends_with(&format!("{last}\n")), "{what}: {pulled:?}");
    assert!(!pulled.contains(dialect.config_command()), "{what}: echo");
    assert!(
        !pulled.lines().any(|l| dialect.is_prompt(l)),
        "{what}: prompt in {pulled:?}"
    );
}

/// Runs `check` on every device of the fleet at once.
async fn each_device<'a, F, Fut>(fleet: &'a Fleet, check: F)
where
    F: Fn(&'a SimDevice) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    futures::future::join_all(fleet.devices.iter().map(check)).await;
}

/// A Cisco IOS device on each transport (telnet first).
fn cisco_on_both_transports() -> Vec<DeviceSpec> {
    vec![
        spec(Kind::CiscoIos, Transport::Telnet, 0),
        spec(Kind::CiscoIos, Transport::Ssh, 1),
    ]
}

/// The sim's own shells, each wrapped in a shim by `wrap`.
fn wrapped_shells(
    wrap: impl Fn(&DeviceSpec, Box<dyn Shell>) -> Box<dyn Shell> + Send + Sync + 'static,
) -> ShellFactory {
    let inner = ispmon_sim::fleet::default_shells();
    Arc::new(move |spec: &DeviceSpec, state| wrap(spec, inner(spec, state)))
}

/// `show version` with the given host key check and short timeouts.
async fn show_version(t: &Target, c: &Credentials, check: &HostKeyCheck) -> Exec {
    exec(t, c, check, &quick(), &["show version"]).await
}

fn all_specs() -> Vec<DeviceSpec> {
    let mut specs = Vec::new();
    for kind in KINDS {
        for transport in TRANSPORTS {
            specs.push(spec(kind, transport, specs.len()));
        }
    }
    specs
}

#[tokio::test]
async fn version_config_and_mac_table_are_pulled_over_both_transports() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    for d in &fleet.devices {
        let e = pull(d, &Timeouts::default()).await;
        assert_pulled(d, &e);
    }
}

#[tokio::test]
async fn a_config_pull_is_exactly_what_the_device_prints_over_both_transports() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    each_device(&fleet, |d| async move {
        let t = target(d);
        let e = exec(
            &t,
            &creds(d),
            &HostKeyCheck::FirstContact,
            &Timeouts::default(),
            &[t.dialect.config_command()],
        )
        .await;
        let outputs = e
            .outputs
            .unwrap_or_else(|err| panic!("{:?}: {err}\n{}", d.spec.kind, e.transcript.render()));
        assert_config_is_the_device_print(d, &outputs[0]);
    })
    .await;
}

/// Swallows the dialect's paging-off commands so the device pages.
struct IgnorePagingOff {
    inner: Box<dyn Shell>,
    off: Vec<&'static str>,
    line: Vec<u8>,
}

impl Shell for IgnorePagingOff {
    fn open(&mut self, authenticated: bool) -> Vec<Step> {
        self.inner.open(authenticated)
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut out = Vec::new();
        for &b in bytes {
            if (b == b'\r' || b == b'\n') && !self.line.is_empty() {
                let line = String::from_utf8_lossy(&self.line).into_owned();
                self.line.clear();
                if self.off.contains(&line.as_str()) {
                    out.extend(self.inner.input(b"\r"));
                    continue;
                }
                out.extend(self.inner.input(line.as_bytes()));
                out.extend(self.inner.input(&[b]));
                continue;
            }
            self.line.push(b);
            let prefix = String::from_utf8_lossy(&self.line).into_owned();
            if !self.off.iter().any(|c| c.starts_with(&prefix)) {
                out.extend(self.inner.input(&self.line));
                self.line.clear();
            }
        }
        out
    }
}

#[tokio::test]
async fn a_device_that_keeps_paging_still_gives_the_whole_config() {
    let shells = wrapped_shells(|spec, inner| {
        Box::new(IgnorePagingOff {
            inner,
            off: dialect(spec.kind).paging_off().to_vec(),
            line: Vec::new(),
        })
    });
    let fleet = Fleet::start_with(all_specs(), shells).await.unwrap();
    for d in &fleet.devices {
        let e = pull(d, &Timeouts::default()).await;
        assert_pulled(d, &e);
        assert_config_is_the_device_print(d, &e.outputs.as_ref().unwrap()[1]);
        let dialect = dialect(d.spec.kind);
        if dialect.paging_off().is_empty() {
            // Nothing to ignore: the dialect's commands never page.
            continue;
        }
        // What was typed while the config printed: the pager answers.
        let sent: Vec<&str> = e
            .transcript
            .entries()
            .iter()
            .filter_map(|t| match t {
                TranscriptEntry::Sent(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let config_at = sent
            .iter()
            .position(|s| *s == dialect.config_command())
            .unwrap();
        let answers = sent[config_at + 1..]
            .iter()
            .take_while(|s| **s != dialect.mac_table_command())
            .count();
        assert!(
            answers >= 1,
            "{:?}: the config pager was never answered:\n{}",
            d.spec.kind,
            e.transcript.render()
        );
    }
}

#[tokio::test]
async fn a_wrong_password_is_auth_failed_without_the_password_in_the_transcript() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    for d in &fleet.devices {
        let mut c = creds(d);
        c.password = "not-the-password".into();
        let t = target(d);
        let e = show_version(&t, &c, &HostKeyCheck::FirstContact).await;
        assert_eq!(
            e.outputs,
            Err(CliError::AuthFailed),
            "{:?}",
            d.spec.transport
        );
        assert_clean_transcript(&e, &c);
        set_fault(d, Fault::WrongPassword);
        let e = exec(&t, &creds(d), &HostKeyCheck::FirstContact, &quick(), &[]).await;
        assert_eq!(e.outputs, Err(CliError::AuthFailed));
        assert_clean_transcript(&e, &creds(d));
    }
}

/// Awaits a session that must end by itself (its own timeout fires first);
/// the guard only turns a hang into a failure instead of a stuck test run.
/// The typed `Timeout` error is what the tests assert, not how long it took.
async fn no_hang<F: std::future::Future>(session: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(120), session)
        .await
        .expect("the session hung instead of ending with its own timeout")
}

#[tokio::test]
async fn a_device_that_hangs_after_login_times_out_in_the_login_stage() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    each_device(&fleet, |d| async move {
        set_fault(d, Fault::HangAfterLogin);
        let timeouts = Timeouts {
            login: Duration::from_secs(1),
            ..quick()
        };
        let e = no_hang(pull(d, &timeouts)).await;
        assert_eq!(
            e.outputs,
            Err(CliError::Timeout {
                stage: Stage::Login
            })
        );
    })
    .await;
}

#[tokio::test]
async fn hanging_or_disconnecting_mid_output_fails_that_command() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    each_device(&fleet, |d| async move {
        let config = Stage::Command(target(d).dialect.config_command().into());
        set_fault(d, Fault::HangMidOutput);
        let e = no_hang(pull(d, &quick())).await;
        assert_eq!(
            e.outputs,
            Err(CliError::Timeout {
                stage: config.clone()
            })
        );
        let state = d.state.lock().unwrap().clone();
        let transcript = e.transcript.render();
        for line in state
            .config
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(5)
        {
            assert!(
                transcript.contains(line),
                "half the config is kept: {line:?}"
            );
        }

        set_fault(d, Fault::DisconnectMidOutput);
        let e = pull(d, &quick()).await;
        assert_eq!(e.outputs, Err(CliError::Closed { stage: config }));
    })
    .await;
}

#[tokio::test]
async fn garbage_is_reported_as_garbage_with_a_clear_reason() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    each_device(&fleet, |d| async move {
        set_fault(d, Fault::Garbage);
        let e = pull(d, &quick()).await;
        let err = e.outputs.unwrap_err();
        assert!(
            matches!(err, CliError::Garbage { .. } | CliError::Timeout { .. }),
            "{err:?}"
        );
        let reason = err.reason();
        assert!(
            reason.contains("unreadable") || reason.contains("no answer"),
            "{reason}"
        );
        assert!(!reason.contains('\n'));
    })
    .await;
}

#[tokio::test]
async fn slow_output_still_arrives_whole() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    each_device(&fleet, |d| async move {
        set_fault(d, Fault::Slow);
        let timeouts = Timeouts {
            login: Duration::from_secs(5),
            command: Duration::from_secs(2),
            ..quick()
        };
        let e = pull(d, &timeouts).await;
        assert_pulled(d, &e);
    })
    .await;
}

#[tokio::test]
async fn the_limiter_allows_one_session_per_device() {
    let fleet = Fleet::start(vec![spec(Kind::CiscoIos, Transport::Telnet, 0)])
        .await
        .unwrap();
    let d = &fleet.devices[0];
    let limiter = SessionLimiter::new(8);
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (t, c) = (target(d), creds(d));
    let runs = (0..3).map(|_| {
        let (limiter, active, most, t, c) = (
            limiter.clone(),
            Arc::clone(&active),
            Arc::clone(&most),
            t.clone(),
            c.clone(),
        );
        async move {
            let _permit = limiter.acquire(&format!("{}:{}", t.host, t.port)).await;
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let mut s = connect(&t, &c, &HostKeyCheck::FirstContact, &quick())
                .await
                .unwrap();
            s.run("show version").await.unwrap();
            active.fetch_sub(1, Ordering::SeqCst);
            s.close().await;
        }
    });
    futures::future::join_all(runs).await;
    assert_eq!(most.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_changed_ssh_host_key_is_refused_before_the_password_is_sent() {
    let fleet = Fleet::start(vec![spec(Kind::CiscoIos, Transport::Ssh, 0)])
        .await
        .unwrap();
    let d = &fleet.devices[0];
    let (t, c) = (target(d), creds(d));
    let first = show_version(&t, &c, &HostKeyCheck::FirstContact).await;
    let old = first.host_key.clone().expect("fingerprint reported");
    assert!(old.starts_with("SHA256:"));
    let again = show_version(&t, &c, &HostKeyCheck::Expect(old.clone())).await;
    let outputs = again.outputs.expect("the remembered key is accepted");
    let firmware = d.state.lock().unwrap().firmware.clone();
    assert!(outputs[0].contains(&firmware), "{outputs:?}");

    let new = d.rotate_host_key().unwrap();
    let e = show_version(&t, &c, &HostKeyCheck::Expect(old.clone())).await;
    assert_eq!(
        e.outputs,
        Err(CliError::HostKeyChanged {
            expected: old,
            seen: new.clone()
        })
    );
    assert_eq!(e.host_key, Some(new));
    assert!(!e.transcript.render().contains("password authentication"));
}

#[tokio::test]
async fn a_legacy_ssh_device_needs_and_works_with_a_legacy_client() {
    let mut s = spec(Kind::CiscoIos, Transport::Ssh, 0);
    s.legacy_ssh = true;
    let fleet = Fleet::start(vec![s]).await.unwrap();
    let d = &fleet.devices[0];
    let e = pull(d, &Timeouts::default()).await;
    assert_pulled(d, &e);

    let mut modern = target(d);
    modern.legacy_ssh = false;
    let e = exec(
        &modern,
        &creds(d),
        &HostKeyCheck::FirstContact,
        &quick(),
        &[],
    )
    .await;
    assert!(
        matches!(e.outputs, Err(CliError::Protocol(_) | CliError::Connect(_))),
        "{:?}",
        e.outputs
    );
}

#[tokio::test]
async fn a_refused_command_is_rejected_with_the_device_message() {
    let fleet = Fleet::start(all_specs()).await.unwrap();
    for d in &fleet.devices {
        let mut s = connect(&target(d), &creds(d), &HostKeyCheck::FirstContact, &quick())
            .await
            .unwrap();
        match s.run("show bogus things").await {
            Err(CliError::Rejected { command, message }) => {
                assert_eq!(command, "show bogus things");
                assert!(!message.trim().is_empty());
            }
            other => panic!("{other:?}"),
        }
        // The session is still usable after an error.
        let v = s.run(target(d).dialect.version_command()).await.unwrap();
        assert!(v.contains(&d.state.lock().unwrap().firmware));
        s.close().await;
    }
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let fleet = Fleet::start(vec![spec(Kind::CiscoIos, Transport::Telnet, 0)])
        .await
        .unwrap();
    let mut t = target(&fleet.devices[0]);
    fleet.shutdown();
    drop(fleet);
    // A port nobody listens on: bind one, note it, close it.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    t.port = l.local_addr().unwrap().port();
    drop(l);
    let e = exec(
        &t,
        &Credentials {
            login: "a".into(),
            password: "b".into(),
            enable_password: None,
            private_key: None,
        },
        &HostKeyCheck::FirstContact,
        &quick(),
        &[],
    )
    .await;
    assert!(
        matches!(e.outputs, Err(CliError::Connect(_))),
        "{:?}",
        e.outputs
    );
}

#[tokio::test]
async fn a_wrong_enable_password_is_rejected_at_enable() {
    let fleet = Fleet::start(cisco_on_both_transports()).await.unwrap();
    for d in &fleet.devices {
        let mut c = creds(d);
        c.enable_password = Some("wrong-enable".into());
        let e = exec(&target(d), &c, &HostKeyCheck::FirstContact, &quick(), &[]).await;
        match &e.outputs {
            Err(CliError::Rejected { command, .. }) => assert_eq!(command, "enable"),
            other => panic!("{other:?}"),
        }
        assert_clean_transcript(&e, &c);
    }
}

/// Re-encodes everything the device prints as cp1251 (old gear).
struct Cp1251(Box<dyn Shell>);

impl Cp1251 {
    fn encode(steps: Vec<Step>) -> Vec<Step> {
        steps
            .into_iter()
            .map(|s| match s {
                Step::Write(b) => {
                    let text = String::from_utf8(b).expect("shim prints UTF-8");
                    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
                    Step::Write(bytes.into_owned())
                }
                other => other,
            })
            .collect()
    }
}

impl Shell for Cp1251 {
    fn open(&mut self, authenticated: bool) -> Vec<Step> {
        Self::encode(self.0.open(authenticated))
    }
    fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        Self::encode(self.0.input(bytes))
    }
}

#[tokio::test]
async fn cp1251_output_is_decoded() {
    let shells = wrapped_shells(|_, inner| Box::new(Cp1251(inner)));
    let mut specs = cisco_on_both_transports();
    // The first port description becomes Cyrillic.
    let cyrillic = " description абонент Иванов";
    for s in &mut specs {
        let config = s.state.config.clone();
        let old = config
            .lines()
            .find(|l| l.starts_with(" description "))
            .expect("the sample config describes its ports");
        s.state.config = config.replacen(old, cyrillic, 1);
    }
    let fleet = Fleet::start_with(specs, shells).await.unwrap();
    for d in &fleet.devices {
        let e = pull(d, &Timeouts::default()).await;
        assert_pulled(d, &e);
        let config = &e.outputs.as_ref().unwrap()[1];
        assert!(
            config.lines().any(|l| l == cyrillic),
            "{cyrillic:?} not in {config}"
        );
    }
}

#[tokio::test]
async fn dropping_the_fleet_ends_open_sessions() {
    let fleet = Fleet::start(cisco_on_both_transports()).await.unwrap();
    let mut sessions = Vec::new();
    for d in &fleet.devices {
        let s = connect(&target(d), &creds(d), &HostKeyCheck::FirstContact, &quick())
            .await
            .unwrap();
        sessions.push(s);
    }
    drop(fleet);
    for mut s in sessions {
        let err = s.run("show version").await.unwrap_err();
        assert_eq!(
            err,
            CliError::Closed {
                stage: Stage::Command("show version".into())
            }
        );
    }
}

#[tokio::test]
async fn a_mixed_fleet_is_pulled_concurrently_through_the_limiter() {
    let fleet = Fleet::mixed(14).await.unwrap();
    let limiter = SessionLimiter::new(6);
    let pulls = fleet.devices.iter().map(|d| {
        let limiter = limiter.clone();
        async move {
            let _permit = limiter.acquire(&d.addr.to_string()).await;
            (d, pull(d, &Timeouts::default()).await)
        }
    });
    for (d, e) in futures::future::join_all(pulls).await {
        assert_pulled(d, &e);
    }
}

/// Every dialect over both transports, behind a terminal that echoes
/// type-ahead the moment it arrives and takes CR and LF each as an Enter
/// (a Linux tty): a byte sent with a command beyond its one Enter would be
/// echoed inside that command's output. Every pull is exactly the device's
/// print, and stores the same text, however many times it is pulled.
#[tokio::test]
async fn a_terminal_that_echoes_type_ahead_puts_nothing_into_the_outputs() {
    let mut specs = all_specs();
    for s in &mut specs {
        s.echo_typeahead = true;
    }
    let fleet = Fleet::start(specs).await.unwrap();
    each_device(&fleet, |d| async move {
        let what = format!("{:?} over {:?}", d.spec.kind, d.spec.transport);
        let mut configs = Vec::new();
        for _ in 0..5 {
            let e = pull(d, &Timeouts::default()).await;
            assert_pulled(d, &e);
            let config = e.outputs.unwrap().swap_remove(1);
            assert_config_is_the_device_print(d, &config);
            configs.push(dialect(d.spec.kind).normalise_config(&config));
        }
        assert!(
            configs.windows(2).all(|w| w[0] == w[1]),
            "{what}: the same config stored differently: {configs:#?}"
        );
    })
    .await;
}

/// Presses Enter once more after each of the given commands, so the device
/// prints an extra prompt after their outputs (as after a stray keystroke).
struct ExtraEnterAfter {
    inner: Box<dyn Shell>,
    commands: Vec<&'static str>,
    line: Vec<u8>,
}

impl Shell for ExtraEnterAfter {
    fn open(&mut self, authenticated: bool) -> Vec<Step> {
        self.inner.open(authenticated)
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut out = Vec::new();
        for &b in bytes {
            out.extend(self.inner.input(&[b]));
            if b == b'\r' || b == b'\n' {
                let typed = String::from_utf8_lossy(&self.line).into_owned();
                if self.commands.contains(&typed.trim()) {
                    out.extend(self.inner.input(b"\r"));
                }
                self.line.clear();
            } else {
                self.line.push(b);
            }
        }
        out
    }
}

#[tokio::test]
async fn extra_prompts_do_not_shift_outputs() {
    let shells = wrapped_shells(|spec, inner| {
        let d = dialect(spec.kind);
        Box::new(ExtraEnterAfter {
            inner,
            commands: vec![
                d.version_command(),
                d.config_command(),
                d.mac_table_command(),
            ],
            line: Vec::new(),
        })
    });
    let fleet = Fleet::start_with(all_specs(), shells).await.unwrap();
    each_device(&fleet, |d| async move {
        let what = format!("{:?} over {:?}", d.spec.kind, d.spec.transport);
        let e = pull(d, &Timeouts::default()).await;
        assert_pulled(d, &e);
        let outputs = e.outputs.unwrap();
        let dialect = dialect(d.spec.kind);
        let state = d.state.lock().unwrap().clone();
        // Each output is its own command's: the version parses to this
        // device's model and firmware, the config is its config print, the
        // MAC table is its table, row for row.
        let version = dialect.parse_version(&outputs[0]);
        assert_eq!(
            version.model.as_deref(),
            Some(state.model.as_str()),
            "{what}"
        );
        assert!(
            version.version.is_some_and(|v| v.contains(&state.firmware)),
            "{what}: {}",
            outputs[0]
        );
        assert_config_is_the_device_print(d, &outputs[1]);
        let macs = dialect.parse_mac_table(&outputs[2]).unwrap();
        let want: Vec<MacEntry> = state
            .mac_table
            .iter()
            .map(|r| MacEntry {
                vlan: r.vlan,
                mac: r.mac.clone(),
                port: r.port.clone(),
                dynamic: r.dynamic,
            })
            .collect();
        assert_eq!(macs, want, "{what}");
    })
    .await;
}
