-- The console's list (SQLite; mirrors migrations/ for Postgres, without the
-- trigram search index, which SQLite has no equivalent of).
CREATE INDEX IF NOT EXISTS posts_size_id ON posts (size_bytes, id);
CREATE INDEX IF NOT EXISTS posts_user_size_id ON posts (user_id, size_bytes, id);
CREATE INDEX IF NOT EXISTS posts_filename_id ON posts (lower(filename), id);
CREATE INDEX IF NOT EXISTS posts_user_filename_id ON posts (user_id, lower(filename), id);
CREATE INDEX IF NOT EXISTS posts_created_at ON posts (created_at);
CREATE INDEX IF NOT EXISTS users_id_text ON users (CAST(id AS TEXT));
