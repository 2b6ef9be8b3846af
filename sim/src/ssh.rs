//! SSH server (russh) carrying a [`Shell`](crate::Shell): password
//! authentication through [`password_ok`], pty-req, shell. Each device has
//! its own host key (ed25519), which can be replaced while the device runs:
//! the server configuration is built per accepted connection from the
//! current key. `legacy_ssh` devices offer only ssh-rsa with SHA-1 key
//! exchanges and CBC ciphers, as old gear does; they share one RSA key per
//! process, generated on first use (RSA key generation is slow).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use russh::keys::{Algorithm, HashAlg, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{cipher, kex, mac, Channel, ChannelId, ChannelMsg, Preferred};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::fleet::ShellFactory;
use crate::shell::{password_ok, DeviceSpec, SharedState, Step};
use crate::telnet::{accept_until_cancelled, write_paced};

/// A device's current host key, replaceable at runtime.
pub type HostKey = Arc<Mutex<PrivateKey>>;

/// A fresh ed25519 key.
pub fn ed25519_key() -> PrivateKey {
    PrivateKey::random(&mut rand_0_10::rng(), Algorithm::Ed25519).expect("ed25519 key generation")
}

/// A fresh 2048-bit RSA key (slow: seconds in debug builds).
pub fn rsa_key() -> PrivateKey {
    PrivateKey::random(&mut rand_0_10::rng(), Algorithm::Rsa { hash: None })
        .expect("rsa key generation")
}

/// The RSA key legacy devices share, generated once per process.
pub fn shared_rsa_key() -> PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(rsa_key).clone()
}

/// The first host key for a device.
pub fn initial_key(spec: &DeviceSpec) -> PrivateKey {
    if spec.legacy_ssh {
        shared_rsa_key()
    } else {
        ed25519_key()
    }
}

/// The OpenSSH-style fingerprint (`SHA256:base64`) of a key's public half.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn config(key: PrivateKey, legacy: bool) -> russh::server::Config {
    let mut preferred = Preferred::default();
    if legacy {
        preferred.kex = vec![kex::DH_G14_SHA1, kex::DH_G1_SHA1].into();
        preferred.key = vec![Algorithm::Rsa { hash: None }].into();
        preferred.cipher = vec![
            cipher::AES_128_CBC,
            cipher::AES_256_CBC,
            cipher::TRIPLE_DES_CBC,
        ]
        .into();
        preferred.mac = vec![mac::HMAC_SHA1].into();
    }
    russh::server::Config {
        keys: vec![key],
        preferred,
        auth_rejection_time: Duration::from_millis(10),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(600)),
        nodelay: true,
        ..Default::default()
    }
}

/// Serves SSH connections on `listener` until `cancel` fires.
pub async fn serve(
    listener: TcpListener,
    spec: DeviceSpec,
    state: SharedState,
    key: HostKey,
    shells: ShellFactory,
    cancel: CancellationToken,
) {
    let spec = Arc::new(spec);
    accept_until_cancelled(&listener, &cancel, |stream| {
        let current = key.lock().expect("host key lock").clone();
        let config = Arc::new(config(current, spec.legacy_ssh));
        let handler = DeviceHandler {
            spec: Arc::clone(&spec),
            state: Arc::clone(&state),
            shells: Arc::clone(&shells),
            cancel: cancel.clone(),
            channel: None,
        };
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let running = match russh::server::run_stream(config, stream, handler).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e, "ssh handshake failed");
                    return;
                }
            };
            let handle = running.handle();
            tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = handle
                        .disconnect(russh::Disconnect::ByApplication, "shutting down".into(), "en".into())
                        .await;
                }
                r = running => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "ssh session ended");
                    }
                }
            }
        });
    })
    .await;
}

struct DeviceHandler {
    spec: Arc<DeviceSpec>,
    state: SharedState,
    shells: ShellFactory,
    cancel: CancellationToken,
    /// The session channel, until the shell request hands it to the shell.
    channel: Option<Channel<Msg>>,
}

impl russh::server::Handler for DeviceHandler {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if password_ok(&self.spec, &self.state, user, password) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_none() {
            reply.accept().await;
            self.channel = Some(channel);
        }
        // Otherwise dropping `reply` refuses the second channel.
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(ch) = self.channel.take() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        session.channel_success(channel)?;
        let shell = (self.shells)(&self.spec, Arc::clone(&self.state));
        let state = Arc::clone(&self.state);
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = run_shell(ch, shell, state) => {}
            }
        });
        Ok(())
    }
}

async fn run_shell(channel: Channel<Msg>, mut shell: Box<dyn crate::Shell>, state: SharedState) {
    let (mut read, write) = channel.split();
    let mut writer = write.make_writer();
    let mut steps = shell.open(true);
    loop {
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    if write_paced(&mut writer, &bytes, &state).await.is_err() {
                        return;
                    }
                }
                Step::Hang => {
                    // Ignore the client until it gives up.
                    while let Some(msg) = read.wait().await {
                        if matches!(msg, ChannelMsg::Eof | ChannelMsg::Close) {
                            break;
                        }
                    }
                    return;
                }
                Step::Delay(d) => tokio::time::sleep(d).await,
                Step::Close => {
                    let _ = write.eof().await;
                    let _ = write.close().await;
                    return;
                }
            }
        }
        steps = match read.wait().await {
            Some(ChannelMsg::Data { data }) => shell.input(&data),
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => return,
            Some(_) => Vec::new(),
        };
    }
}
