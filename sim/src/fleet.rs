//! Start many emulated devices on consecutive loopback ports from one call.
//! Every listener is bound before [`Fleet::start`] returns, so a test can
//! connect at once; dropping the fleet (or [`Fleet::shutdown`]) stops the
//! listeners and every open session.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use rand::Rng;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::shell::{DeviceSpec, Kind, SharedState, Shell, Transport};
use crate::ssh::{self, HostKey};

/// Makes the shell for each connection to a device.
pub type ShellFactory = Arc<dyn Fn(&DeviceSpec, SharedState) -> Box<dyn Shell> + Send + Sync>;

/// The shells of the vendor dialects.
pub fn default_shells() -> ShellFactory {
    Arc::new(crate::shell::new_shell)
}

/// A running emulated device.
pub struct SimDevice {
    pub spec: DeviceSpec,
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    /// Its live state: change the config or the fault here and the next
    /// session sees it.
    pub state: SharedState,
    host_key: Option<HostKey>,
}

impl SimDevice {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The SSH host key fingerprint (`SHA256:base64`); `None` for telnet.
    pub fn host_key_fingerprint(&self) -> Option<String> {
        let key = self.host_key.as_ref()?;
        Some(ssh::fingerprint(&key.lock().expect("host key lock")))
    }

    /// Replaces the SSH host key (new connections see the new one) and
    /// returns its fingerprint; `None` for telnet. Legacy devices get a new
    /// RSA key, which takes a while to generate.
    pub fn rotate_host_key(&self) -> Option<String> {
        let key = self.host_key.as_ref()?;
        let fresh = if self.spec.legacy_ssh {
            ssh::rsa_key()
        } else {
            ssh::ed25519_key()
        };
        let fp = ssh::fingerprint(&fresh);
        *key.lock().expect("host key lock") = fresh;
        Some(fp)
    }
}

/// A set of running emulated devices; dropping it stops them.
pub struct Fleet {
    pub devices: Vec<SimDevice>,
    cancel: CancellationToken,
}

/// How many random port blocks to try before giving up.
const BIND_ATTEMPTS: usize = 64;

impl Fleet {
    /// Starts `specs` with the dialect shells.
    pub async fn start(specs: Vec<DeviceSpec>) -> io::Result<Fleet> {
        Self::start_with(specs, default_shells()).await
    }

    /// Starts `specs` with shells made by `shells` (tests that need a
    /// scripted device).
    pub async fn start_with(specs: Vec<DeviceSpec>, shells: ShellFactory) -> io::Result<Fleet> {
        let listeners = bind_block(specs.len())?;
        if specs
            .iter()
            .any(|s| s.legacy_ssh && s.transport == Transport::Ssh)
        {
            // Generate the shared RSA key off the async threads.
            tokio::task::spawn_blocking(ssh::shared_rsa_key)
                .await
                .map_err(io::Error::other)?;
        }
        let cancel = CancellationToken::new();
        let mut devices = Vec::with_capacity(specs.len());
        for (spec, listener) in specs.into_iter().zip(listeners) {
            let addr = listener.local_addr()?;
            let state: SharedState = Arc::new(Mutex::new(spec.state.clone()));
            let shells = Arc::clone(&shells);
            let token = cancel.child_token();
            let host_key = match spec.transport {
                Transport::Telnet => {
                    let (spec, state) = (spec.clone(), Arc::clone(&state));
                    tokio::spawn(crate::telnet::serve(listener, spec, state, shells, token));
                    None
                }
                Transport::Ssh => {
                    let key: HostKey = Arc::new(Mutex::new(ssh::initial_key(&spec)));
                    let (spec, state) = (spec.clone(), Arc::clone(&state));
                    tokio::spawn(ssh::serve(
                        listener,
                        spec,
                        state,
                        Arc::clone(&key),
                        shells,
                        token,
                    ));
                    Some(key)
                }
            };
            devices.push(SimDevice {
                spec,
                addr,
                state,
                host_key,
            });
        }
        Ok(Fleet { devices, cancel })
    }

    /// `n` sample devices cycling through every kind, alternating SSH and
    /// telnet (so 14 devices cover every kind over both).
    pub async fn mixed(n: usize) -> io::Result<Fleet> {
        let specs = (0..n)
            .map(|i| {
                let kind = Kind::ALL[i % Kind::ALL.len()];
                let transport = if i % 2 == 0 {
                    Transport::Ssh
                } else {
                    Transport::Telnet
                };
                DeviceSpec::sample(kind, transport, i)
            })
            .collect();
        Self::start(specs).await
    }

    /// Stops every listener and session.
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Binds `n` consecutive ports on 127.0.0.1, trying random blocks until one
/// is entirely free.
fn bind_block(n: usize) -> io::Result<Vec<TcpListener>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut rng = rand::thread_rng();
    let mut last_err = None;
    for _ in 0..BIND_ATTEMPTS {
        let base: u16 = rng.gen_range(20_000..(60_000 - n.min(5_000) as u16));
        let mut block = Vec::with_capacity(n);
        for i in 0..n {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, base + i as u16));
            match std::net::TcpListener::bind(addr) {
                Ok(l) => block.push(l),
                Err(e) => {
                    last_err = Some(e);
                    break;
                }
            }
        }
        if block.len() == n {
            return block
                .into_iter()
                .map(|l| {
                    l.set_nonblocking(true)?;
                    TcpListener::from_std(l)
                })
                .collect();
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no free port block")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fleet_listens_on_consecutive_loopback_ports_and_stops_on_drop() {
        let fleet = Fleet::mixed(4).await.unwrap();
        assert_eq!(fleet.devices.len(), 4);
        let ports: Vec<u16> = fleet.devices.iter().map(|d| d.port()).collect();
        for w in ports.windows(2) {
            assert_eq!(w[1], w[0] + 1);
        }
        for d in &fleet.devices {
            assert!(d.addr.ip().is_loopback());
            tokio::net::TcpStream::connect(d.addr).await.unwrap();
        }
        let ssh = &fleet.devices[0];
        let before = ssh.host_key_fingerprint().unwrap();
        assert!(before.starts_with("SHA256:"));
        let after = ssh.rotate_host_key().unwrap();
        assert_ne!(before, after);
        assert_eq!(ssh.host_key_fingerprint().unwrap(), after);
        assert!(fleet.devices[1].host_key_fingerprint().is_none());
        fleet.shutdown();
    }
}
