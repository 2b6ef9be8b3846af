//! SSH transport (russh client): host key check by SHA256 fingerprint,
//! password authentication, a wide vt100 pty and an interactive shell.
//! `legacy_ssh` targets also get the old algorithms old gear needs.

use std::io;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use russh::client::{self, Handle, Msg};
use russh::keys::{HashAlg, PublicKeyOrCertificate};
use russh::{cipher, kex, mac, Channel, ChannelMsg, Disconnect, Preferred};
use tokio::time::{timeout, timeout_at, Instant};

use super::session::engine::Wire;
use super::session::{CliError, Credentials, HostKeyCheck, Stage, Target, Timeouts, Transcript};

/// Columns of the pty we ask for: wide enough that no device wraps a line.
const PTY_COLUMNS: u32 = 512;
const PTY_ROWS: u32 = 48;

/// Checks an SSH private key (OpenSSH or PEM text, not encrypted); returns
/// its public key's fingerprint.
pub fn check_private_key(text: &str) -> Result<String, String> {
    let key = russh::keys::decode_secret_key(text.trim(), None).map_err(|e| {
        format!("not a usable SSH private key (OpenSSH or PEM, without a passphrase): {e}")
    })?;
    Ok(fingerprint(key.public_key()))
}

/// The OpenSSH-style fingerprint of a host key: `SHA256:base64`.
pub fn fingerprint(key: &russh::keys::PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The algorithm lists: russh's safe defaults, plus for `legacy` the SHA-1
/// key exchanges, CBC ciphers and hmac-sha1 (ssh-rsa host keys are already
/// in the defaults).
pub fn preferred(legacy: bool) -> Preferred {
    let mut p = Preferred::default();
    if legacy {
        let mut kex = p.kex.to_vec();
        kex.extend([kex::DH_G14_SHA1, kex::DH_GEX_SHA1, kex::DH_G1_SHA1]);
        p.kex = kex.into();
        let mut ciphers = p.cipher.to_vec();
        ciphers.extend([
            cipher::AES_128_CBC,
            cipher::AES_192_CBC,
            cipher::AES_256_CBC,
            cipher::TRIPLE_DES_CBC,
        ]);
        p.cipher = ciphers.into();
        let mut macs = p.mac.to_vec();
        macs.extend([mac::HMAC_SHA1, mac::HMAC_SHA1_ETM]);
        p.mac = macs.into();
    }
    p
}

struct KeyCheck {
    expect: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for KeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let fp = fingerprint(&key.public_key());
        let ok = self.expect.as_ref().is_none_or(|e| *e == fp);
        *self.seen.lock().expect("host key lock") = Some(fp);
        Ok(ok)
    }
}

struct SshWire {
    handle: Handle<KeyCheck>,
    channel: Channel<Msg>,
}

#[async_trait]
impl Wire for SshWire {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.channel.data(bytes).await.map_err(io::Error::other)
    }

    async fn recv(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            match self.channel.wait().await {
                Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                    return Ok(Some(data.to_vec()))
                }
                Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => return Ok(None),
                Some(_) => {}
            }
        }
    }

    async fn close(&mut self) {
        let _ = self.channel.close().await;
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "bye", "en")
            .await;
    }
}

/// Connects, checks the host key, authenticates with the password, opens a
/// pty and a shell. `seen_key` gets the fingerprint as soon as the server
/// showed it, so failures can report it too.
pub(crate) async fn open(
    target: &Target,
    creds: &Credentials,
    host_key: &HostKeyCheck,
    timeouts: &Timeouts,
    transcript: &mut Transcript,
    seen_key: &mut Option<String>,
) -> Result<Box<dyn Wire>, CliError> {
    let config = Arc::new(client::Config {
        preferred: preferred(target.legacy_ssh),
        inactivity_timeout: None,
        nodelay: true,
        ..Default::default()
    });
    let seen = Arc::new(Mutex::new(None));
    let expect = match host_key {
        HostKeyCheck::FirstContact => None,
        HostKeyCheck::Expect(fp) => Some(fp.clone()),
    };
    let handler = KeyCheck {
        expect: expect.clone(),
        seen: Arc::clone(&seen),
    };
    let addr = (target.host.as_str(), target.port);
    transcript.note(format!("ssh {}:{}", target.host, target.port));
    let connected = timeout(timeouts.connect, client::connect(config, addr, handler)).await;
    *seen_key = seen.lock().expect("host key lock").clone();
    if let Some(fp) = seen_key.as_ref() {
        transcript.note(format!("host key {fp}"));
    }
    let mut handle = match connected {
        Err(_) => {
            return Err(CliError::Timeout {
                stage: Stage::Connect,
            })
        }
        Ok(Err(e)) => {
            if let (Some(expected), Some(seen)) = (expect, seen_key.clone()) {
                if expected != seen {
                    return Err(CliError::HostKeyChanged { expected, seen });
                }
            }
            return Err(match e {
                russh::Error::IO(io) => CliError::Connect(io.to_string()),
                other => CliError::Protocol(other.to_string()),
            });
        }
        Ok(Ok(h)) => h,
    };

    let deadline = Instant::now() + timeouts.login;
    let login = target.dialect.login_name(&creds.login);
    if let Some(text) = &creds.private_key {
        let key = russh::keys::decode_secret_key(text.trim(), None)
            .map_err(|e| CliError::Protocol(format!("the stored SSH key cannot be read: {e}")))?;
        transcript.note(format!(
            "public key authentication as {login} ({})",
            fingerprint(key.public_key())
        ));
        let by_key = async {
            let hash = handle.best_supported_rsa_hash().await?.flatten();
            let key = russh::keys::PrivateKeyWithHashAlg::new(Arc::new(key), hash);
            handle.authenticate_publickey(login.clone(), key).await
        };
        match timeout_at(deadline, by_key).await {
            Err(_) => {
                return Err(CliError::Timeout {
                    stage: Stage::Login,
                })
            }
            Ok(Err(e)) => return Err(CliError::Protocol(e.to_string())),
            Ok(Ok(r)) if r.success() => return open_shell(handle, deadline).await,
            Ok(Ok(_)) => transcript.note("public key refused".to_string()),
        }
    }
    transcript.note(format!("password authentication as {login}"));
    let auth = timeout_at(
        deadline,
        handle.authenticate_password(login, &creds.password),
    )
    .await;
    match auth {
        Err(_) => {
            return Err(CliError::Timeout {
                stage: Stage::Login,
            })
        }
        Ok(Err(e)) => return Err(CliError::Protocol(e.to_string())),
        Ok(Ok(r)) if !r.success() => return Err(CliError::AuthFailed),
        Ok(Ok(_)) => {}
    }
    open_shell(handle, deadline).await
}

/// After authentication: a pty and an interactive shell.
async fn open_shell(
    handle: Handle<KeyCheck>,
    deadline: Instant,
) -> Result<Box<dyn Wire>, CliError> {
    let shell = async {
        let channel = handle.channel_open_session().await?;
        channel
            .request_pty(false, "vt100", PTY_COLUMNS, PTY_ROWS, 0, 0, &[])
            .await?;
        channel.request_shell(false).await?;
        Ok::<_, russh::Error>(channel)
    };
    let channel = match timeout_at(deadline, shell).await {
        Err(_) => {
            return Err(CliError::Timeout {
                stage: Stage::Login,
            })
        }
        Ok(Err(e)) => return Err(CliError::Protocol(e.to_string())),
        Ok(Ok(c)) => c,
    };
    Ok(Box::new(SshWire { handle, channel }))
}
