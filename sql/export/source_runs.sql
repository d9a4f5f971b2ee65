-- Export `source_runs`: one row per source per run (ok / cached / failed, rows, rejected, errors).
SELECT * FROM source_runs
ORDER BY started_at, run_id COLLATE "C", source COLLATE "C"
