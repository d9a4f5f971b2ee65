-- aisi sources: each source's newest run in source_runs (run_rank = 1); every column, so a
-- snapshot from before a column was added still answers.
WITH ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY source ORDER BY started_at DESC) AS run_rank
    FROM source_runs s
)
SELECT * FROM ranked WHERE run_rank = 1
