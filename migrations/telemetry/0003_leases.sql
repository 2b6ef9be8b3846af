-- Leases: who is working on what, until when. A job takes one before it
-- touches a thing (a device's config pull) and gives it back after; a lease
-- whose holder died expires and is taken over. Kept in a database, not in a
-- process, so a second process (or, later, node) sees it.
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,   -- "config-pull/<device id>"
    owner      TEXT NOT NULL,      -- the holder's instance id
    until_ms   INTEGER NOT NULL,   -- unix milliseconds
    taken_at   TEXT NOT NULL       -- RFC 3339
) WITHOUT ROWID;
