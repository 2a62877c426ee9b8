-- The connectivity test: an organisation's live find endpoint, and a durable job table of test
-- runs (readiness checks, dry runs and PDP's official run) with every attempt each run made.
ALTER TABLE organisations ADD COLUMN find_endpoint_url TEXT;
ALTER TABLE organisations ADD COLUMN find_endpoint_updated_at TEXT;

CREATE TABLE connectivity_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    request_id       INTEGER REFERENCES oat_requests (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('readiness', 'dry_run', 'official')),
    target_url       TEXT    NOT NULL,
    profile          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'passed', 'failed', 'interrupted')),
    requested_by     INTEGER REFERENCES users (id),
    created_at       TEXT    NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    claimed_until    TEXT,
    code             TEXT,
    summary          TEXT    NOT NULL DEFAULT '',
    cause            TEXT    NOT NULL DEFAULT '',
    fix              TEXT    NOT NULL DEFAULT '',
    checks           TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX connectivity_runs_organisation_idx ON connectivity_runs (organisation_id, kind, id);
CREATE INDEX connectivity_runs_request_idx ON connectivity_runs (request_id, id) WHERE request_id IS NOT NULL;
CREATE INDEX connectivity_runs_open_idx ON connectivity_runs (status, id) WHERE status IN ('queued', 'running');

CREATE TABLE connectivity_attempts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            INTEGER NOT NULL REFERENCES connectivity_runs (id),
    attempt_no        INTEGER NOT NULL,
    sent_at           TEXT    NOT NULL,
    target_url        TEXT    NOT NULL,
    x_request_id      TEXT    NOT NULL,
    http_status       INTEGER,
    latency_ms        INTEGER NOT NULL,
    tls_protocol      TEXT,
    server_subject    TEXT,
    server_not_after  TEXT,
    verdict           TEXT    NOT NULL CHECK (verdict IN ('pass', 'fail')),
    code              TEXT    NOT NULL,
    cause             TEXT    NOT NULL,
    response_headers  TEXT    NOT NULL DEFAULT '',
    body_excerpt      TEXT    NOT NULL DEFAULT '',
    UNIQUE (run_id, attempt_no)
);
