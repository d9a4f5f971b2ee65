-- /api/v1/events: the publishes from the one a stream stands at (included) on, oldest first, each
-- with the time of the publish before it: its changes are those detected after that time, up to its
-- own (a run's merge detects them before its commit publishes them, in the same transaction).
-- Parameters: at (published_at of the stream's publish; NULL: from the first), snapshot_id, limit.
WITH ordered AS (
    SELECT snapshot_id, run_id, published_at, models, offerings, prices,
           LAG(published_at) OVER (ORDER BY published_at, snapshot_id) AS previous_at
    FROM publishes
)
SELECT snapshot_id, run_id, published_at, previous_at, models, offerings, prices
FROM ordered
WHERE CAST($at AS TIMESTAMPTZ) IS NULL
   OR published_at > CAST($at AS TIMESTAMPTZ)
   OR (published_at = CAST($at AS TIMESTAMPTZ) AND snapshot_id >= CAST($snapshot_id AS TEXT))
ORDER BY published_at, snapshot_id
LIMIT CAST($limit AS BIGINT)
