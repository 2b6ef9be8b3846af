-- The last config-pull attempt per device: operational data, not events (an
-- unchanged pull changes nothing in the log), kept so the device pages show
-- the last result and its transcript (secrets masked) across restarts.
CREATE TABLE IF NOT EXISTS pull_attempts (
    device_id   TEXT PRIMARY KEY,
    at          TEXT NOT NULL,     -- RFC 3339
    outcome     TEXT NOT NULL,     -- "new 3", "unchanged", "failed <reason>", "busy"
    duration_ms INTEGER NOT NULL,
    transcript  TEXT NOT NULL
) WITHOUT ROWID;
