-- Price changes and new models of the last seven days, biggest moves first (the sensor keeps
-- the rows of the run it reports on). Fails with a catalog error on a snapshot from before the
-- changes feed existed: no digest then.
SELECT run_id, detected_at, kind, model_key, provider_id, field, old, new, pct_change, source
FROM changes
WHERE kind IN ('price_changed', 'model_added')
  AND detected_at > now() - INTERVAL 7 DAY
ORDER BY run_id, kind DESC, abs(pct_change) DESC NULLS LAST, model_key, provider_id, field
