-- Post metadata: one row per upload the API has handed a presigned URL for.
CREATE TABLE IF NOT EXISTS posts (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          TEXT        NOT NULL,
    image_key        TEXT        NOT NULL UNIQUE,
    title            TEXT,
    filename         TEXT        NOT NULL,
    content_type     TEXT        NOT NULL,
    size_bytes       BIGINT      NOT NULL CHECK (size_bytes > 0),
    status           TEXT        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'ready', 'rejected')),
    rejection_reason TEXT,
    metadata         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS posts_user_id_id ON posts (user_id, id DESC);
CREATE INDEX IF NOT EXISTS posts_status_id ON posts (status, id DESC);
