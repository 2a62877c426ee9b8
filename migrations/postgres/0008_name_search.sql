-- Staff search the queue by part of a scheme's or an organisation's name (lower(name) LIKE
-- '%...%'). Trigram indexes let Postgres find those names without reading every row.
-- pg_trgm comes with Postgres and is a trusted extension, but the portal's database user may
-- still not be allowed to add it: the search then works as before, by reading every name.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS schemes_name_trgm_idx
        ON schemes USING gin (lower(name) gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS organisations_name_trgm_idx
        ON organisations USING gin (lower(name) gin_trgm_ops);
EXCEPTION WHEN insufficient_privilege OR undefined_file OR undefined_object THEN
    RAISE NOTICE 'name search without trigram indexes: %', SQLERRM;
END
$$;
