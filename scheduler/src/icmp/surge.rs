//! [`SurgePinger`]: the [`Prober`] on surge-ping.
//!
//! One round opens at most one client per address family (a socket and its
//! single receive task, which routes every reply to the probe waiting for it
//! by host, identifier and sequence number). `concurrency` workers take the
//! next target from a shared counter, probe it, and write its sample into its
//! slot, so memory grows with the number of targets only by one
//! [`RoundSample`] each.
//!
//! Identifiers and sequence numbers: target `i` gets identifier
//! `base + i` (base random per round, so two rounds at once or another ping
//! on the machine do not collide) and probe `p` of it sequence
//! `i * probes + p`, both modulo 2^16. On an unprivileged DGRAM socket the
//! kernel sets the identifier itself and only delivers this socket's replies;
//! the sequence number still tells a target listed twice apart.

use std::collections::hash_map::RandomState;
use std::future::{poll_fn, Future};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use surge_ping::{Client, IcmpPacket, PingIdentifier, PingSequence, Pinger, ICMP};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::socket::open_client;
use super::{summarize, ProbeError, ProbeFuture, ProbeOptions, Prober, RoundSample};

/// Echo payload size, as ping and fping send by default.
const PAYLOAD: [u8; 56] = [0; 56];

/// ICMP echo reply type codes.
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REPLY_V6: u8 = 129;

/// The real prober. Stateless between rounds: each [`Prober::probe`] call
/// opens its sockets and closes them when done.
#[derive(Debug, Clone, Copy, Default)]
pub struct SurgePinger;

impl SurgePinger {
    pub fn new() -> Self {
        Self
    }
}

impl Prober for SurgePinger {
    fn probe<'a>(&'a self, targets: &'a [IpAddr], opts: &'a ProbeOptions) -> ProbeFuture<'a> {
        Box::pin(run_round(targets.into(), *opts))
    }
}

#[tracing::instrument(skip_all, fields(targets = targets.len()))]
async fn run_round(
    targets: Arc<[IpAddr]>,
    opts: ProbeOptions,
) -> Result<Vec<RoundSample>, ProbeError> {
    let n = targets.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let open = |wanted: bool, kind| wanted.then(|| open_client(kind)).transpose();
    let v4 = open(targets.iter().any(IpAddr::is_ipv4), ICMP::V4)?;
    let v6 = open(targets.iter().any(IpAddr::is_ipv6), ICMP::V6)?;
    let round = Arc::new(Round {
        targets,
        opts: ProbeOptions {
            probes_per_host: opts.probes_per_host.max(1),
            ..opts
        },
        v4,
        v6,
        ident_base: RandomState::new().hash_one(std::time::SystemTime::now()) as u16,
        next: AtomicUsize::new(0),
        out: Mutex::new(vec![RoundSample::default(); n]),
    });
    let mut workers = JoinSet::new();
    for _ in 0..opts.concurrency.clamp(1, n) {
        let round = Arc::clone(&round);
        workers.spawn(async move { round.work().await });
    }
    while let Some(done) = workers.join_next().await {
        done.map_err(|e| ProbeError::Task(e.to_string()))?;
    }
    let out = std::mem::take(&mut *round.out.lock().expect("results lock"));
    let alive = out.iter().filter(|s| s.received > 0).count();
    tracing::debug!(alive, "round done");
    Ok(out)
}

struct Round {
    targets: Arc<[IpAddr]>,
    opts: ProbeOptions,
    v4: Option<Client>,
    v6: Option<Client>,
    ident_base: u16,
    next: AtomicUsize,
    out: Mutex<Vec<RoundSample>>,
}

impl Round {
    /// One worker: probes the next unclaimed target until none is left.
    async fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&host) = self.targets.get(i) else {
                return;
            };
            let sample = self.probe_host(i, host).await;
            self.out.lock().expect("results lock")[i] = sample;
        }
    }

    async fn probe_host(&self, i: usize, host: IpAddr) -> RoundSample {
        let client = match host {
            IpAddr::V4(_) => self.v4.as_ref(),
            IpAddr::V6(_) => self.v6.as_ref(),
        }
        .expect("a client is opened for every family in the round");
        let ident = PingIdentifier(self.ident_base.wrapping_add(i as u16));
        let probes = self.opts.probes_per_host;
        let first_seq = (i as u32).wrapping_mul(probes) as u16;
        if probes == 1 {
            let mut pinger = client.pinger(host, ident).await;
            pinger.timeout(self.opts.timeout);
            return summarize(&[echo(&mut pinger, PingSequence(first_seq)).await]);
        }
        // Probe p leaves at start + p * gap, whether or not the earlier ones
        // were answered yet; each waits for its own reply.
        let start = Instant::now();
        let mut waits = Vec::with_capacity(probes as usize);
        for p in 0..probes {
            let mut pinger = client.pinger(host, ident).await;
            pinger.timeout(self.opts.timeout);
            let at = start + self.opts.gap * p;
            let seq = PingSequence(first_seq.wrapping_add(p as u16));
            waits.push(Box::pin(async move {
                tokio::time::sleep_until(at).await;
                echo(&mut pinger, seq).await
            }));
        }
        summarize(&join_all(waits).await)
    }
}

/// One echo request and its reply's RTT in milliseconds; `None` when it timed
/// out, could not be sent, or was answered by an ICMP error.
async fn echo(pinger: &mut Pinger, seq: PingSequence) -> Option<f64> {
    match pinger.ping(seq, &PAYLOAD).await {
        Ok((packet, rtt)) if is_echo_reply(&packet) => Some(ms(rtt)),
        Ok((packet, _)) => {
            tracing::trace!(host = %pinger.host, ?packet, "answered with an ICMP error");
            None
        }
        Err(e) => {
            tracing::trace!(host = %pinger.host, error = %e, "no reply");
            None
        }
    }
}

fn is_echo_reply(packet: &IcmpPacket) -> bool {
    match packet {
        IcmpPacket::V4(p) => p.get_icmp_type().0 == ECHO_REPLY_V4,
        IcmpPacket::V6(p) => p.get_icmpv6_type().0 == ECHO_REPLY_V6,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs a host's probes side by side; their results in probe order.
async fn join_all<F: Future<Output = Option<f64>>>(mut futs: Vec<Pin<Box<F>>>) -> Vec<Option<f64>> {
    let mut results: Vec<Option<Option<f64>>> = vec![None; futs.len()];
    poll_fn(|cx| {
        let mut pending = false;
        for (fut, slot) in futs.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(r) => *slot = Some(r),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::flatten).collect()
}
