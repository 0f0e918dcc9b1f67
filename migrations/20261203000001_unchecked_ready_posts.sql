-- Posts that became `ready` before the image pipeline existed were never
-- decoded or cleaned (their object is what the client PUT); the API finds them
-- through this index and checks them again (pipeline/backfill.rs).
CREATE INDEX IF NOT EXISTS posts_unchecked_ready ON posts (id) WHERE status = 'ready' AND width IS NULL;
