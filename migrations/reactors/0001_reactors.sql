-- reactors.db: the state of every reactor (side effects of the event log,
-- never replayed), one schema keyed by reactor name. Times are RFC 3339 UTC
-- with microseconds, so text order is time order.

-- Where a reactor has decided the log up to, and what it folded on the way
-- (JSON); moved by compare-and-set in the transaction that queues the
-- effects of the events it passed (each event is decided once).
CREATE TABLE IF NOT EXISTS reactor_checkpoints (
    reactor    TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per effect an event called for (or one it was decided to skip).
-- status: pending | claimed | done | skipped | failed | dropped
-- A claimed row belongs to lease_owner until lease_until.
CREATE TABLE IF NOT EXISTS reactor_outbox (
    id              INTEGER PRIMARY KEY,
    reactor         TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    key             TEXT NOT NULL,
    effect          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                      ('pending', 'claimed', 'done', 'skipped', 'failed', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    -- Why it was skipped, dropped or failed; the last attempt's error.
    reason          TEXT,
    created_at      TEXT NOT NULL,
    done_at         TEXT,
    UNIQUE (reactor, seq, key)
);
CREATE INDEX IF NOT EXISTS reactor_outbox_due
    ON reactor_outbox (reactor, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS reactor_outbox_done ON reactor_outbox (done_at);

-- Every attempt: opened when claimed (ok NULL), closed with its outcome.
CREATE TABLE IF NOT EXISTS reactor_attempts (
    id          INTEGER PRIMARY KEY,
    reactor     TEXT NOT NULL,
    outbox_id   INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    key         TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    owner       TEXT NOT NULL,
    at          TEXT NOT NULL,
    finished_at TEXT,
    ok          INTEGER,
    code        INTEGER,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS reactor_attempts_at ON reactor_attempts (at);
CREATE INDEX IF NOT EXISTS reactor_attempts_outbox ON reactor_attempts (outbox_id, ok);
CREATE INDEX IF NOT EXISTS reactor_attempts_failed ON reactor_attempts (reactor, ok, id);
