-- Post metadata for the embedded mode (SQLite); mirrors migrations/ (Postgres).
CREATE TABLE IF NOT EXISTS posts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          TEXT    NOT NULL,
    image_key        TEXT    NOT NULL UNIQUE,
    title            TEXT,
    filename         TEXT    NOT NULL,
    content_type     TEXT    NOT NULL,
    size_bytes       INTEGER NOT NULL CHECK (size_bytes > 0),
    status           TEXT    NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'ready', 'rejected')),
    rejection_reason TEXT,
    metadata         TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX IF NOT EXISTS posts_user_id_id ON posts (user_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_status_id ON posts (status, id DESC);
