-- depends: 0001_status
-- availability_checks in PostgreSQL: append-only and partitioned by day. Partitions are created
-- ahead and dropped by the retention policy through the two functions below (called with driver
-- parameters). The embedded DuckDB store has the same columns (duckdb_availability_checks.sql).
CREATE TABLE availability_checks (
    checked_at      TIMESTAMPTZ NOT NULL,
    provider_id     TEXT NOT NULL,
    probe           TEXT NOT NULL,
    target          TEXT NOT NULL,
    up              BOOLEAN NOT NULL,
    state           TEXT NOT NULL,
    error_kind      TEXT,
    http_status     INTEGER,
    latency_ms      DOUBLE PRECISION,
    authenticated   BOOLEAN NOT NULL,
    ttft_ms         DOUBLE PRECISION,
    tokens_per_s    DOUBLE PRECISION,
    tokens          INTEGER,
    detail          TEXT
) PARTITION BY RANGE (checked_at);
CREATE INDEX availability_checks_provider_time ON availability_checks (provider_id, checked_at);
CREATE INDEX status_checks_provider_time ON status_checks (provider_id, checked_at);

COMMENT ON TABLE availability_checks IS 'One row per probe: did the provider answer, how fast, and if not, why (append-only, partitioned by day).';
COMMENT ON COLUMN availability_checks.probe IS 'listing (the provider''s model-listing endpoint) or canary (a tiny streamed completion).';
COMMENT ON COLUMN availability_checks.up IS 'The provider answered: any HTTP response below 500 (a 401/403/404/429 answer means the service runs).';
COMMENT ON COLUMN availability_checks.state IS 'ok, reachable_unauthenticated (401/403 without a key), or error.';
COMMENT ON COLUMN availability_checks.error_kind IS 'timeout, dns, tls, refused, closed, connect, 4xx, 429 or 5xx; NULL when the call succeeded.';
COMMENT ON COLUMN availability_checks.latency_ms IS 'Wall time from request to the full response (for canary: to the last token), in milliseconds.';
COMMENT ON COLUMN availability_checks.authenticated IS 'Whether a key was sent.';

CREATE FUNCTION ensure_availability_partitions(first_day DATE, days INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    day DATE;
    part TEXT;
    created INTEGER := 0;
BEGIN
    FOR day IN SELECT generate_series(first_day, first_day + days, INTERVAL '1 day')::DATE LOOP
        part := 'availability_checks_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(format('monitor.%I', part)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE monitor.%I PARTITION OF monitor.availability_checks FOR VALUES FROM (%L) TO (%L)',
                part, (day::TIMESTAMP AT TIME ZONE 'UTC'), ((day + 1)::TIMESTAMP AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;

CREATE FUNCTION drop_availability_partitions(keep_from DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    part TEXT;
    dropped INTEGER := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'monitor' AND p.relname = 'availability_checks'
          AND c.relname ~ '^availability_checks_[0-9]{8}$'
          AND to_date(right(c.relname, 8), 'YYYYMMDD') < keep_from
    LOOP
        EXECUTE format('DROP TABLE monitor.%I', part);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$;
