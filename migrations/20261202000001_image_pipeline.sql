-- The image pipeline: clients PUT to a private incoming key; `complete` queues
-- a job that decodes, checks, cleans and renders the image, then serves it.
ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check
    CHECK (status IN ('pending', 'processing', 'ready', 'rejected'));
ALTER TABLE posts ADD COLUMN IF NOT EXISTS width          INTEGER;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS height         INTEGER;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS rejection_code TEXT;
ALTER TABLE posts ADD COLUMN IF NOT EXISTS blurhash       TEXT;
-- {"<preset>": {"key", "width", "height", "contentType"}}, as JSON text.
ALTER TABLE posts ADD COLUMN IF NOT EXISTS variants       TEXT;

-- One row per post waiting to be processed. A worker claims a row by moving
-- `run_after` past its lease and stamping `lease_token`; a worker that dies
-- leaves the row due again once the lease has run out.
CREATE TABLE IF NOT EXISTS image_jobs (
    post_id     BIGINT      PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    attempts    INTEGER     NOT NULL DEFAULT 0,
    run_after   TIMESTAMPTZ NOT NULL,
    lease_token TEXT,
    last_error  TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS image_jobs_run_after ON image_jobs (run_after);

-- Work that one replica at a time does (the sweeper): whoever holds the row
-- until `until` leads; a leader that dies is replaced when its lease runs out.
CREATE TABLE IF NOT EXISTS leader_leases (
    name   TEXT        PRIMARY KEY,
    holder TEXT        NOT NULL,
    until  TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_pending_created ON posts (created_at) WHERE status = 'pending';
