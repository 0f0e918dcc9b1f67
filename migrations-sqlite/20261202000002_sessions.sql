-- Sessions: refresh tokens (SQLite; mirrors migrations/). Only the SHA-256 of
-- a refresh token is kept; a used token presented again revokes its family.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  TEXT    PRIMARY KEY,
    family_id   TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    replaced_by TEXT,
    revoked_at  TEXT
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_at ON refresh_tokens (expires_at);
