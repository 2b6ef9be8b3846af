//! `ispmon sweep`: one round of the scheduler's ICMP engine over a target
//! list, printed the way fping prints it.
//!
//! stdout: one line per target in input order, `ADDR is alive (RTT ms)` or
//! `ADDR is unreachable`; stderr: a one-line summary. Exit code 0 when every
//! target answered, 1 when any did not, 2 on bad input (each unparsable
//! address named by its argument position or file line), 4 when no ICMP
//! socket could be opened.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use ispmon_scheduler::icmp::{ProbeOptions, Prober, RoundSample, SurgePinger};

/// Exit codes.
const ALL_ALIVE: i32 = 0;
const SOME_UNREACHABLE: i32 = 1;
const BAD_INPUT: i32 = 2;
const NO_SOCKET: i32 = 4;

/// At most this many bad addresses are listed one by one.
const BAD_LISTED: usize = 20;

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    /// Echo requests per target.
    #[arg(long, short = 'c', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub count: u32,
    /// How long to wait for each reply, in milliseconds.
    #[arg(long, short = 't', default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub timeout: u64,
    /// Gap between two echo requests to the same target, in milliseconds.
    #[arg(long, short = 'i', default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub interval: u64,
    /// Targets probed at the same time.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub concurrency: u64,
    /// Read targets from FILE, one per line (blank lines and `#` comments are
    /// skipped); `-` reads standard input.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "targets")]
    pub file: Option<PathBuf>,
    /// IPv4 or IPv6 addresses to probe.
    #[arg(value_name = "IP")]
    pub targets: Vec<String>,
}

/// An input entry that is not an address: where it was, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTarget {
    pub place: String,
    pub text: String,
}

pub async fn run(args: SweepArgs) -> anyhow::Result<i32> {
    let parsed = match &args.file {
        Some(path) => {
            let text = read_list(path)?;
            parse_lines(&text, &path.display().to_string())
        }
        None => parse_args(&args.targets),
    };
    let targets = match parsed {
        Ok(t) if t.is_empty() => {
            eprintln!("ispmon sweep: no targets (give addresses or --file FILE)");
            return Ok(BAD_INPUT);
        }
        Ok(t) => t,
        Err(bad) => {
            report_bad(&bad);
            return Ok(BAD_INPUT);
        }
    };
    let opts = ProbeOptions {
        probes_per_host: args.count,
        gap: Duration::from_millis(args.interval),
        timeout: Duration::from_millis(args.timeout),
        concurrency: args.concurrency as usize,
    };
    let started = Instant::now();
    let samples = match SurgePinger::new().probe(&targets, &opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ispmon sweep: {e}");
            return Ok(NO_SOCKET);
        }
    };
    let elapsed = started.elapsed();
    let alive = print_results(&targets, &samples, args.count)?;
    let unreachable = targets.len() - alive;
    eprintln!(
        "{} targets, {alive} alive, {unreachable} unreachable, {:.3} s elapsed",
        targets.len(),
        elapsed.as_secs_f64()
    );
    Ok(if unreachable == 0 {
        ALL_ALIVE
    } else {
        SOME_UNREACHABLE
    })
}

fn read_list(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading targets from standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Parses command-line targets; a bad one is named by its position (1-based).
pub fn parse_args(args: &[String]) -> Result<Vec<IpAddr>, Vec<BadTarget>> {
    collect(args.iter().enumerate().map(|(i, a)| {
        let place = format!("argument {}", i + 1);
        (place, a.as_str())
    }))
}

/// Parses a target list; blank lines and `#` comments (whole-line or after
/// the address) are skipped; a bad entry is named by its line number.
pub fn parse_lines(text: &str, source: &str) -> Result<Vec<IpAddr>, Vec<BadTarget>> {
    collect(text.lines().enumerate().filter_map(|(i, line)| {
        let entry = line.split('#').next().unwrap_or_default().trim();
        (!entry.is_empty()).then(|| (format!("line {} of {source}", i + 1), entry))
    }))
}

fn collect<'a>(
    entries: impl Iterator<Item = (String, &'a str)>,
) -> Result<Vec<IpAddr>, Vec<BadTarget>> {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (place, text) in entries {
        match text.trim().parse::<IpAddr>() {
            Ok(ip) => good.push(ip),
            Err(_) => bad.push(BadTarget {
                place,
                text: text.to_string(),
            }),
        }
    }
    if bad.is_empty() {
        Ok(good)
    } else {
        Err(bad)
    }
}

fn report_bad(bad: &[BadTarget]) {
    for b in bad.iter().take(BAD_LISTED) {
        eprintln!(
            "ispmon sweep: {}: '{}' is not an IPv4 or IPv6 address",
            b.place, b.text
        );
    }
    if bad.len() > BAD_LISTED {
        eprintln!(
            "ispmon sweep: … and {} more bad entries",
            bad.len() - BAD_LISTED
        );
    }
    eprintln!("ispmon sweep: nothing was probed");
}

/// Prints one line per target; returns how many answered.
fn print_results(targets: &[IpAddr], samples: &[RoundSample], count: u32) -> anyhow::Result<usize> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut alive = 0;
    for (ip, s) in targets.iter().zip(samples) {
        if s.received > 0 {
            alive += 1;
        }
        writeln!(out, "{}", result_line(*ip, s, count))?;
    }
    out.flush()?;
    Ok(alive)
}

/// `127.0.0.1 is alive (0.04 ms)`, with min/avg/max and loss when more than
/// one probe was sent, or `127.0.0.1 is unreachable`.
pub fn result_line(ip: IpAddr, s: &RoundSample, count: u32) -> String {
    let (Some(min), Some(avg), Some(max)) = (s.min_ms, s.avg_ms, s.max_ms) else {
        return format!("{ip} is unreachable");
    };
    if count == 1 {
        return format!("{ip} is alive ({avg:.2} ms)");
    }
    format!(
        "{ip} is alive ({min:.2}/{avg:.2}/{max:.2} ms min/avg/max, {}/{} received, {:.0}% loss)",
        s.received, s.sent, s.loss_pct
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_skips_blanks_and_comments_and_names_bad_lines() {
        let text = "# routers\n127.0.0.1\n\n  ::1  # loopback\nnot-an-ip\n127.0.0.300\n";
        let bad = parse_lines(text, "hosts.txt").unwrap_err();
        assert_eq!(
            bad,
            vec![
                BadTarget {
                    place: "line 5 of hosts.txt".into(),
                    text: "not-an-ip".into()
                },
                BadTarget {
                    place: "line 6 of hosts.txt".into(),
                    text: "127.0.0.300".into()
                },
            ]
        );
        let good = parse_lines("# x\n127.0.0.1\n\n::1 # y\n", "f").unwrap();
        assert_eq!(
            good,
            vec![
                "127.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
    }

    #[test]
    fn a_bad_argument_is_named_by_its_position() {
        let args = vec!["127.0.0.1".to_string(), "not-an-ip".to_string()];
        let bad = parse_args(&args).unwrap_err();
        assert_eq!(
            bad,
            vec![BadTarget {
                place: "argument 2".into(),
                text: "not-an-ip".into()
            }]
        );
    }

    #[test]
    fn result_lines_read_like_fping() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let up = ispmon_scheduler::icmp::summarize(&[Some(0.04)]);
        assert_eq!(result_line(ip, &up, 1), "127.0.0.1 is alive (0.04 ms)");
        let down = ispmon_scheduler::icmp::summarize(&[None]);
        assert_eq!(result_line(ip, &down, 1), "127.0.0.1 is unreachable");
        let some = ispmon_scheduler::icmp::summarize(&[Some(1.0), None, Some(3.0)]);
        assert_eq!(
            result_line(ip, &some, 3),
            "127.0.0.1 is alive (1.00/2.00/3.00 ms min/avg/max, 2/3 received, 33% loss)"
        );
    }
}
