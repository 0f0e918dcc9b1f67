-- The image pipeline (mirrors migrations/): a `processing` status, the image's
-- measurements and variants, and the job queue. SQLite cannot alter a CHECK
-- constraint, so the posts table is rebuilt.
CREATE TABLE posts_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          TEXT    NOT NULL,
    image_key        TEXT    NOT NULL UNIQUE,
    title            TEXT,
    filename         TEXT    NOT NULL,
    content_type     TEXT    NOT NULL,
    size_bytes       INTEGER NOT NULL CHECK (size_bytes > 0),
    status           TEXT    NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'processing', 'ready', 'rejected')),
    rejection_reason TEXT,
    metadata         TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    width            INTEGER,
    height           INTEGER,
    rejection_code   TEXT,
    blurhash         TEXT,
    variants         TEXT
);
INSERT INTO posts_new (id, user_id, image_key, title, filename, content_type, size_bytes,
                       status, rejection_reason, metadata, created_at, updated_at)
    SELECT id, user_id, image_key, title, filename, content_type, size_bytes,
           status, rejection_reason, metadata, created_at, updated_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX IF NOT EXISTS posts_user_id_id ON posts (user_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_status_id ON posts (status, id DESC);

CREATE TABLE IF NOT EXISTS image_jobs (
    post_id     INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_after   TEXT    NOT NULL,
    lease_token TEXT,
    last_error  TEXT,
    created_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS image_jobs_run_after ON image_jobs (run_after);

CREATE TABLE IF NOT EXISTS leader_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_pending_created ON posts (created_at) WHERE status = 'pending';
