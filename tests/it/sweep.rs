//! The ICMP prober and `ispmon sweep`, against the real kernel.
//!
//! Network rule: echo requests go only to 127.0.0.0/8 and ::1, on this host
//! or inside a network namespace the test creates itself (`unshare --user
//! --map-root-user --net`). A target that does not answer is made inside such
//! a namespace, never by pinging an address elsewhere. Probing needs root or
//! CAP_NET_RAW (or a `ping_group_range` that admits us); the namespace tests
//! need unprivileged user namespaces — when either is missing the test fails
//! and says why.

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ispmon_scheduler::icmp::{ProbeOptions, Prober, SurgePinger};

use crate::common::bin;

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn sweep(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("sweep")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("ispmon runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Lines of `ADDR is alive (RTT ms)` / `ADDR is unreachable`, as (addr, alive).
fn verdicts(stdout: &str) -> Vec<(String, bool)> {
    stdout
        .lines()
        .map(|l| {
            if let Some(ip) = l.strip_suffix(" is unreachable") {
                return (ip.to_string(), false);
            }
            let (ip, rest) = l
                .split_once(" is alive (")
                .unwrap_or_else(|| panic!("not an fping-style line: {l:?}"));
            let rtt = rest
                .strip_suffix(" ms)")
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no RTT in {l:?}"));
            assert!(rtt >= 0.0, "{l}");
            (ip.to_string(), true)
        })
        .collect()
}

fn expect(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter().map(|(ip, a)| (ip.to_string(), *a)).collect()
}

/// Runs `script` under `sh -c` in a fresh user + network namespace (where
/// `lo` starts DOWN). Fails loudly when the namespace cannot be made.
fn in_fresh_netns(script: &str) -> Output {
    const READY: &str = "netns-ready\n";
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "sh", "-c"])
        .arg(format!("echo netns-ready && {script}"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `unshare` ({e}); this test makes its unreachable host inside a \
                 network namespace of its own and needs util-linux's unshare"
            )
        });
    let stdout = text(&out.stdout);
    let Some(rest) = stdout.strip_prefix(READY) else {
        panic!(
            "could not create a user + network namespace (exit {:?}): {}\nthis test needs \
             unprivileged user namespaces (kernel.unprivileged_userns_clone=1, \
             user.max_user_namespaces > 0) or root; it is not skipped",
            out.status.code(),
            text(&out.stderr).trim()
        );
    };
    Output {
        status: out.status,
        stdout: rest.as_bytes().to_vec(),
        stderr: out.stderr,
    }
}

#[tokio::test]
async fn loopback_v4_and_v6_answer_every_probe_with_an_rtt() {
    let targets = ips(&["127.0.0.1", "::1"]);
    let opts = ProbeOptions {
        probes_per_host: 3,
        gap: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        concurrency: 2,
    };
    let samples = SurgePinger::new()
        .probe(&targets, &opts)
        .await
        .expect("ICMP sockets open (root, CAP_NET_RAW or ping_group_range)");
    assert_eq!(samples.len(), 2);
    for (ip, s) in targets.iter().zip(&samples) {
        assert_eq!((s.sent, s.received), (3, 3), "{ip}: {s:?}");
        assert_eq!(s.loss_pct, 0.0, "{ip}");
        let (min, avg, max) = (s.min_ms.unwrap(), s.avg_ms.unwrap(), s.max_ms.unwrap());
        assert!(
            0.0 <= min && min <= avg && avg <= max && max < 2000.0,
            "{ip}: {s:?}"
        );
        assert!(s.jitter_ms.is_some_and(|j| j >= 0.0), "{ip}: {s:?}");
    }
}

#[tokio::test]
async fn many_loopback_hosts_and_a_repeated_one_each_get_their_own_sample() {
    let mut list: Vec<String> = (0..500)
        .map(|i| format!("127.3.{}.{}", i / 250, i % 250 + 1))
        .collect();
    list.extend(["127.0.0.1", "::1", "127.0.0.1"].map(String::from));
    let targets: Vec<IpAddr> = list.iter().map(|s| s.parse().unwrap()).collect();
    let opts = ProbeOptions {
        probes_per_host: 1,
        gap: Duration::from_millis(0),
        timeout: Duration::from_secs(2),
        concurrency: 64,
    };
    let samples = SurgePinger::new().probe(&targets, &opts).await.unwrap();
    assert_eq!(samples.len(), targets.len());
    let silent: Vec<_> = targets
        .iter()
        .zip(&samples)
        .filter(|(_, s)| s.received != 1 || s.avg_ms.is_none())
        .map(|(ip, _)| ip)
        .collect();
    assert!(silent.is_empty(), "no answer from {silent:?}");
}

#[test]
fn sweep_of_loopback_v4_and_v6_prints_two_alive_lines_and_exits_0() {
    let out = sweep(&["127.0.0.1", "::1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(
        verdicts(&text(&out.stdout)),
        expect(&[("127.0.0.1", true), ("::1", true)])
    );
    assert!(
        stderr.contains("2 targets, 2 alive, 0 unreachable"),
        "summary on stderr: {stderr}"
    );
}

#[test]
fn sweep_reads_a_list_from_stdin_skipping_blanks_and_comments() {
    let mut child = Command::new(bin())
        .args(["sweep", "--count", "2", "--interval", "10", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# loopback\n127.0.0.2\n\n::1   # v6\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("127.0.0.2 is alive ("), "{stdout}");
    assert!(lines[0].ends_with("2/2 received, 0% loss)"), "{stdout}");
    assert!(lines[1].starts_with("::1 is alive ("), "{stdout}");
}

#[test]
fn a_bad_argument_is_named_by_position_and_nothing_is_probed() {
    let out = sweep(&["127.0.0.1", "not-an-ip"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("argument 2"), "{stderr}");
    assert!(stderr.contains("'not-an-ip'"), "{stderr}");
    assert_eq!(text(&out.stdout), "", "nothing is probed on bad input");
}

#[test]
fn a_bad_line_in_the_file_is_named_by_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hosts.txt");
    std::fs::write(&file, "# hosts\n127.0.0.1\n127.0.0.256\n::1\n").unwrap();
    let out = sweep(&["--file", file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("line 3 of"), "{stderr}");
    assert!(stderr.contains("'127.0.0.256'"), "{stderr}");
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn no_targets_is_bad_input() {
    let out = sweep(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn a_host_that_does_not_answer_is_unreachable_and_the_sweep_exits_1() {
    // A fresh namespace's `lo` is DOWN: even 127.0.0.1 cannot be reached.
    let out = in_fresh_netns(&format!("exec '{}' sweep --timeout 300 127.0.0.1", bin()));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(text(&out.stdout), "127.0.0.1 is unreachable\n");
    assert!(
        stderr.contains("1 targets, 0 alive, 1 unreachable"),
        "{stderr}"
    );
}

#[test]
fn the_unprivileged_dgram_socket_is_preferred_when_ping_group_range_allows_it() {
    // Outside, root is usually not in ping_group_range and RAW is used; here
    // the namespace admits gid 0, so both families must open DGRAM sockets
    // (and a repeated target still gets its own replies).
    let out = in_fresh_netns(&format!(
        "ip link set lo up && echo '0 0' > /proc/sys/net/ipv4/ping_group_range && \
         RUST_LOG=ispmon_scheduler=debug exec '{}' sweep -c 2 -i 10 127.0.0.1 ::1 127.0.0.1",
        bin()
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr.matches("SOCK_DGRAM").count(), 2, "{stderr}");
    assert!(!stderr.contains("SOCK_RAW"), "{stderr}");
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("2/2 received, 0% loss").count(),
        3,
        "{stdout}"
    );
}

#[test]
fn silent_and_answering_hosts_are_reported_in_input_order() {
    // `lo` up, IPv4 echo ignored: v4 requests go out and time out, ::1 answers.
    let out = in_fresh_netns(&format!(
        "ip link set lo up && echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && \
         exec '{}' sweep --timeout 300 ::1 127.0.0.1 ::1 127.0.0.2",
        bin()
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(
        verdicts(&text(&out.stdout)),
        expect(&[
            ("::1", true),
            ("127.0.0.1", false),
            ("::1", true),
            ("127.0.0.2", false)
        ])
    );
    assert!(
        stderr.contains("4 targets, 2 alive, 2 unreachable"),
        "{stderr}"
    );
}
