-- A second factor: the shared secret of a time-based one-time code (set once the user has
-- confirmed it with a code), the last time step accepted (so a code works once), and
-- single-use recovery codes, stored as SHA-256 hashes.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN totp_enrolled_at TEXT;

CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    code_hash   TEXT    NOT NULL,
    used_at     TEXT
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);
