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
);
