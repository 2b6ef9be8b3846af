//! Encrypted secrets (password hashes, device and billing passwords, token
//! hashes). Events carry only a [`SecretRef`]; the value lives in the
//! `secrets` table, sealed with XChaCha20-Poly1305 under a key that never
//! enters the database.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::store::{EventStore, StoreError};

/// Reference to a secret; what events carry. Displays as "•••".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct SecretRef(pub String);

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({})", self.0)
    }
}

/// The 256-bit key secrets are sealed with.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(•••)")
    }
}

impl SecretKey {
    /// Parses 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "the secret key must be 64 hex digits".to_string())?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 64 hex digits (32 bytes)".to_string())?;
        Ok(Self(arr))
    }

    /// A sub-key for another purpose (e.g. CSRF tokens), derived one-way.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"ispmon-derive\0");
        h.update(purpose.as_bytes());
        h.update([0u8]);
        h.update(self.0);
        h.finalize().into()
    }

    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut k);
        Self(k)
    }

    /// The key from `configured` (config or `ISPMON_SECRET_KEY`) if given,
    /// else from `DATA/secret.key`, generated there (mode 0600) if absent.
    pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> std::io::Result<Self> {
        if let Some(text) = configured.filter(|t| !t.trim().is_empty()) {
            return Self::parse(text).map_err(std::io::Error::other);
        }
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(&path)?;
                f.write_all(hex::encode(key.0).as_bytes())?;
                f.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }
}

pub(crate) struct SecretRow {
    pub id: String,
    pub purpose: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Stores and opens secrets.
#[derive(Clone)]
pub struct Secrets {
    store: EventStore,
    key: Arc<SecretKey>,
}

impl Secrets {
    pub fn new(store: EventStore, key: SecretKey) -> Self {
        Self {
            store,
            key: Arc::new(key),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.key.0).into())
    }

    /// Seals `plaintext` and stores it; returns the reference events carry.
    pub async fn put(&self, purpose: &str, plaintext: &[u8]) -> Result<SecretRef, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = format!("{id}|{purpose}");
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        self.store
            .put_secret(SecretRow {
                id: id.clone(),
                purpose: purpose.to_string(),
                nonce: nonce.to_vec(),
                ciphertext,
            })
            .await?;
        Ok(SecretRef(id))
    }

    /// Opens a secret; `None` when no such reference exists.
    pub async fn get(&self, r: &SecretRef) -> Result<Option<Vec<u8>>, StoreError> {
        let id = r.0.clone();
        let row: Option<(String, Vec<u8>, Vec<u8>)> = self
            .store
            .read(move |c| {
                c.prepare_cached("SELECT purpose, nonce, ciphertext FROM secrets WHERE id = ?1")?
                    .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
            })
            .await?;
        let Some((purpose, nonce, ciphertext)) = row else {
            return Ok(None);
        };
        if nonce.len() != 24 {
            return Err(StoreError::Crypto("bad nonce length".into()));
        }
        let aad = format!("{}|{purpose}", r.0);
        self.cipher()
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map(Some)
            .map_err(|_| StoreError::Crypto("cannot open secret: wrong key or tampered row".into()))
    }
}
