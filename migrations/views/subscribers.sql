-- Subscribers as the billing shows them (the Subscriber aggregate's
-- events), with a full-text index over everything a person types to find
-- one: login, display name, full name, address, contract, phones, IP, MAC.
CREATE TABLE subscribers (
    id           INTEGER PRIMARY KEY,  -- the FTS row
    billing_id   TEXT NOT NULL UNIQUE,
    login        TEXT NOT NULL,
    folder_id    TEXT NOT NULL,
    folder       TEXT NOT NULL,
    display      TEXT NOT NULL,        -- the tree's name (usually the address)
    full_name    TEXT,
    address      TEXT,
    contract     TEXT,
    phones       TEXT,
    ip           TEXT,
    mac          TEXT,                 -- "aa:bb:cc:dd:ee:ff"
    tariff       TEXT,
    status       TEXT NOT NULL,
    blocked      TEXT,                 -- BlockReason, NULL when not blocked
    left_billing INTEGER NOT NULL DEFAULT 0,
    tags         TEXT NOT NULL DEFAULT '',
    notes        INTEGER NOT NULL DEFAULT 0,
    view         TEXT NOT NULL,        -- the BillingView as JSON
    fingerprint  TEXT NOT NULL,        -- BillingView::fingerprint
    imported_at  TEXT NOT NULL,
    changed_at   TEXT NOT NULL
);
CREATE INDEX subscribers_by_login ON subscribers (login);
CREATE INDEX subscribers_by_folder ON subscribers (folder_id, display);
-- The folder tree's counts read this alone, never the wide rows (each
-- carries its whole billing view).
CREATE INDEX subscribers_tree ON subscribers (folder_id, folder, blocked, left_billing);
CREATE INDEX subscribers_by_display ON subscribers (display);
CREATE INDEX subscribers_by_mac ON subscribers (mac);
CREATE INDEX subscribers_by_ip ON subscribers (ip);

-- Terms of `subscribers` rows (rowid = subscribers.id), prepared by
-- `subscribers::terms`: split at letter/digit boundaries and joined,
-- transliterated, phones in national form, MAC and IP as one term each.
CREATE VIRTUAL TABLE subscribers_fts USING fts5 (
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3'
);

-- Staff notes, newest last.
CREATE TABLE subscriber_notes (
    seq        INTEGER PRIMARY KEY,    -- the event's sequence in the log
    billing_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX subscriber_notes_by_subscriber ON subscriber_notes (billing_id, seq);
