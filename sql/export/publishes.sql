-- Export `publishes`: every snapshot published, oldest first.
SELECT * FROM publishes
ORDER BY published_at, snapshot_id COLLATE "C"
