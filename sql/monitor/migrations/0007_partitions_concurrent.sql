-- depends: 0006_checks_time_index
-- PostgreSQL only. Writers that run at once (the monitor's jobs, a backfill) each make the day
-- partitions their rows need and the next days ahead; two of them could both see a partition
-- missing and both create it, and the second failed with "relation already exists" (a batch
-- spanning midnight made the race likely). One transaction-scoped advisory lock now lets one
-- caller at a time look and create, and a partition made by another caller in between counts as
-- made, not as an error.
CREATE OR REPLACE FUNCTION ensure_availability_partitions(first_day DATE, days INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    day DATE;
    part TEXT;
    created INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('monitor.ensure_availability_partitions'));
    FOR day IN SELECT generate_series(first_day, first_day + days, INTERVAL '1 day')::DATE LOOP
        part := 'availability_checks_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(format('monitor.%I', part)) IS NULL THEN
            BEGIN
                EXECUTE format(
                    'CREATE TABLE monitor.%I PARTITION OF monitor.availability_checks FOR VALUES FROM (%L) TO (%L)',
                    part, (day::TIMESTAMP AT TIME ZONE 'UTC'), ((day + 1)::TIMESTAMP AT TIME ZONE 'UTC'));
                created := created + 1;
            EXCEPTION WHEN duplicate_table OR unique_violation THEN
                NULL;  -- another writer made it between our look and our create
            END;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;
