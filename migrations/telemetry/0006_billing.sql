-- Billing sync telemetry: each subscriber's volatile figures as of the last
-- sync that read their card (balance and credit are not events), and each
-- sync's report for the admin and jobs pages.
CREATE TABLE IF NOT EXISTS subscriber_figures (
    billing_id TEXT PRIMARY KEY,
    balance    REAL,
    credit     REAL,
    synced_at  INTEGER NOT NULL      -- unix seconds
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS billing_syncs (
    id         INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,     -- unix seconds
    ok         INTEGER NOT NULL,
    report     TEXT NOT NULL         -- the SyncReport as JSON
);
