-- Read model (views.db): the current notification settings, one row.
-- The Telegram bot token itself is never here, only its secret reference.
CREATE TABLE notify_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    webhook_url        TEXT,
    telegram_api_base  TEXT NOT NULL,
    telegram_chat_id   TEXT,
    telegram_token_ref TEXT,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
)
