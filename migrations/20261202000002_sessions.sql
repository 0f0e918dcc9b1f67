-- Sessions: refresh tokens beside the short-lived access tokens. Only the
-- SHA-256 of a refresh token is kept. Each sign-in starts a family; every
-- refresh uses up its token (`used_at`, `replaced_by`) and adds the next one
-- to the family; presenting a used token again revokes the whole family.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  TEXT        PRIMARY KEY,
    family_id   TEXT        NOT NULL,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    replaced_by TEXT,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_at ON refresh_tokens (expires_at);
