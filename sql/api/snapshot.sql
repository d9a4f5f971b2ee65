-- The publish now being served.
SELECT snapshot_id, run_id, published_at, models, offerings, prices
FROM publishes
ORDER BY published_at DESC
LIMIT 1
