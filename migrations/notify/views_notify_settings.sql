-- Read model (views.db): the current notification settings, one row.
-- The webhook URL and the Telegram bot token are never here, only their
-- secret references; webhook_target is the URL's origin, for display.
-- webhook_url holds a clear URL only from settings recorded before URLs
-- were sealed.
CREATE TABLE notify_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    webhook_url_ref    TEXT,
    webhook_target     TEXT,
    webhook_url        TEXT,
    telegram_api_base  TEXT NOT NULL,
    telegram_chat_id   TEXT,
    telegram_token_ref TEXT,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
)
