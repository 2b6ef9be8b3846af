//! The hash chain: each row's hash is sha256 over the previous hash and the
//! row's content, so an edit anywhere breaks every hash after it.

use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev: &str,
    seq: u64,
    aggregate_type: &str,
    aggregate_id: &str,
    aggregate_seq: u64,
    event_type: &str,
    event_version: &str,
    payload: &str,
    metadata: &str,
    recorded_at: &str,
) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(prev.as_bytes());
    field(&seq.to_le_bytes());
    field(aggregate_type.as_bytes());
    field(aggregate_id.as_bytes());
    field(&aggregate_seq.to_le_bytes());
    field(event_type.as_bytes());
    field(event_version.as_bytes());
    field(payload.as_bytes());
    field(metadata.as_bytes());
    field(recorded_at.as_bytes());
    hex::encode(h.finalize())
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hash chain broken at global sequence {seq}: {reason}")]
pub struct ChainError {
    pub seq: u64,
    pub reason: String,
}

/// Walks the whole log; returns the number of events checked.
pub fn verify_chain(conn: &Connection) -> Result<u64, ChainError> {
    let sqlerr = |e: rusqlite::Error| ChainError {
        seq: 0,
        reason: format!("cannot read the log: {e}"),
    };
    let mut stmt = conn
        .prepare(
            "SELECT seq, aggregate_type, aggregate_id, aggregate_seq, event_type, event_version,
                    payload, metadata, recorded_at, prev_hash, hash FROM events ORDER BY seq",
        )
        .map_err(sqlerr)?;
    let mut rows = stmt.query([]).map_err(sqlerr)?;
    let mut prev = GENESIS.to_string();
    let mut expected_seq = None::<u64>;
    let mut n = 0;
    while let Some(r) = rows.next().map_err(sqlerr)? {
        let seq: u64 = r.get(0).map_err(sqlerr)?;
        if let Some(e) = expected_seq {
            if seq != e {
                return Err(ChainError {
                    seq: e,
                    reason: format!("event missing (next present is {seq})"),
                });
            }
        }
        let text = |i| r.get::<_, String>(i).map_err(sqlerr);
        let stored_prev = text(9)?;
        if stored_prev != prev {
            return Err(ChainError {
                seq,
                reason: "prev_hash does not match the previous event".into(),
            });
        }
        let computed = chain_hash(
            &prev,
            seq,
            &text(1)?,
            &text(2)?,
            r.get(3).map_err(sqlerr)?,
            &text(4)?,
            &text(5)?,
            &text(6)?,
            &text(7)?,
            &text(8)?,
        );
        if computed != text(10)? {
            return Err(ChainError {
                seq,
                reason: "content does not match its hash (row edited)".into(),
            });
        }
        prev = computed;
        expected_seq = Some(seq + 1);
        n += 1;
    }
    Ok(n)
}
