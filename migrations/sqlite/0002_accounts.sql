-- People, their roles, invitations, the audit trail and the email outbox.
CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER REFERENCES organisations (id),
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    email            TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash    TEXT,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TEXT,
    session_epoch    INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organisation_idx ON users (organisation_id);

CREATE TABLE user_roles (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT    NOT NULL CHECK (role IN ('service_manager', 'primary_business_contact',
                                              'programme_staff', 'programme_admin')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT
);

CREATE TABLE audit_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at      TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    actor_user_id    INTEGER REFERENCES users (id),
    target_user_id   INTEGER REFERENCES users (id),
    organisation_id  INTEGER REFERENCES organisations (id),
    client_ip        TEXT,
    request_id       TEXT,
    detail           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body_text        TEXT    NOT NULL,
    body_html        TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    sent_at          TEXT,
    last_error       TEXT
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
