-- GPON telemetry: each ONT's latest optical reading and state details that
-- are readings, not events (distance, last up/down as the OLT prints
-- them), and the readings over time (raw for 7 days, hourly for 400).
CREATE TABLE IF NOT EXISTS ont_latest (
    olt_id      TEXT NOT NULL,
    sn          TEXT NOT NULL,
    at          INTEGER NOT NULL,     -- unix seconds
    rx_dbm      REAL,
    tx_dbm      REAL,
    olt_rx_dbm  REAL,
    temperature REAL,
    distance_m  INTEGER,
    last_up     TEXT,
    last_down   TEXT,
    PRIMARY KEY (olt_id, sn)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ont_optics (
    olt_id      TEXT NOT NULL,
    sn          TEXT NOT NULL,
    at          INTEGER NOT NULL,
    rx_dbm      REAL,
    tx_dbm      REAL,
    olt_rx_dbm  REAL,
    PRIMARY KEY (olt_id, sn, at)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ont_optics_hourly (
    olt_id      TEXT NOT NULL,
    sn          TEXT NOT NULL,
    hour        INTEGER NOT NULL,     -- unix seconds at the hour's start
    n           INTEGER NOT NULL,
    rx_min      REAL,
    rx_sum      REAL,
    rx_max      REAL,
    PRIMARY KEY (olt_id, sn, hour)
) WITHOUT ROWID;
