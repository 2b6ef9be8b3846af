CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    ip         TEXT NOT NULL,
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, started_at);
CREATE INDEX sessions_open ON sessions (ended_at, expires_at);
