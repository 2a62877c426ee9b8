-- Further pension providers and schemes: added by the organisation once its vouching scheme has
-- passed OAT, each waiting for programme staff's approval. Schemes added before (vouching schemes,
-- added by programme admins) count as approved.
ALTER TABLE schemes ADD COLUMN approval TEXT NOT NULL DEFAULT 'approved'
    CHECK (approval IN ('pending', 'approved', 'rejected'));
ALTER TABLE schemes ADD COLUMN requested_connection_on TEXT;
ALTER TABLE schemes ADD COLUMN submitted_by INTEGER REFERENCES users (id);
ALTER TABLE schemes ADD COLUMN decided_by INTEGER REFERENCES users (id);
ALTER TABLE schemes ADD COLUMN decided_at TEXT;
ALTER TABLE schemes ADD COLUMN rejection_reason TEXT NOT NULL DEFAULT '';

-- One provider or scheme per regulator number in an organisation (a rejected one may be sent again).
CREATE UNIQUE INDEX schemes_regulator_number_key
    ON schemes (organisation_id, regulator, upper(regulator_number)) WHERE approval <> 'rejected';
-- Staff's list of schemes waiting for approval, oldest first.
CREATE INDEX schemes_pending_idx ON schemes (approval, created_at, id);
