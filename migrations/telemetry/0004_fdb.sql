-- FDB (MAC table) collection: operational data, not events. What each
-- switch's table last showed, each port's status after its last collection,
-- and a record of every collection. Where a MAC sits at the edge, and its
-- moves, are events (the Mac aggregate); these tables are what the collector
-- decides them from and what "seen through" shows.

-- One row per device, MAC and VLAN the device's table showed.
CREATE TABLE IF NOT EXISTS fdb_sightings (
    device_id  TEXT NOT NULL,
    mac        TEXT NOT NULL,     -- "aa:bb:cc:dd:ee:ff"
    vlan       INTEGER NOT NULL,
    port       TEXT NOT NULL,     -- as the device names it
    first_seen INTEGER NOT NULL,  -- unix seconds, on this port
    last_seen  INTEGER NOT NULL,
    misses     INTEGER NOT NULL DEFAULT 0, -- successful collections in a row without it
    PRIMARY KEY (device_id, mac, vlan)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fdb_sightings_by_mac ON fdb_sightings (mac);

-- Each port of each device after its last successful collection.
CREATE TABLE IF NOT EXISTS fdb_ports (
    device_id TEXT NOT NULL,
    port      TEXT NOT NULL,
    macs      INTEGER NOT NULL,  -- MACs the port carried
    uplink    TEXT,              -- NULL: an access port; else why it is an uplink
    PRIMARY KEY (device_id, port)
) WITHOUT ROWID;

-- Every collection (kept 30 days).
CREATE TABLE IF NOT EXISTS fdb_collections (
    id          INTEGER PRIMARY KEY,
    device_id   TEXT NOT NULL,
    at          TEXT NOT NULL,     -- RFC 3339
    duration_ms INTEGER NOT NULL,
    rows        INTEGER NOT NULL,  -- table rows read (0 when it failed)
    outcome     TEXT NOT NULL,     -- "ok", "failed <reason>", "busy"
    moved       INTEGER NOT NULL DEFAULT 0 -- MACs whose edge changed (events written)
);
CREATE INDEX IF NOT EXISTS fdb_collections_by_device ON fdb_collections (device_id, id);
