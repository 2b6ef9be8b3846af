-- Read model (views.db): repair tickets. One row per ticket with what the
-- list filters and sorts on (status, priority, assignee, due times under
-- the SLA calendar in force) and its folded state; its comments and
-- attachments.
CREATE TABLE tickets (
    id                  TEXT PRIMARY KEY,
    status              TEXT NOT NULL,
    priority            TEXT NOT NULL,
    priority_rank       INTEGER NOT NULL,      -- urgent 0 … low 3
    category            TEXT NOT NULL,
    subscriber_id       TEXT,
    login               TEXT,
    address             TEXT NOT NULL,
    phone               TEXT,
    problem             TEXT NOT NULL,
    assignee            TEXT,
    source              TEXT NOT NULL,         -- staff | billing
    billing_ticket_id   TEXT,
    opened_at           TEXT NOT NULL,
    opened_by           TEXT NOT NULL,
    first_response_at   TEXT,
    resolved_at         TEXT,
    first_response_due  TEXT,
    resolution_due      TEXT,                  -- NULL while it waits or once done
    next_due            TEXT NOT NULL,         -- the sooner of the two; '9999' when none
    paused              INTEGER NOT NULL,
    done                INTEGER NOT NULL,      -- resolved or closed
    comments            INTEGER NOT NULL,
    changed_at          TEXT NOT NULL,
    state_json          TEXT NOT NULL
);
CREATE INDEX tickets_status ON tickets (status, next_due, priority_rank, opened_at);
CREATE INDEX tickets_due ON tickets (done, next_due, priority_rank, opened_at);
CREATE INDEX tickets_assignee ON tickets (assignee, done);
CREATE INDEX tickets_subscriber ON tickets (subscriber_id);
CREATE INDEX tickets_opened ON tickets (opened_at);
CREATE UNIQUE INDEX tickets_billing ON tickets (billing_ticket_id) WHERE billing_ticket_id IS NOT NULL;

CREATE TABLE ticket_comments (
    ticket_id   TEXT NOT NULL,
    n           INTEGER NOT NULL,
    body        TEXT NOT NULL,
    author      TEXT NOT NULL,
    imported    INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (ticket_id, n)
);

CREATE TABLE ticket_attachments (
    ticket_id    TEXT NOT NULL,
    blob         TEXT NOT NULL,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (ticket_id, blob)
);

-- Status changes and assignments, for the ticket's own history.
CREATE TABLE ticket_history (
    ticket_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    by_user     TEXT NOT NULL,
    what        TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
