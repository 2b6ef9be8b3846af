//! The content-addressed blob store: config texts and firmware files, kept
//! compressed (gzip) in `DATA/blobs/ab/<sha256>.gz`, named by the sha256 of
//! their uncompressed bytes. Events carry the hash. A blob is written before
//! the event that references it (write-then-rename, so a crash leaves either
//! nothing or a whole file) and is never changed afterwards; storing the same
//! bytes twice is a no-op.
//!
//! The calls are blocking file I/O: run them on `spawn_blocking`.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// The sha256 of some bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn valid_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl BlobStore {
    /// Opens (creating) the store under `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.dir.join(&hash[..2]).join(format!("{hash}.gz"))
    }

    /// Stores `bytes`; returns their sha256.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let hash = sha256_hex(bytes);
        let path = self.path(&hash);
        if path.exists() {
            return Ok(hash);
        }
        let parent = path.parent().expect("blob path has a parent");
        fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{hash}.{}.tmp", std::process::id()));
        {
            let file = fs::File::create(&tmp)?;
            let mut enc = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
            enc.write_all(bytes)?;
            let buf = enc.finish()?;
            let file = buf.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        Ok(hash)
    }

    /// The bytes stored under `hash`, checked against it; `None` when absent.
    pub fn get(&self, hash: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(mut reader) = self.reader(hash)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(Some(out))
    }

    /// A reader of the bytes stored under `hash`, for files too large to
    /// hold in memory; `None` when absent. It checks the bytes against the
    /// hash as they pass and fails its last read when they do not match.
    pub fn reader(&self, hash: &str) -> std::io::Result<Option<BlobReader>> {
        if !valid_hash(hash) {
            return Ok(None);
        }
        let file = match fs::File::open(self.path(hash)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(BlobReader {
            inner: GzDecoder::new(std::io::BufReader::new(file)),
            hasher: Sha256::new(),
            hash: hash.to_string(),
        }))
    }

    /// Copies every blob into a store at `dst` (created), same layout,
    /// skipping blobs already there; for backups. Safe while the server
    /// writes: blobs are immutable and appear whole (a half-written one is
    /// still a hidden temporary file, which is skipped). Returns how many
    /// files were copied and their size in bytes.
    pub fn copy_into(&self, dst: &Path) -> std::io::Result<(usize, u64)> {
        let (mut files, mut bytes) = (0, 0);
        fs::create_dir_all(dst)?;
        for shard in fs::read_dir(&self.dir)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            let to_shard = dst.join(shard.file_name());
            for blob in fs::read_dir(shard.path())? {
                let blob = blob?;
                let name = blob.file_name();
                let is_blob = name
                    .to_str()
                    .and_then(|n| n.strip_suffix(".gz"))
                    .is_some_and(valid_hash);
                let to = to_shard.join(&name);
                if !is_blob || to.exists() {
                    continue;
                }
                fs::create_dir_all(&to_shard)?;
                let tmp = to_shard.join(format!(
                    ".{}.{}.tmp",
                    name.to_string_lossy(),
                    std::process::id()
                ));
                bytes += fs::copy(blob.path(), &tmp)?;
                fs::File::open(&tmp)?.sync_all()?;
                fs::rename(&tmp, &to)?;
                files += 1;
            }
        }
        Ok((files, bytes))
    }

    /// Removes a blob (firmware deletion). Missing is fine.
    pub fn remove(&self, hash: &str) -> std::io::Result<()> {
        if !valid_hash(hash) {
            return Ok(());
        }
        match fs::remove_file(self.path(hash)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The bytes of one blob, decompressed and checked against its hash on
/// the way (see [`BlobStore::reader`]).
pub struct BlobReader {
    inner: GzDecoder<std::io::BufReader<fs::File>>,
    hasher: Sha256,
    hash: String,
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
        } else if hex::encode(self.hasher.clone().finalize()) != self.hash {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("blob {} is corrupt", self.hash),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_into_copies_whole_blobs_only_and_skips_what_is_there() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let src = BlobStore::open(a.path()).unwrap();
        let h1 = src.put(b"interface Gi0/1\n").unwrap();
        let h2 = src.put(b"vlan 1000\n").unwrap();
        // A write in progress: a hidden temporary file in a shard.
        std::fs::write(a.path().join(&h1[..2]).join(".partial.1.tmp"), b"x").unwrap();
        let dst = b.path().join("copy");
        let (files, bytes) = src.copy_into(&dst).unwrap();
        assert_eq!(files, 2);
        assert!(bytes > 0);
        let copy = BlobStore::open(&dst).unwrap();
        assert_eq!(copy.get(&h1).unwrap().unwrap(), b"interface Gi0/1\n");
        assert_eq!(copy.get(&h2).unwrap().unwrap(), b"vlan 1000\n");
        assert!(!dst.join(&h1[..2]).join(".partial.1.tmp").exists());
        // A second run copies nothing new.
        assert_eq!(src.copy_into(&dst).unwrap(), (0, 0));
    }

    #[test]
    fn a_reader_streams_in_small_reads_and_fails_at_the_end_when_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let h = store.put(&bytes).unwrap();
        let mut r = store.reader(&h).unwrap().unwrap();
        let (mut out, mut buf) = (Vec::new(), [0u8; 4096]);
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, bytes);
        assert!(store.reader(&"1".repeat(64)).unwrap().is_none());

        let other = BlobStore::open(&dir.path().join("x")).unwrap();
        let h2 = other.put(&bytes[..1000]).unwrap();
        fs::copy(other.path(&h2), store.path(&h)).unwrap();
        let mut r = store.reader(&h).unwrap().unwrap();
        let err = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }

    #[test]
    fn blobs_round_trip_by_hash_and_detect_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let text = "hostname sw1\n".repeat(1000);
        let h = store.put(text.as_bytes()).unwrap();
        assert_eq!(h, sha256_hex(text.as_bytes()));
        assert_eq!(store.put(text.as_bytes()).unwrap(), h, "idempotent");
        assert_eq!(store.get(&h).unwrap().unwrap(), text.as_bytes());
        let on_disk = fs::metadata(store.path(&h)).unwrap().len();
        assert!(on_disk < text.len() as u64 / 10, "compressed: {on_disk}");
        assert_eq!(store.get(&"0".repeat(64)).unwrap(), None);
        assert_eq!(store.get("../../etc/passwd").unwrap(), None);
        // Corrupt the file: a different (valid gzip) content under that name.
        let other = BlobStore::open(&dir.path().join("x")).unwrap();
        let h2 = other.put(b"something else").unwrap();
        fs::copy(other.path(&h2), store.path(&h)).unwrap();
        let err = store.get(&h).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), format!("blob {h} is corrupt"));
        store.remove(&h).unwrap();
        assert_eq!(store.get(&h).unwrap(), None);
    }
}
