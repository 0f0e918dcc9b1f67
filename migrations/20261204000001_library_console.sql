-- The console's list: sorted by size or name, across the library or per owner,
-- found by a piece of the filename or title, with the owner's email beside
-- each post; and the admin's totals by day.
CREATE INDEX IF NOT EXISTS posts_size_id ON posts (size_bytes, id);
CREATE INDEX IF NOT EXISTS posts_user_size_id ON posts (user_id, size_bytes, id);
CREATE INDEX IF NOT EXISTS posts_filename_id ON posts (lower(filename), id);
CREATE INDEX IF NOT EXISTS posts_user_filename_id ON posts (user_id, lower(filename), id);
CREATE INDEX IF NOT EXISTS posts_created_at ON posts (created_at);
-- Posts name their owner by the id as tokens carry it: text.
CREATE INDEX IF NOT EXISTS users_id_text ON users ((CAST(id AS TEXT)));

-- Substring search by trigrams. A server without pg_trgm (or a role that may
-- not create it) still searches, by scanning.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS posts_filename_trgm ON posts USING gin (lower(filename) gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS posts_title_trgm ON posts USING gin (lower(title) gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
    RAISE NOTICE 'search runs without a trigram index: %', SQLERRM;
END
$$;
