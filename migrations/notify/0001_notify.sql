-- notify.db: the notifier's own file (side effects, not read models).
-- Where the notifier has read the event log up to; moved in the same
-- transaction as the deliveries it queued (each event is queued once).
CREATE TABLE IF NOT EXISTS notify_checkpoint (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
-- One row per (event, channel) to send, or one 'skipped' row (channel '')
-- when a maintenance window silenced the event.
-- status: pending | sending | sent | failed | dropped | skipped
CREATE TABLE IF NOT EXISTS notify_outbox (
    id              INTEGER PRIMARY KEY,
    seq             INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    host_id         TEXT NOT NULL,
    host_name       TEXT NOT NULL,
    host_ip         TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    event_at        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    done_at         TEXT,
    UNIQUE (seq, channel)
);
CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS notify_outbox_done ON notify_outbox (done_at);
-- Every delivery attempt (telemetry, pruned after 30 days).
CREATE TABLE IF NOT EXISTS notify_attempts (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL,
    at          TEXT NOT NULL,
    channel     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS notify_attempts_at ON notify_attempts (at);
CREATE INDEX IF NOT EXISTS notify_attempts_failed ON notify_attempts (ok, id);
