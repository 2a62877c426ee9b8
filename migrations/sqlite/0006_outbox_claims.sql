-- The email worker claims a message before sending it: another worker (or another pass) leaves
-- it alone until the claim runs out. A worker that dies mid-send leaves a claim that runs out, so
-- the message is sent by the next pass (with the same Message-ID).
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
