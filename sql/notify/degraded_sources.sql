-- Sources whose newest run in the snapshot is degraded (status cached: serving the last good
-- payload; failed: nothing to serve, config/model-defaults.json keeps the catalog populated),
-- with the streak they are in: the first run since the source's last run that was not degraded
-- ("since when") and how many runs it has lasted. Skipped sources (no key) are not degraded.
WITH runs AS (
    SELECT source, run_id, status, badge, error, started_at, payload_fetched_at,
           status IN ('cached', 'failed') AS degraded
    FROM source_runs
),
newest AS (
    SELECT *
    FROM runs
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY started_at DESC, run_id DESC) = 1
),
last_healthy AS (
    SELECT source, max(started_at) AS healthy_at
    FROM runs
    WHERE NOT degraded
    GROUP BY source
),
streak AS (
    SELECT r.source,
           arg_min(r.run_id, r.started_at) AS streak_run_id,
           min(r.started_at) AS degraded_since,
           count(*) AS streak_runs
    FROM runs r
    LEFT JOIN last_healthy h ON h.source = r.source
    WHERE r.degraded AND (h.healthy_at IS NULL OR r.started_at > h.healthy_at)
    GROUP BY r.source
)
SELECT n.source, n.status, n.badge, n.error, n.run_id, n.started_at, n.payload_fetched_at,
       s.streak_run_id, s.degraded_since, s.streak_runs, h.healthy_at AS last_healthy_at
FROM newest n
JOIN streak s ON s.source = n.source
LEFT JOIN last_healthy h ON h.source = n.source
WHERE n.degraded
ORDER BY n.source
