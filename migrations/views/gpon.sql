-- Read model (views.db): GPON. Every ONT an OLT showed (gone ones kept,
-- flagged), each OLT's inventory and autofind list, the local registration
-- profiles, the poll settings, and every registration or deletion job with
-- its steps.
CREATE TABLE gpon_onts (
    id              TEXT PRIMARY KEY,          -- OLT-ID:SN
    olt_id          TEXT NOT NULL,
    port            TEXT NOT NULL,             -- 0/1/0
    ont_id          INTEGER NOT NULL,
    sn              TEXT NOT NULL,
    description     TEXT NOT NULL,
    run             TEXT NOT NULL,
    last_down_cause TEXT,
    signal          TEXT NOT NULL,
    gone            INTEGER NOT NULL DEFAULT 0,
    job_id          TEXT,                      -- the registration that added it
    profile         TEXT,
    changed_at      TEXT NOT NULL,
    down_at         TEXT,
    first_seen      TEXT NOT NULL
);
CREATE INDEX gpon_onts_port ON gpon_onts (olt_id, port, ont_id);
CREATE INDEX gpon_onts_sn ON gpon_onts (sn);
CREATE INDEX gpon_onts_desc ON gpon_onts (description);

CREATE TABLE gpon_olts (
    olt_id          TEXT PRIMARY KEY,
    inventory_json  TEXT NOT NULL,
    inventoried_at  TEXT NOT NULL
);

CREATE TABLE gpon_autofind (
    olt_id          TEXT NOT NULL,
    port            TEXT NOT NULL,
    sn              TEXT NOT NULL,
    vendor_sn       TEXT NOT NULL,
    equipment_id    TEXT,
    version         TEXT,
    software_version TEXT,
    found_at        TEXT,
    first_seen      TEXT NOT NULL,
    PRIMARY KEY (olt_id, port, sn)
);

CREATE TABLE gpon_profiles (
    id              TEXT PRIMARY KEY,
    values_json     TEXT NOT NULL,
    name            TEXT NOT NULL,
    removed         INTEGER NOT NULL DEFAULT 0,
    changed_at      TEXT NOT NULL
);

CREATE TABLE gpon_settings (
    id          TEXT PRIMARY KEY,
    values_json TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL
);

CREATE TABLE gpon_jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,             -- register | delete
    olt_id          TEXT NOT NULL,
    olt_name        TEXT NOT NULL,
    port            TEXT NOT NULL,
    sn              TEXT NOT NULL,
    name            TEXT NOT NULL,
    state           TEXT NOT NULL,             -- running | compensating | succeeded | failed | failed-dirty
    request_json    TEXT NOT NULL,
    steps_json      TEXT NOT NULL,
    failure         TEXT,
    compensation    TEXT,
    requested_at    TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    ended_at        TEXT
);
CREATE INDEX gpon_jobs_time ON gpon_jobs (requested_at DESC);
CREATE INDEX gpon_jobs_sn ON gpon_jobs (sn);
