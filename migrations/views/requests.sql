-- Read model (views.db): connection requests (the old tool's
-- ConnectStatements) and their board. One row per request with what the
-- board orders and filters on (folder, rank, status, installer, visit day)
-- and its folded state; its thread, attachments and history; the board's
-- folders, per-area caps and checklist templates.
CREATE TABLE requests (
    id                TEXT PRIMARY KEY,
    status            TEXT NOT NULL,
    active            INTEGER NOT NULL,     -- not done, not in the trash
    folder            TEXT,                 -- NULL: in no folder
    rank              TEXT NOT NULL,
    label             TEXT NOT NULL,
    colour            TEXT NOT NULL,
    name              TEXT NOT NULL,
    address           TEXT NOT NULL,
    subscriber_id     TEXT,
    login             TEXT,
    phone             TEXT,
    area              TEXT,
    installer         TEXT,
    visit_date        TEXT,                 -- YYYY-MM-DD (local)
    visit_from        TEXT,                 -- HH:MM
    visit_to          TEXT,
    checked           INTEGER NOT NULL,
    items             INTEGER NOT NULL,
    messages          INTEGER NOT NULL,
    registration_job  TEXT,
    opened_at         TEXT NOT NULL,
    opened_by         TEXT NOT NULL,
    changed_at        TEXT NOT NULL,
    state_json        TEXT NOT NULL
);
CREATE INDEX requests_board ON requests (folder, rank, id);
-- The board's default view (active requests, one folder or all) and the
-- folders' counts read these alone, never the wide rows.
CREATE INDEX requests_folder_active ON requests (folder, active, rank, id);
CREATE INDEX requests_active ON requests (active, rank, id);
-- The dashboard's requests by status.
CREATE INDEX requests_active_status ON requests (active, status);
CREATE INDEX requests_status ON requests (status, folder, rank, id);
CREATE INDEX requests_status_rank ON requests (status, rank, id);
CREATE INDEX requests_rank ON requests (rank, id);
CREATE INDEX requests_installer ON requests (installer, visit_date, visit_from);
CREATE INDEX requests_day ON requests (visit_date, area);
CREATE INDEX requests_subscriber ON requests (subscriber_id);

CREATE TABLE request_messages (
    request_id  TEXT NOT NULL,
    n           INTEGER NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (request_id, n)
);

CREATE TABLE request_attachments (
    request_id   TEXT NOT NULL,
    blob         TEXT NOT NULL,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (request_id, blob)
);

-- What happened to a request, for its own page.
CREATE TABLE request_history (
    request_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL,
    what        TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- The board's folders, in the order they were made.
CREATE TABLE request_folders (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    seq         INTEGER NOT NULL
);

-- The board's settings: per-area caps ('' is the default cap) and
-- checklist templates.
CREATE TABLE request_caps (
    area_key    TEXT PRIMARY KEY,           -- lower case; '' the default
    area        TEXT NOT NULL,
    cap         INTEGER NOT NULL
);

CREATE TABLE request_templates (
    name        TEXT PRIMARY KEY,
    items_json  TEXT NOT NULL
);
