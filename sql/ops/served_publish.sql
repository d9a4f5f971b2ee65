-- The publish a store serves: its newest publishes row (a snapshot file's own, or PostgreSQL curated's).
SELECT snapshot_id, run_id, published_at, models, offerings, prices
FROM publishes
ORDER BY published_at DESC
LIMIT 1
