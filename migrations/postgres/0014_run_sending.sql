-- When a run's first find request was about to leave. A run whose worker stopped before then
-- has sent nothing and is queued again once its claim runs out; one stopped after is marked
-- interrupted, because its request may have reached the endpoint.
ALTER TABLE connectivity_runs ADD COLUMN sending_since TIMESTAMPTZ;
