-- Read model (views.db): the billing settings in force, one row (none
-- until an admin first changes them: the defaults apply), with who changed
-- them last and when.
CREATE TABLE billing_settings (
    id          TEXT PRIMARY KEY,
    values_json TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL
);
