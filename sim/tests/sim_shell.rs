//! The `sim-shell` binary (the OpenSSH `ForceCommand` of the scheduler's
//! `cli_openssh` tests) speaks its dialect over plain stdin/stdout and
//! refuses bad arguments. Having this test here also makes
//! `cargo test --workspace` build the binary those tests run.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sim-shell");

fn run_shell(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sim-shell");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to sim-shell");
    child.wait_with_output().expect("sim-shell output")
}

#[test]
fn a_cisco_shell_answers_show_version_and_exits() {
    let out = run_shell(
        &["--kind", "cisco-ios"],
        "terminal length 0\nshow version\nexit\n",
    );
    assert!(out.status.success(), "exit status {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sw-lenina-1>show version"), "{text}");
    assert!(
        text.contains(
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE5,"
        ),
        "the sample device's own version: {text}"
    );
    assert!(text.contains("sw-lenina-1 uptime is "), "{text}");
}

#[test]
fn an_unknown_kind_is_refused_with_usage() {
    let out = run_shell(&["--kind", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown kind \"nope\""), "{err}");
    assert!(err.contains("usage: sim-shell --kind"), "{err}");
    assert!(out.stdout.is_empty());
}
