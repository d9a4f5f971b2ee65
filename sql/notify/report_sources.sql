-- Daily report: each source's newest run (status, badge, error) and its degraded runs in the last 24 h.
WITH newest AS (
    SELECT source, status, badge, error, started_at
    FROM source_runs
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY started_at DESC, run_id DESC) = 1
),
day AS (
    SELECT source,
           count(*) AS runs_24h,
           count(*) FILTER (WHERE status IN ('cached', 'failed')) AS degraded_runs_24h
    FROM source_runs
    WHERE started_at > now() - INTERVAL 24 HOUR
    GROUP BY source
)
SELECT n.source, n.status, n.badge, n.error, n.started_at,
       coalesce(d.runs_24h, 0) AS runs_24h, coalesce(d.degraded_runs_24h, 0) AS degraded_runs_24h
FROM newest n
LEFT JOIN day d ON d.source = n.source
ORDER BY n.source
