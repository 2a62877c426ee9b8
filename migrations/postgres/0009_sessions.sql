-- Sessions move into the portal's own table. Each row also names its signed-in user, so the
-- session and the user (with organisation and roles) are read in one query on every request.
-- `expires_at_ms` is in Unix milliseconds.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BYTEA NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    user_id BIGINT
);
CREATE INDEX sessions_expires_at_ms_idx ON sessions (expires_at_ms);

-- Sessions kept by the earlier store (tower-sessions' own schema, created at startup) carry
-- over, so nobody is signed out by the upgrade; their user is filled in on their next save.
DO $$
BEGIN
    IF to_regclass('tower_sessions.session') IS NOT NULL THEN
        INSERT INTO sessions (id, data, expires_at_ms)
            SELECT id, data, round(EXTRACT(EPOCH FROM expiry_date) * 1000)::BIGINT
            FROM tower_sessions.session;
        DROP TABLE tower_sessions.session;
        DROP SCHEMA IF EXISTS tower_sessions;
    END IF;
END
$$;
