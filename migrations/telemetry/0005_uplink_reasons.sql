-- Why a port is an uplink, in a stable machine form instead of English
-- text, so pages can translate it and the API can give fixed values:
-- uplink_kind is 'marked', 'trunk', 'known_device' or 'threshold' (NULL:
-- an access port); uplink_detail is the trunk's mode, the known device's
-- name, or '<MACs>/<threshold>' (NULL for 'marked').
--
-- Applied once (PRAGMA user_version 5). Rows an earlier version kept as
-- text are converted (its threshold was always 8); every collection
-- rewrites its switch's rows anyway.
ALTER TABLE fdb_ports ADD COLUMN uplink_kind TEXT;
ALTER TABLE fdb_ports ADD COLUMN uplink_detail TEXT;
UPDATE fdb_ports SET uplink_kind = 'marked'
 WHERE uplink = 'marked uplink by an admin';
UPDATE fdb_ports SET uplink_kind = 'trunk',
       uplink_detail = substr(uplink, 1, length(uplink) - length(' in config'))
 WHERE uplink_kind IS NULL AND uplink LIKE '% in config';
UPDATE fdb_ports SET uplink_kind = 'known_device',
       uplink_detail = substr(uplink, 1, length(uplink) - length(' seen here'))
 WHERE uplink_kind IS NULL AND uplink LIKE '% seen here';
UPDATE fdb_ports SET uplink_kind = 'threshold',
       uplink_detail = substr(uplink, 1, length(uplink) - length(' MACs')) || '/8'
 WHERE uplink_kind IS NULL AND uplink LIKE '% MACs';
ALTER TABLE fdb_ports DROP COLUMN uplink;
