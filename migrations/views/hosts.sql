CREATE TABLE hosts (
    host_id         TEXT PRIMARY KEY,
    ip              TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    folder_id       TEXT,
    parent_id       TEXT,
    notes           TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '',
    paused          INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending',
    state_since     TEXT NOT NULL,
    last_loss_pct   REAL,
    last_avg_ms     REAL,
    acked_by        TEXT,
    ack_comment     TEXT,
    acked_at        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX hosts_by_folder ON hosts (folder_id, name);
CREATE INDEX hosts_by_state ON hosts (state, state_since);
CREATE INDEX hosts_by_parent ON hosts (parent_id);
CREATE TABLE host_transitions (
    seq       INTEGER PRIMARY KEY,
    host_id   TEXT NOT NULL,
    at        TEXT NOT NULL,
    state     TEXT NOT NULL,
    loss_pct  REAL,
    avg_ms    REAL
);
CREATE INDEX host_transitions_by_host ON host_transitions (host_id, seq);
CREATE TABLE host_maintenance (
    window_id TEXT PRIMARY KEY,
    host_id   TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at   TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX host_maintenance_by_host ON host_maintenance (host_id, starts_at);
