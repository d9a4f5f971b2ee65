-- The warehouse's changes as the catalog run starts: the state this run builds on.
SELECT detected_at, kind, model_key, provider_id, provider_model_id, field, old, new, pct_change, source, run_id FROM changes
