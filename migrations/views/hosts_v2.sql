-- v2 of hosts.sql (replaces it; the changed schema rebuilds this view from
-- the log on the next start). What changed, for the ICMP board in pages:
-- * board_rank, kept by triggers from state and paused (0 down,
--   1 unreachable, 2 degraded, 3 everything else, paused included; a plain
--   column, since SQLite does not read a generated one from a covering
--   index), and two indexes in the
--   board's order (problems first, then by name and address), one of them
--   per folder: a page is an index range, never a sort of every host. They
--   carry state and paused, so every filter but the search reads only the
--   index, and skipping to page 100 walks index entries, not rows.
-- * host_counts, kept by triggers: hosts per folder and per bucket (the
--   state, or 'paused'). The sidebar's counts and "of Z" read a handful of
--   rows instead of counting 10,000.
-- * hosts_by_updated: the live board asks what changed since a moment.
CREATE TABLE hosts (
    host_id         TEXT PRIMARY KEY,
    ip              TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    folder_id       TEXT,
    parent_id       TEXT,
    notes           TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '',
    paused          INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending',
    state_since     TEXT NOT NULL,
    last_loss_pct   REAL,
    last_avg_ms     REAL,
    acked_by        TEXT,
    ack_comment     TEXT,
    acked_at        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    board_rank      INTEGER NOT NULL DEFAULT 3
);
CREATE INDEX hosts_board ON hosts (board_rank, name COLLATE NOCASE, ip, state, paused);
CREATE INDEX hosts_board_by_folder ON hosts (folder_id, board_rank, name COLLATE NOCASE, ip, state, paused);
CREATE INDEX hosts_by_state ON hosts (state, state_since);
CREATE INDEX hosts_by_parent ON hosts (parent_id);
CREATE INDEX hosts_by_updated ON hosts (updated_at);
CREATE TRIGGER hosts_rank_on_insert AFTER INSERT ON hosts
WHEN NEW.paused = 0 AND NEW.state IN ('down', 'unreachable', 'degraded') BEGIN
    UPDATE hosts SET board_rank = CASE WHEN NEW.paused THEN 3
        WHEN NEW.state = 'down' THEN 0 WHEN NEW.state = 'unreachable' THEN 1
        WHEN NEW.state = 'degraded' THEN 2 ELSE 3 END
     WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER hosts_rank_on_update AFTER UPDATE OF state, paused ON hosts
WHEN OLD.state IS NOT NEW.state OR OLD.paused IS NOT NEW.paused BEGIN
    UPDATE hosts SET board_rank = CASE WHEN NEW.paused THEN 3
        WHEN NEW.state = 'down' THEN 0 WHEN NEW.state = 'unreachable' THEN 1
        WHEN NEW.state = 'degraded' THEN 2 ELSE 3 END
     WHERE rowid = NEW.rowid;
END;
CREATE TABLE host_counts (
    folder_key TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (folder_key, bucket)
) WITHOUT ROWID;
CREATE TRIGGER host_counts_on_insert AFTER INSERT ON hosts BEGIN
    INSERT OR IGNORE INTO host_counts VALUES (
        COALESCE(NEW.folder_id, ''),
        CASE WHEN NEW.paused THEN 'paused' ELSE NEW.state END, 0);
    UPDATE host_counts SET n = n + 1
     WHERE folder_key = COALESCE(NEW.folder_id, '')
       AND bucket = CASE WHEN NEW.paused THEN 'paused' ELSE NEW.state END;
END;
CREATE TRIGGER host_counts_on_delete AFTER DELETE ON hosts BEGIN
    UPDATE host_counts SET n = n - 1
     WHERE folder_key = COALESCE(OLD.folder_id, '')
       AND bucket = CASE WHEN OLD.paused THEN 'paused' ELSE OLD.state END;
END;
CREATE TRIGGER host_counts_on_update AFTER UPDATE OF folder_id, paused, state ON hosts
WHEN COALESCE(OLD.folder_id, '') IS NOT COALESCE(NEW.folder_id, '')
  OR (CASE WHEN OLD.paused THEN 'paused' ELSE OLD.state END)
     IS NOT (CASE WHEN NEW.paused THEN 'paused' ELSE NEW.state END)
BEGIN
    UPDATE host_counts SET n = n - 1
     WHERE folder_key = COALESCE(OLD.folder_id, '')
       AND bucket = CASE WHEN OLD.paused THEN 'paused' ELSE OLD.state END;
    INSERT OR IGNORE INTO host_counts VALUES (
        COALESCE(NEW.folder_id, ''),
        CASE WHEN NEW.paused THEN 'paused' ELSE NEW.state END, 0);
    UPDATE host_counts SET n = n + 1
     WHERE folder_key = COALESCE(NEW.folder_id, '')
       AND bucket = CASE WHEN NEW.paused THEN 'paused' ELSE NEW.state END;
END;
CREATE TABLE host_transitions (
    seq       INTEGER PRIMARY KEY,
    host_id   TEXT NOT NULL,
    at        TEXT NOT NULL,
    state     TEXT NOT NULL,
    loss_pct  REAL,
    avg_ms    REAL
);
CREATE INDEX host_transitions_by_host ON host_transitions (host_id, seq);
CREATE TABLE host_maintenance (
    window_id TEXT PRIMARY KEY,
    host_id   TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at   TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX host_maintenance_by_host ON host_maintenance (host_id, starts_at);
