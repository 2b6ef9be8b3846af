-- Read model (views.db): the SLA settings in force, one row (none until an
-- admin first changes them: the defaults apply), who changed them last and
-- when, and how many open tickets that change recomputed (and how many of
-- them got another due time). Kept by the tickets projection, which judges
-- the tickets under it in log order.
CREATE TABLE sla_settings (
    id          TEXT PRIMARY KEY,
    values_json TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    recomputed  INTEGER NOT NULL,
    moved       INTEGER NOT NULL
);
