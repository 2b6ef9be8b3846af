-- Where each MAC sits at the edge now, and every move (the Mac aggregate's
-- events), for Search Port: "where is MAC M", "where was it at time T".
CREATE TABLE mac_edges (
    mac       TEXT PRIMARY KEY,   -- "aa:bb:cc:dd:ee:ff"
    device_id TEXT NOT NULL,
    device    TEXT NOT NULL,      -- the device's name when located
    port      TEXT NOT NULL,
    vlan      INTEGER NOT NULL,
    since     TEXT NOT NULL       -- RFC 3339
) WITHOUT ROWID;
CREATE INDEX mac_edges_by_port ON mac_edges (device_id, port);

-- Every location change: `device_id` NULL when the MAC left its edge.
CREATE TABLE mac_moves (
    seq       INTEGER PRIMARY KEY, -- the event's sequence in the log
    mac       TEXT NOT NULL,
    at        TEXT NOT NULL,       -- RFC 3339
    device_id TEXT,
    device    TEXT,
    port      TEXT,
    vlan      INTEGER
);
CREATE INDEX mac_moves_by_mac ON mac_moves (mac, at);
