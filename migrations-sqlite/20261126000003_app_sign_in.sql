-- Native apps sign in with their own state and PKCE (SQLite; mirrors migrations/).
ALTER TABLE oauth_states ADD COLUMN client_state TEXT;
ALTER TABLE oauth_states ADD COLUMN code_challenge TEXT;

CREATE TABLE IF NOT EXISTS sign_in_codes (
    code_hash      TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_challenge TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_codes_expires_at ON sign_in_codes (expires_at);
