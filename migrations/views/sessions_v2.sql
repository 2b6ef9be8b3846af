-- v2 of sessions.sql (which it replaces; the changed schema rebuilds this
-- view from the log on the next start). WITHOUT ROWID: the auth check on
-- every request and a logout find the session with one seek by its key, and
-- a login inserts into one B-tree less. Only open sessions are indexed by user (to end them
-- all when the user is disabled) and by start (the "who is online" list), so
-- ended sessions cost one index, not three.
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_open_by_user ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_open_by_start ON sessions (started_at) WHERE ended_at IS NULL;
