-- A second factor: the shared secret of a time-based one-time code (set once the user has
-- confirmed it with a code), the last time step accepted (so a code works once), and
-- single-use recovery codes, stored as SHA-256 hashes.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN totp_enrolled_at TIMESTAMPTZ;

CREATE TABLE recovery_codes (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    code_hash   TEXT        NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);
