-- The uptime rollup computed from the raw checks, as the availability_uptime view did before the
-- rollups (migrations/0003_views.sql): the reference that benchmarks/availability.py times and
-- compares the view with, and that the tests compare it with.
WITH periods (period, seconds) AS (
    VALUES ('1h', 3600), ('24h', 86400), ('7d', 604800), ('30d', 2592000)
),
recent AS (
    SELECT provider_id, checked_at, up, latency_ms
    FROM availability_checks
    WHERE probe = 'listing' AND checked_at > now() - INTERVAL '30 days'
),
rollup AS (
    SELECT r.provider_id,
           p.period,
           count(*) AS checks,
           count(*) FILTER (WHERE r.up) AS up_checks,
           percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.up) AS latency,
           max(r.checked_at) AS last_checked_at
    FROM recent r
    JOIN periods p ON r.checked_at > now() - p.seconds * INTERVAL '1 second'
    GROUP BY r.provider_id, p.period
)
SELECT provider_id, period, checks, up_checks,
       round(100.0 * up_checks / checks, 3) AS uptime_pct,
       latency[1] AS p50_ms,
       latency[2] AS p95_ms,
       last_checked_at
FROM rollup
ORDER BY provider_id, period
