-- Which sources listed each model, carried into the next snapshot (model_removed).
SELECT model_key, sources, last_seen_at, missing_runs, removed_at FROM model_presence
