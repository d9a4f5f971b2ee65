-- One provider's listing probes over the last $seconds (the same cut-off as availability_uptime),
-- in buckets of $bucket seconds aligned on the Unix epoch (UTC). Only buckets with probes.
-- Portable: extract(epoch) is DOUBLE in DuckDB and NUMERIC in PostgreSQL, to_timestamp takes either.
WITH probes AS (
    SELECT to_timestamp(floor(extract(epoch FROM checked_at) / $bucket) * $bucket) AS bucket_start, up, latency_ms
    FROM availability_checks
    WHERE provider_id = $provider_id AND probe = 'listing' AND checked_at > now() - $seconds * INTERVAL '1 second'
)
SELECT bucket_start,
       count(*) AS checks,
       count(*) FILTER (WHERE up) AS up_checks,
       round(100.0 * count(*) FILTER (WHERE up) / count(*), 3) AS uptime_pct,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE up) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE up) AS p95_ms
FROM probes
GROUP BY bucket_start
ORDER BY bucket_start
