-- Sessions move into the portal's own table. Each row also names its signed-in user, so the
-- session and the user (with organisation and roles) are read in one query on every request.
-- `expires_at_ms` is in Unix milliseconds.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    user_id INTEGER
);
CREATE INDEX sessions_expires_at_ms_idx ON sessions (expires_at_ms);

-- Sessions kept by the earlier store (tower-sessions' own table, created at startup) carry
-- over, so nobody is signed out by the upgrade; their user is filled in on their next save.
CREATE TABLE IF NOT EXISTS tower_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
INSERT INTO sessions (id, data, expires_at_ms)
    SELECT id, data, CAST(round((julianday(expiry_date) - 2440587.5) * 86400000) AS INTEGER)
    FROM tower_sessions WHERE julianday(expiry_date) IS NOT NULL;
DROP TABLE tower_sessions;
