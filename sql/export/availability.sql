-- Export `availability` (monitor store, table availability_rollups): per UTC hour (span_s 3600)
-- and UTC day (span_s 86400), provider and probe, the checks, the answered ones, the lowest and
-- highest latency and the latency histogram b000 .. b127 (see sql/monitor/migrations/0005_rollups.sql).
SELECT * FROM availability_rollups
ORDER BY span_s, span_start, provider_id COLLATE "C", probe COLLATE "C"
