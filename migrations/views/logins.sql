-- Each PPPoE login's binding now (the Login aggregate's events): the MAC it
-- dials from, its IP, its NAS — the join from a login to a switch port.
CREATE TABLE logins (
    login  TEXT PRIMARY KEY,
    mac    TEXT,
    ip     TEXT,
    nas_id TEXT NOT NULL,
    nas    TEXT NOT NULL,
    since  TEXT NOT NULL       -- RFC 3339, when this binding was first seen
) WITHOUT ROWID;
CREATE INDEX logins_by_mac ON logins (mac);
CREATE INDEX logins_by_ip ON logins (ip);
