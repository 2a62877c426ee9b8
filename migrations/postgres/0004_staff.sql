-- Programme staff's review of OAT requests: the connectivity test, its outcome, the go-live date,
-- re-tests after a failure and changes of connection date. Indexes for the staff queue (keyset
-- pages by connection date) and for the go-live job.
ALTER TABLE oat_requests ADD COLUMN test_at TIMESTAMPTZ;
ALTER TABLE oat_requests ADD COLUMN test_note TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN failure_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN support_at TIMESTAMPTZ;
ALTER TABLE oat_requests ADD COLUMN support_join TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN go_live_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE oat_requests ADD COLUMN retest_of BIGINT REFERENCES oat_requests (id);

CREATE INDEX oat_requests_queue_idx ON oat_requests (connection_date, id);
CREATE INDEX oat_requests_status_queue_idx ON oat_requests (status, connection_date, id);
CREATE INDEX oat_requests_scheme_idx ON oat_requests (scheme_id, id);
CREATE INDEX schemes_go_live_idx ON schemes (status, go_live_on);

CREATE TABLE date_change_requests (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id       BIGINT      NOT NULL REFERENCES oat_requests (id),
    requested_by     BIGINT      NOT NULL REFERENCES users (id),
    new_date         DATE        NOT NULL,
    reason           TEXT        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
    status           TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by       BIGINT REFERENCES users (id),
    decided_at       TIMESTAMPTZ,
    decision_reason  TEXT        NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX date_change_one_pending ON date_change_requests (request_id) WHERE status = 'pending';
CREATE INDEX date_change_request_idx ON date_change_requests (request_id, id);
