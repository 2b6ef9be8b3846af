CREATE TABLE devices (
    device_id       TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    port            INTEGER NOT NULL,
    transport       TEXT NOT NULL,
    dialect         TEXT NOT NULL,
    roles           TEXT NOT NULL,
    login           TEXT NOT NULL,
    legacy_ssh      INTEGER NOT NULL,
    tags            TEXT NOT NULL,
    host_id         TEXT,
    pull_schedule   TEXT,
    mask_secrets    INTEGER NOT NULL,
    mgmt_mac        TEXT,          -- "aa:bb:cc:dd:ee:ff"
    fdb_interval_min INTEGER,      -- NULL: the Search Port setting
    password_ref    TEXT NOT NULL,
    enable_ref      TEXT,
    key_ref         TEXT,
    key_fingerprint TEXT,
    retired         INTEGER NOT NULL DEFAULT 0,
    host_key        TEXT,
    pending_host_key TEXT,
    versions        INTEGER NOT NULL DEFAULT 0,
    last_hash       TEXT,
    last_version_at TEXT,
    last_failure    TEXT,
    last_failure_at TEXT,
    password_changed_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX devices_by_name ON devices (name COLLATE NOCASE);
CREATE TABLE config_versions (
    device_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    lines      INTEGER NOT NULL,
    added      INTEGER NOT NULL,
    removed    INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (device_id, version)
) WITHOUT ROWID;
CREATE INDEX config_versions_by_time ON config_versions (at);
CREATE TABLE firmware (
    firmware_id TEXT PRIMARY KEY,
    filename    TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    model       TEXT NOT NULL,
    version     TEXT NOT NULL,
    notes       TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
-- Admins' marks on switch ports for Search Port (no row: auto).
CREATE TABLE device_ports (
    device_id TEXT NOT NULL,
    port      TEXT NOT NULL,
    mark      TEXT NOT NULL,   -- "uplink" or "access"
    marked_at TEXT NOT NULL,
    PRIMARY KEY (device_id, port)
) WITHOUT ROWID;
