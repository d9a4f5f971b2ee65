-- The change feed of the latest snapshot, carried into the next one (append-only).
SELECT detected_at, kind, model_key, provider_id, provider_model_id, field, old, new, pct_change, source, run_id FROM changes
