-- The publish an export reads: the newest row of publishes (in the export's own transaction).
SELECT snapshot_id
FROM publishes
ORDER BY published_at DESC
LIMIT 1
