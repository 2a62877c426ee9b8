-- An email may carry a calendar file (the booked test or the go-live date) as an attachment:
-- written with the message, in the same transaction as the change it announces.
ALTER TABLE outbox ADD COLUMN calendar_name TEXT;
ALTER TABLE outbox ADD COLUMN calendar_ics TEXT;
