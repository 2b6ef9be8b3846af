CREATE TABLE folders (
    folder_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleting   TEXT            -- 'move' or 'remove' while being deleted
);
CREATE INDEX folders_by_name ON folders (name);
CREATE TABLE icmp_settings (
    id         TEXT PRIMARY KEY,
    values_json TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
