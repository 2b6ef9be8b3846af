-- The event log: the only source of truth.
CREATE TABLE IF NOT EXISTS events (
    seq             INTEGER PRIMARY KEY,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    aggregate_seq   INTEGER NOT NULL,
    event_type      TEXT    NOT NULL,
    event_version   TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    actor_login     TEXT,
    recorded_at     TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, aggregate_seq)
);
CREATE INDEX IF NOT EXISTS events_by_actor ON events (actor_login, seq);
CREATE INDEX IF NOT EXISTS events_by_type ON events (event_type, seq);
CREATE INDEX IF NOT EXISTS events_by_time ON events (recorded_at);

-- Aggregate snapshots (cqrs-es "aggregate store" mode: one row per aggregate).
CREATE TABLE IF NOT EXISTS snapshots (
    aggregate_type   TEXT    NOT NULL,
    aggregate_id     TEXT    NOT NULL,
    last_sequence    INTEGER NOT NULL,
    snapshot_version INTEGER NOT NULL,
    payload          TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Set-wide unique keys (user login, host IP, ...), claimed and released in
-- the same transaction as the events that claim or release them.
CREATE TABLE IF NOT EXISTS reservations (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Encrypted secrets referenced from events by id; never exported.
CREATE TABLE IF NOT EXISTS secrets (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL
);
