-- Ping telemetry: not events. Raw rounds kept 48 h, 5-minute rollups 30 d,
-- 1-hour rollups 2 years. Times are unix seconds; RTTs in microseconds.
CREATE TABLE IF NOT EXISTS samples_raw (
    host_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    sent    INTEGER NOT NULL,
    received INTEGER NOT NULL,
    min_us  INTEGER,
    avg_us  INTEGER,
    max_us  INTEGER,
    jitter_us INTEGER,
    PRIMARY KEY (host_id, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples_rollup (
    host_id  TEXT NOT NULL,
    width    INTEGER NOT NULL,   -- 300 or 3600 seconds
    bucket   INTEGER NOT NULL,   -- start of the bucket, unix seconds
    rounds   INTEGER NOT NULL,
    sent     INTEGER NOT NULL,
    received INTEGER NOT NULL,
    avg_sum_us INTEGER NOT NULL, -- sum of the rounds' averages (rounds that answered)
    answered INTEGER NOT NULL,   -- rounds that answered
    min_us   INTEGER,
    max_us   INTEGER,
    PRIMARY KEY (host_id, width, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
    host_id TEXT PRIMARY KEY,
    at      INTEGER NOT NULL,
    loss_pct REAL NOT NULL,
    avg_us  INTEGER
) WITHOUT ROWID;
