//! Sweep speed: `ispmon sweep` against fping on the same 10,000 loopback
//! addresses (127.1.0.1 …), one probe each, in the same run.
//!
//! Both run as child processes, alternating, `BENCH_ROUNDS` times (default
//! 5): `ispmon sweep --count 1 --timeout 500 --file LIST` (this build's
//! binary, in the bench profile) and `fping -c1 -i0 -t500 -q -f LIST`. Wall
//! time is from spawn to exit; ispmon's peak RSS is the child's `ru_maxrss`
//! as `wait4` reports it. The medians are compared: target ispmon/fping ≤ 1.0
//! and RSS ≤ 50 MB.
//!
//! Needs root or CAP_NET_RAW (both tools open RAW ICMP sockets) and fping
//! (`apt-get install fping`). Traffic stays on 127.0.0.0/8.
//!
//! Run: `cargo bench --bench sweep`. `BENCH_HOSTS=<n>` changes the list size.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TARGET_RATIO: f64 = 1.0;
const TARGET_RSS_MB: f64 = 50.0;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 127.1.0.1 … 127.1.0.254, 127.1.1.1 …: `n` loopback addresses, no .0/.255.
fn host_list(n: usize) -> String {
    let mut s = String::with_capacity(n * 14);
    for i in 0..n {
        let _ = writeln!(
            s,
            "127.{}.{}.{}",
            1 + i / (254 * 256),
            (i / 254) % 256,
            i % 254 + 1
        );
    }
    s
}

/// What one child run took.
struct Run {
    wall: Duration,
    max_rss_kb: i64,
    exit_code: i32,
}

mod sys {
    //! `wait4(2)`, for one child's exit status and resource usage (std's
    //! `Child::wait` does not report the latter). Linux, 64-bit.

    #[repr(C)]
    pub struct Timeval {
        pub sec: i64,
        pub usec: i64,
    }

    #[repr(C)]
    pub struct Rusage {
        pub utime: Timeval,
        pub stime: Timeval,
        pub maxrss: i64,
        pub rest: [i64; 13],
    }

    extern "C" {
        pub fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    }
}

/// Spawns `cmd` with stdout and stderr into files, waits with `wait4`.
fn run(mut cmd: Command, out: &Path, err: &Path) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(out).expect("stdout file"))
        .stderr(std::fs::File::create(err).expect("stderr file"));
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let mut status = 0i32;
    let mut usage = sys::Rusage {
        utime: sys::Timeval { sec: 0, usec: 0 },
        stime: sys::Timeval { sec: 0, usec: 0 },
        maxrss: 0,
        rest: [0; 13],
    };
    // SAFETY: `child` is our unwaited child; the pointers are to live locals.
    let rc = unsafe { sys::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(
        rc,
        child.id() as i32,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    // Reaped by wait4: std's handle must not wait again.
    std::mem::forget(child);
    let exit_code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        -(status & 0x7f)
    };
    Run {
        wall,
        max_rss_kb: usage.maxrss,
        exit_code,
    }
}

fn fping_installed() -> bool {
    Command::new("fping")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn count_lines(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

fn main() {
    let hosts = env_count("BENCH_HOSTS", 10_000);
    let rounds = env_count("BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("hosts.txt");
    std::fs::write(&list, host_list(hosts)).expect("host list");
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));

    let ispmon = |list: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ispmon"));
        c.args(["sweep", "--count", "1", "--timeout", "500", "--file"])
            .arg(list)
            .env("RUST_LOG", "warn");
        c
    };
    let fping = |list: &Path| {
        let mut c = Command::new("fping");
        c.args(["-c1", "-i0", "-t500", "-q", "-f"]).arg(list);
        c
    };

    println!(
        "ispmon sweep bench: {hosts} loopback hosts (127.1.0.1 …), 1 probe each, {rounds} rounds"
    );
    let have_fping = fping_installed();
    if !have_fping {
        println!(
            "fping is not installed: install it (`apt-get install fping`) to compare; \
             measuring ispmon alone"
        );
    }

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut peak_rss_kb = 0;
    for round in 1..=rounds {
        let r = run(ispmon(&list), &out, &err);
        let alive = count_lines(&out, " is alive");
        peak_rss_kb = peak_rss_kb.max(r.max_rss_kb);
        print!(
            "round {round}: ispmon {} ({alive}/{hosts} alive, exit {}, RSS {:.1} MB)",
            secs(r.wall),
            r.exit_code,
            r.max_rss_kb as f64 / 1024.0
        );
        if alive != hosts {
            let why = std::fs::read_to_string(&err).unwrap_or_default();
            print!(" [stderr: {}]", why.trim());
        }
        ours.push(r.wall);
        if have_fping {
            let f = run(fping(&list), &out, &err);
            // fping -q -c prints one summary per host on stderr.
            let alive = count_lines(&err, "xmt/rcv/%loss = 1/1/");
            print!(
                "; fping {} ({alive}/{hosts} alive, exit {})",
                secs(f.wall),
                f.exit_code
            );
            theirs.push(f.wall);
        }
        println!();
    }

    let ours = median(ours);
    let rss_mb = peak_rss_kb as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    println!();
    println!("| tool | median wall time |");
    println!("|---|---:|");
    println!("| ispmon sweep --file | {} |", secs(ours));
    if !have_fping {
        println!();
        println!(
            "{}  ispmon peak RSS: {rss_mb:.1} MB (target <= {TARGET_RSS_MB:.0} MB)",
            verdict(rss_mb <= TARGET_RSS_MB)
        );
        println!("no ratio: fping is missing (apt-get install fping)");
        std::process::exit(1);
    }
    let theirs = median(theirs);
    println!("| fping -c1 -i0 -t500 -q -f | {} |", secs(theirs));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!();
    println!(
        "{}  ratio ispmon/fping: {ratio:.2} (target <= {TARGET_RATIO:.2})",
        verdict(ratio <= TARGET_RATIO)
    );
    println!(
        "{}  ispmon peak RSS: {rss_mb:.1} MB (target <= {TARGET_RSS_MB:.0} MB)",
        verdict(rss_mb <= TARGET_RSS_MB)
    );
}
