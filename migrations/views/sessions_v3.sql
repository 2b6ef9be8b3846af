-- v3 of sessions.sql (replaces sessions_v2.sql; the changed schema rebuilds
-- this view from the log on the next start). WITHOUT ROWID: the auth check
-- on every request and a logout find the session with one seek by its key.
-- One index, over open sessions only, in order of start: the "who is
-- online" list reads it in order, and disabling a user (rare) finds the
-- user's open sessions by scanning it — it carries user_id, so the scan
-- never touches the table. v2 had a second index by user for that; it was
-- a random-place insert on every login and a third of a replay's time.
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_open_by_start ON sessions (started_at, user_id) WHERE ended_at IS NULL;
