-- One row per projection: how far into the log it has folded, and the hash
-- of its schema (a changed schema drops and rebuilds that projection).
CREATE TABLE IF NOT EXISTS checkpoints (
    projection  TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    schema_hash TEXT NOT NULL
);
