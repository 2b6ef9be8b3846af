//! ispmon's SSH client against a real OpenSSH server: password and key login, a
//! pty and a shell (an emulated device CLI of `sim-shell`, run as sshd's
//! `ForceCommand`): a config pull from every dialect's CLI, and a host key
//! change refused.
//!
//! Needs root (it creates a local user) and Debian's `openssh-server`; it
//! fails, never skips, when either is missing. sshd listens on 127.0.0.1
//! only, on a free port, with its own config and keys in a temp dir.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ispmon_scheduler::cli::session::{
    exec, CliError, Credentials, HostKeyCheck, Target, Timeouts, TransportKind,
};
use ispmon_scheduler::cli::Dialect;
use ispmon_sim::{Kind, Transport};

const SSHD: &str = "/usr/sbin/sshd";
const USER: &str = "ispmon-sshtest";
const PASSWORD: &str = "Ispmon-sshtest-1";

/// `target/<profile>/sim-shell`, next to this test's `deps/` directory.
fn sim_shell_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join("sim-shell");
    assert!(
        bin.is_file(),
        "{} not found: run `cargo build -p ispmon-sim --bin sim-shell` first \
         (`cargo test --workspace` builds it)",
        bin.display()
    );
    bin
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Creates the test user when missing and (re)sets its password, once per
/// test process (the tests run in parallel).
fn ensure_user() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(create_user);
}

fn create_user() {
    assert!(
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() } == 0,
        "cli_openssh must run as root: it creates the local user {USER} for sshd"
    );
    let exists = Command::new("id")
        .arg("-u")
        .arg(USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !exists {
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", USER]));
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("chpasswd");
    use std::io::Write;
    chpasswd
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
}

/// A new ed25519 host key in `dir`; returns its private key path and the
/// fingerprint as `ssh-keygen -l` prints it.
fn host_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ispmon-test", "-f"])
        .arg(&key));
    let listing = run(Command::new("ssh-keygen").arg("-l").arg("-f").arg(&key));
    let fp = listing
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen -l prints bits, fingerprint, comment")
        .to_owned();
    (key, fp)
}

/// A running sshd, killed on drop.
struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sshd(
    dir: &Path,
    port: u16,
    key: &Path,
    shell: &Path,
    kind: Kind,
) -> Result<Sshd, PortTaken> {
    std::fs::create_dir_all("/run/sshd").expect("privilege separation dir");
    let config = dir.join(format!(
        "sshd_config_{}_{}",
        key.file_name().unwrap().to_string_lossy(),
        kind.slug()
    ));
    std::fs::write(
        &config,
        format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {key}\n\
             PidFile none\n\
             UsePAM no\n\
             PasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             PermitRootLogin no\n\
             AllowUsers {USER}\n\
             StrictModes no\n\
             PermitTTY yes\n\
             X11Forwarding no\n\
             AllowTcpForwarding no\n\
             ForceCommand {shell} --kind {kind} --index 0\n",
            key = key.display(),
            dir = dir.display(),
            shell = shell.display(),
            kind = kind.slug(),
        ),
    )
    .unwrap();
    let mut child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sshd");
    // Ready when it says it listens (it logs to stderr with -e).
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("sshd: {line}");
            let _ = tx.send(line);
        }
    });
    let sshd = Sshd(child);
    let mut bind_failed = false;
    loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.contains("Server listening on 127.0.0.1") => return Ok(sshd),
            Ok(line) => bind_failed |= line.contains("Address already in use"),
            // sshd exited: its log has ended.
            Err(mpsc::RecvTimeoutError::Disconnected) if bind_failed => return Err(PortTaken),
            Err(_) => panic!("sshd did not start listening (see its log above)"),
        }
    }
}

/// sshd could not bind its port: someone took it between [`free_port`]
/// and sshd's bind.
#[derive(Debug)]
struct PortTaken;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// sshd on a free port: another port when the one picked was taken in the
/// meantime (other tests bind ports too).
fn start_sshd_anywhere(dir: &Path, key: &Path, shell: &Path, kind: Kind) -> (Sshd, u16) {
    for _ in 0..5 {
        let port = free_port();
        if let Ok(sshd) = start_sshd(dir, port, key, shell, kind) {
            return (sshd, port);
        }
    }
    panic!("sshd found no free port in five tries");
}

/// The user, a temp dir sshd and its ForceCommand can read, and the
/// `sim-shell` binary copied into it.
fn prepare() -> (tempfile::TempDir, PathBuf) {
    assert!(
        Path::new(SSHD).is_file(),
        "{SSHD} is missing: install Debian's openssh-server \
         (apt-get install -y openssh-server; scripts/test.sh does it)"
    );
    ensure_user();

    // sshd runs the ForceCommand as the test user: the binary and every
    // directory above it must be readable and traversable by them.
    let dir = tempfile::Builder::new()
        .prefix("ispmon-sshd-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let shell = dir.path().join("sim-shell");
    std::fs::copy(sim_shell_binary(), &shell).unwrap();
    std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, shell)
}

fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(10),
        login: Duration::from_secs(10),
        command: Duration::from_secs(10),
    }
}

/// Every dialect's CLI behind a real sshd and pty (the emulated shell put
/// the pty in raw mode, as device firmware does): the config arrives whole,
/// without echo, prompt or pager. MikroTik is left out: its console options
/// travel in the SSH user name (`admin+ct`), which only RouterOS's own SSH
/// server understands.
#[tokio::test]
async fn every_dialect_pulls_its_config_through_real_openssh() {
    let (dir, shell) = prepare();
    let (key, fp) = host_key(dir.path(), "host_key");
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Mikrotik) {
        let (_sshd, port) = start_sshd_anywhere(dir.path(), &key, &shell, kind);
        let device = ispmon_sim::DeviceSpec::sample(kind, Transport::Ssh, 0);
        let dialect = Dialect::parse(kind.slug()).unwrap();
        let target = Target {
            host: "127.0.0.1".into(),
            port,
            transport: TransportKind::Ssh,
            dialect,
            legacy_ssh: false,
        };
        let creds = Credentials {
            login: USER.into(),
            password: PASSWORD.into(),
            enable_password: device.enable_password.clone(),
            private_key: None,
        };
        let cmd = dialect.config_command();
        let e = exec(
            &target,
            &creds,
            &HostKeyCheck::Expect(fp.clone()),
            &timeouts(),
            &[cmd],
        )
        .await;
        let rendered = e.transcript.render();
        let outputs = e
            .outputs
            .unwrap_or_else(|err| panic!("{kind:?}: {err}\n{rendered}"));
        let config = &outputs[0];
        let mut rest = config.as_str();
        for line in device.state.config.lines().filter(|l| !l.trim().is_empty()) {
            let at = rest
                .find(line)
                .unwrap_or_else(|| panic!("{kind:?}: {line:?} missing or out of order:\n{config}"));
            rest = &rest[at + line.len()..];
        }
        assert!(!config.contains(cmd), "{kind:?}: echo left:\n{config}");
        assert!(
            !config.lines().any(|l| dialect.is_prompt(l)),
            "{kind:?}: prompt left:\n{config}"
        );
        assert!(!rendered.contains(PASSWORD));
    }
}

#[tokio::test]
async fn config_pull_over_real_openssh_and_a_changed_host_key_is_refused() {
    let (dir, shell) = prepare();
    let (key1, fp1) = host_key(dir.path(), "host_key_1");
    let (sshd, port) = start_sshd_anywhere(dir.path(), &key1, &shell, Kind::CiscoIos);

    let device = ispmon_sim::DeviceSpec::sample(Kind::CiscoIos, Transport::Ssh, 0);
    let target = Target {
        host: "127.0.0.1".into(),
        port,
        transport: TransportKind::Ssh,
        dialect: Dialect::CiscoIos,
        legacy_ssh: false,
    };
    let creds = Credentials {
        login: USER.into(),
        password: PASSWORD.into(),
        enable_password: device.enable_password.clone(),
        private_key: None,
    };
    let timeouts = timeouts();
    let cmd = target.dialect.config_command();
    let e = exec(
        &target,
        &creds,
        &HostKeyCheck::FirstContact,
        &timeouts,
        &[cmd],
    )
    .await;
    let rendered = e.transcript.render();
    let outputs = e.outputs.unwrap_or_else(|err| panic!("{err}\n{rendered}"));
    assert!(
        outputs[0].contains(&format!("hostname {}", device.state.hostname)),
        "config:\n{}",
        outputs[0]
    );
    assert_eq!(e.host_key.as_deref(), Some(fp1.as_str()));
    assert!(!rendered.contains(PASSWORD));

    // Same address, new host key: refused before the password goes out.
    drop(sshd);
    let (key2, fp2) = host_key(dir.path(), "host_key_2");
    let _sshd = start_sshd(dir.path(), port, &key2, &shell, Kind::CiscoIos)
        .expect("the port sshd just left is free again");
    let e = exec(
        &target,
        &creds,
        &HostKeyCheck::Expect(fp1.clone()),
        &timeouts,
        &[cmd],
    )
    .await;
    assert_eq!(
        e.outputs,
        Err(CliError::HostKeyChanged {
            expected: fp1,
            seen: fp2
        })
    );
}

/// Key authentication: with the user's private key (ed25519, then RSA with
/// an SHA-2 signature) the login succeeds even with a wrong password; a key
/// sshd does not know falls back to the password, which then is refused.
#[tokio::test]
async fn a_private_key_logs_in_through_real_openssh() {
    let (dir, shell) = prepare();
    let (host, _) = host_key(dir.path(), "host_key_k");
    let mut authorized = String::new();
    let mut keys = Vec::new();
    for (name, args) in [
        ("user_ed25519", vec!["-t", "ed25519"]),
        ("user_rsa", vec!["-t", "rsa", "-b", "2048"]),
    ] {
        let path = dir.path().join(name);
        run(Command::new("ssh-keygen")
            .args(["-q", "-N", "", "-C", "ispmon-user"])
            .args(&args)
            .arg("-f")
            .arg(&path));
        authorized.push_str(&std::fs::read_to_string(path.with_extension("pub")).unwrap());
        let listing = run(Command::new("ssh-keygen").arg("-l").arg("-f").arg(&path));
        let fp = listing
            .split_whitespace()
            .nth(1)
            .expect("ssh-keygen -l prints bits, fingerprint, comment")
            .to_owned();
        keys.push((std::fs::read_to_string(&path).unwrap(), fp));
    }
    let authorized_path = dir.path().join("authorized_keys");
    std::fs::write(&authorized_path, authorized).unwrap();
    std::fs::set_permissions(&authorized_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_sshd, port) = start_sshd_anywhere(dir.path(), &host, &shell, Kind::CiscoIos);
    let device = ispmon_sim::DeviceSpec::sample(Kind::CiscoIos, Transport::Ssh, 0);
    let target = Target {
        host: "127.0.0.1".into(),
        port,
        transport: TransportKind::Ssh,
        dialect: Dialect::CiscoIos,
        legacy_ssh: false,
    };
    assert_eq!(keys.len(), 2, "an ed25519 and an RSA key");
    for (key, fp) in &keys {
        assert_eq!(
            ispmon_scheduler::cli::ssh::check_private_key(key).as_ref(),
            Ok(fp),
            "the key check reports the fingerprint ssh-keygen shows"
        );
        let creds = Credentials {
            login: USER.into(),
            password: "not-the-password".into(),
            enable_password: device.enable_password.clone(),
            private_key: Some(key.clone()),
        };
        let e = exec(
            &target,
            &creds,
            &HostKeyCheck::FirstContact,
            &timeouts(),
            &["show version"],
        )
        .await;
        let rendered = e.transcript.render();
        let outputs = e.outputs.unwrap_or_else(|err| panic!("{err}\n{rendered}"));
        assert!(
            outputs[0].contains(&format!("Version {},", device.state.firmware))
                && outputs[0].contains(&format!("{} uptime is", device.state.hostname)),
            "show version answers with this device's version:\n{}",
            outputs[0]
        );
        assert!(
            rendered.contains(&format!("public key authentication as {USER} ({fp})")),
            "the transcript names the key by its fingerprint:\n{rendered}"
        );
        assert!(
            !rendered.contains("password authentication"),
            "the key alone logs in; the (wrong) password is never tried:\n{rendered}"
        );
        assert!(
            !rendered.contains("PRIVATE KEY"),
            "the key is never in the transcript"
        );
    }
    // A key sshd does not know: the password is tried, and it is wrong.
    let stranger = dir.path().join("stranger");
    run(Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-t", "ed25519", "-f"])
        .arg(&stranger));
    let creds = Credentials {
        login: USER.into(),
        password: "not-the-password".into(),
        enable_password: None,
        private_key: Some(std::fs::read_to_string(&stranger).unwrap()),
    };
    let e = exec(
        &target,
        &creds,
        &HostKeyCheck::FirstContact,
        &timeouts(),
        &["show version"],
    )
    .await;
    assert_eq!(e.outputs, Err(CliError::AuthFailed));
    let rendered = e.transcript.render();
    let refused = rendered.find("public key refused");
    let password = rendered.find(&format!("password authentication as {USER}"));
    assert!(
        matches!((refused, password), (Some(r), Some(p)) if r < p),
        "the unknown key is refused, then the password is tried:\n{rendered}"
    );
    assert!(ispmon_scheduler::cli::ssh::check_private_key("not a key")
        .unwrap_err()
        .contains("not a usable SSH private key"));
}
