-- /api/v1/events: the newest publish (where a new stream starts), with the time of the one before it.
WITH ordered AS (
    SELECT snapshot_id, published_at,
           LAG(published_at) OVER (ORDER BY published_at, snapshot_id) AS previous_at
    FROM publishes
)
SELECT snapshot_id, published_at, previous_at
FROM ordered
ORDER BY published_at DESC, snapshot_id DESC
LIMIT 1
