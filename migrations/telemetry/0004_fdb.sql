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
    first_seen INTEGER NOT NULL,  -- unix milliseconds, on this port
    last_seen  INTEGER NOT NULL,  -- unix milliseconds
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

-- Every collection (kept 30 days): MAC tables ("fdb") and NAS sessions ("nas").
CREATE TABLE IF NOT EXISTS fdb_collections (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL DEFAULT 'fdb',
    device_id   TEXT NOT NULL,
    at          TEXT NOT NULL,     -- RFC 3339
    duration_ms INTEGER NOT NULL,
    rows        INTEGER NOT NULL,  -- table rows read (0 when it failed)
    outcome     TEXT NOT NULL,     -- "ok", "failed <reason>", "busy"
    moved       INTEGER NOT NULL DEFAULT 0 -- MACs (or logins) whose place changed: events written
);
CREATE INDEX IF NOT EXISTS fdb_collections_by_device ON fdb_collections (device_id, id);

-- PPPoE sessions as the NAS showed them, kept 400 days: "who had IP X at
-- time T" is one query on (ip, started_at). A session's start is the poll's
-- time less the uptime the NAS printed; its end the last poll that showed it.
CREATE TABLE IF NOT EXISTS ppp_sessions (
    nas_id      TEXT NOT NULL,
    session_key TEXT NOT NULL,   -- the NAS's session-id, else login and start
    login       TEXT NOT NULL,
    mac         TEXT,
    ip          TEXT,
    started_at  INTEGER NOT NULL, -- unix seconds
    last_seen   INTEGER NOT NULL,
    ended_at    INTEGER,          -- NULL while online
    PRIMARY KEY (nas_id, session_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ppp_sessions_by_ip ON ppp_sessions (ip, started_at);
CREATE INDEX IF NOT EXISTS ppp_sessions_by_login ON ppp_sessions (login, started_at);
CREATE INDEX IF NOT EXISTS ppp_sessions_open ON ppp_sessions (nas_id) WHERE ended_at IS NULL;
