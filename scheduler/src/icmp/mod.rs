//! ICMP probing: the gateway the sweep job and `ispmon sweep` reach hosts by.
//!
//! - [`Prober`]: probe a list of addresses, one [`RoundSample`] per target,
//!   in input order. A trait object (`Arc<dyn Prober>`) so tests can swap in
//!   a fake.
//! - [`SurgePinger`]: the real one, on surge-ping: one ICMP client per
//!   address family for the whole sweep (unprivileged DGRAM socket first,
//!   RAW when DGRAM is not permitted), bounded concurrency, an identifier per
//!   target and a sequence number per probe, a timeout per probe.
//! - [`summarize`]: loss, min/avg/max and jitter of one host's round.

mod socket;
mod stats;
mod surge;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

pub use ispmon_events::host::RoundSample;
pub use stats::summarize;
pub use surge::SurgePinger;

/// How one round probes each host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Echo requests sent to each host (at least 1).
    pub probes_per_host: u32,
    /// Time between two echo requests to the same host.
    pub gap: Duration,
    /// How long to wait for each reply.
    pub timeout: Duration,
    /// Hosts probed at the same time.
    pub concurrency: usize,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            probes_per_host: 1,
            gap: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            concurrency: 256,
        }
    }
}

/// Why a whole round could not run (a host that does not answer is not an
/// error: its sample says 100 % loss).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "cannot open an ICMP socket for {family}: an unprivileged DGRAM socket was refused \
         ({dgram}) and a RAW socket too ({raw}). Run ispmon as root, give the binary \
         CAP_NET_RAW (`setcap cap_net_raw+ep /path/to/ispmon`), or let its group open \
         ICMP DGRAM sockets (`sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`)"
    )]
    NoSocket {
        family: &'static str,
        dgram: std::io::Error,
        raw: std::io::Error,
    },
    #[error("an ICMP socket for {family} opened but could not be set up: {source}")]
    Setup {
        family: &'static str,
        source: std::io::Error,
    },
    #[error("a probing task failed: {0}")]
    Task(String),
}

pub type ProbeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<RoundSample>, ProbeError>> + Send + 'a>>;

/// Sends echo requests and measures the answers.
pub trait Prober: Send + Sync {
    /// Probes every target with `opts`; returns one sample per target, in the
    /// order of `targets` (a target listed twice is probed twice).
    fn probe<'a>(&'a self, targets: &'a [IpAddr], opts: &'a ProbeOptions) -> ProbeFuture<'a>;
}
