-- People, their roles, invitations, the audit trail and the email outbox.
CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  BIGINT REFERENCES organisations (id),
    name             TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    email            TEXT        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    password_hash    TEXT,
    active           BOOLEAN     NOT NULL DEFAULT TRUE,
    failed_attempts  INTEGER     NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    session_epoch    BIGINT      NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organisation_idx ON users (organisation_id);

CREATE TABLE user_roles (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT   NOT NULL CHECK (role IN ('service_manager', 'primary_business_contact',
                                             'programme_staff', 'programme_admin')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE invitations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT        NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);

CREATE TABLE audit_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at      TIMESTAMPTZ NOT NULL,
    action           TEXT        NOT NULL,
    actor_user_id    BIGINT REFERENCES users (id),
    target_user_id   BIGINT REFERENCES users (id),
    organisation_id  BIGINT REFERENCES organisations (id),
    client_ip        TEXT,
    request_id       TEXT,
    detail           TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at       TIMESTAMPTZ NOT NULL,
    idempotency_key  TEXT        NOT NULL UNIQUE,
    recipient        TEXT        NOT NULL,
    subject          TEXT        NOT NULL,
    body_text        TEXT        NOT NULL,
    body_html        TEXT        NOT NULL,
    status           TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    last_error       TEXT
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
