-- The evidence of each attempt of a connectivity test: the address connected to, the TLS cipher
-- suite agreed and the issuer of the endpoint's certificate (beside its subject and expiry).
ALTER TABLE connectivity_attempts ADD COLUMN peer_address TEXT;
ALTER TABLE connectivity_attempts ADD COLUMN tls_cipher TEXT;
ALTER TABLE connectivity_attempts ADD COLUMN server_issuer TEXT;
