-- Native apps sign in with their own state and PKCE (RFC 8252, RFC 7636): the
-- loopback redirect carries a one-time code, traded with the verifier at
-- POST /auth/oauth/token, never the token itself.
ALTER TABLE oauth_states ADD COLUMN IF NOT EXISTS client_state TEXT;
ALTER TABLE oauth_states ADD COLUMN IF NOT EXISTS code_challenge TEXT;

CREATE TABLE IF NOT EXISTS sign_in_codes (
    code_hash      TEXT        PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_challenge TEXT        NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_codes_expires_at ON sign_in_codes (expires_at);
