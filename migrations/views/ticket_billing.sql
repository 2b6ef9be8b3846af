-- Read model (views.db): what the billing helpdesk outbox did for each
-- ticket imported from billing — one row per send (a staff reply by its
-- comment, or the close): sent (with the billing's message id), retrying
-- after failed attempts (the last reason), or given up.
CREATE TABLE ticket_billing_sends (
    ticket_id          TEXT NOT NULL,
    what               TEXT NOT NULL,
    billing_ticket_id  TEXT NOT NULL,
    state              TEXT NOT NULL,
    failures           INTEGER NOT NULL,
    reason             TEXT,
    at                 TEXT NOT NULL,
    billing_message_id TEXT,
    PRIMARY KEY (ticket_id, what)
);
