-- /api/v1/changes: the change feed, newest first. Parameters: since (timestamp), kind, model, limit, offset.
SELECT detected_at, kind, model_key, provider_id, provider_model_id, field, old, new, pct_change, source, run_id,
       count(*) OVER () AS total
FROM changes
WHERE (CAST($since AS TIMESTAMPTZ) IS NULL OR detected_at >= CAST($since AS TIMESTAMPTZ))
  AND (CAST($kind AS TEXT) IS NULL OR kind = CAST($kind AS TEXT))
  AND (CAST($model AS TEXT) IS NULL OR model_key = CAST($model AS TEXT))
ORDER BY detected_at DESC, kind, model_key, provider_id NULLS LAST, provider_model_id NULLS LAST, field NULLS LAST, source NULLS LAST
LIMIT CAST($limit AS BIGINT) OFFSET CAST($offset AS BIGINT)
