-- The warehouse's model_presence as the catalog run starts: the state this run builds on.
SELECT model_key, sources, last_seen_at, missing_runs, removed_at FROM model_presence
