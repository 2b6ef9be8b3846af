-- v2 of users.sql (which it replaces; the changed schema rebuilds this view
-- from the log on the next start): WITHOUT ROWID, so an update by user_id
-- is one B-tree seek instead of the key index and then the table.
CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    password_ref  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT
) WITHOUT ROWID;
