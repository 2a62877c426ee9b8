-- Pension providers and schemes, OAT requests with their timeline, and in-progress answers.
ALTER TABLE organisations ADD COLUMN technical_connection_on DATE;

CREATE TABLE schemes (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT      NOT NULL REFERENCES organisations (id),
    name              TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    regulator         TEXT        NOT NULL CHECK (regulator IN ('FCA', 'TPR')),
    regulator_number  TEXT        NOT NULL CHECK (char_length(regulator_number) BETWEEN 1 AND 20),
    is_vouching       BOOLEAN     NOT NULL DEFAULT FALSE,
    status            TEXT        NOT NULL DEFAULT 'not_requested'
                      CHECK (status IN ('not_requested', 'requested', 'test_scheduled', 'passed', 'failed',
                                        'go_live_confirmed', 'live')),
    go_live_on        DATE,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX schemes_organisation_idx ON schemes (organisation_id);
CREATE UNIQUE INDEX schemes_one_vouching ON schemes (organisation_id) WHERE is_vouching;

CREATE TABLE oat_requests (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference         TEXT        UNIQUE,
    organisation_id   BIGINT      NOT NULL REFERENCES organisations (id),
    scheme_id         BIGINT      NOT NULL REFERENCES schemes (id),
    submitted_by      BIGINT      NOT NULL REFERENCES users (id),
    crypto_deployed   BOOLEAN     NOT NULL,
    connection_ready  BOOLEAN     NOT NULL,
    ready_for_live    BOOLEAN     NOT NULL,
    connection_date   DATE        NOT NULL,
    status            TEXT        NOT NULL DEFAULT 'requested'
                      CHECK (status IN ('requested', 'test_scheduled', 'passed', 'failed', 'go_live_confirmed', 'live', 'withdrawn')),
    go_live_date      DATE,
    idempotency_key   TEXT        NOT NULL,
    version           INTEGER     NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CHECK (crypto_deployed AND connection_ready AND ready_for_live),
    UNIQUE (organisation_id, idempotency_key)
);
CREATE UNIQUE INDEX oat_requests_one_open ON oat_requests (scheme_id)
    WHERE status IN ('requested', 'test_scheduled');

CREATE TABLE oat_request_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     BIGINT      NOT NULL REFERENCES oat_requests (id),
    occurred_at    TIMESTAMPTZ NOT NULL,
    actor_user_id  BIGINT REFERENCES users (id),
    event          TEXT        NOT NULL,
    detail         TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX oat_request_events_request_idx ON oat_request_events (request_id, id);

-- Answers kept between pages and across sign-out until the request is sent: one per scheme.
CREATE TABLE oat_drafts (
    scheme_id         BIGINT PRIMARY KEY REFERENCES schemes (id),
    crypto_deployed   TEXT,
    connection_ready  TEXT,
    ready_for_live    TEXT,
    date_day          TEXT        NOT NULL DEFAULT '',
    date_month        TEXT        NOT NULL DEFAULT '',
    date_year         TEXT        NOT NULL DEFAULT '',
    connection_date   DATE,
    submission_key    TEXT        NOT NULL,
    updated_by        BIGINT REFERENCES users (id),
    updated_at        TIMESTAMPTZ NOT NULL
);
