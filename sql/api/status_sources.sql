-- /api/v1/status: each source's newest run, and when it last delivered fresh data.
WITH ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY source ORDER BY started_at DESC) AS n
    FROM source_runs s
),
last_ok AS (
    SELECT source, max(payload_fetched_at) AS last_fresh_at
    FROM source_runs
    WHERE status = 'ok'
    GROUP BY source
)
SELECT r.source, r.status, r.badge, r.rows, r.entries, r.rejected, r.rejected_reasons, r.unmatched,
       r.http_status, r.not_modified, r.started_at AS last_run_at, r.payload_fetched_at,
       l.last_fresh_at, r.error
FROM ranked r
LEFT JOIN last_ok l ON l.source = r.source
WHERE r.n = 1
ORDER BY r.source
