-- Organisations: the tenants of the portal.
CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind        TEXT        NOT NULL CHECK (kind IN ('pension_provider', 'pension_scheme',
                                                     'integrated_service_provider',
                                                     'third_party_administrator')),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));
