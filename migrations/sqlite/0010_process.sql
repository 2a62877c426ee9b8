-- PDP's process after a request is sent: re-tests on the same request (numbered rounds), the
-- service manager telling PDP they are ready for one, support sessions asked for, withdrawals
-- with a reason, and queries with PDP's answers.
ALTER TABLE oat_requests ADD COLUMN test_round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE oat_requests ADD COLUMN retest_asked_at TEXT;
ALTER TABLE oat_requests ADD COLUMN retest_note TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN support_asked_at TEXT;
ALTER TABLE oat_requests ADD COLUMN support_request TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';

CREATE INDEX oat_requests_retest_idx ON oat_requests (retest_asked_at) WHERE retest_asked_at IS NOT NULL;
CREATE INDEX oat_requests_support_idx ON oat_requests (support_asked_at) WHERE support_asked_at IS NOT NULL;

CREATE TABLE queries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    request_id       INTEGER REFERENCES oat_requests (id),
    asked_by         INTEGER NOT NULL REFERENCES users (id),
    question         TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 1000),
    asked_at         TEXT    NOT NULL,
    answer           TEXT    NOT NULL DEFAULT '',
    answered_by      INTEGER REFERENCES users (id),
    answered_at      TEXT
);
CREATE INDEX queries_organisation_idx ON queries (organisation_id, id);
CREATE INDEX queries_request_idx ON queries (request_id, id);
CREATE INDEX queries_open_idx ON queries (id) WHERE answered_at IS NULL;
