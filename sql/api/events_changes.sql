-- /api/v1/events: one publish's changes in a fixed order (a change's position in it is part of the
-- event id, so the order takes every column). Parameters: after (NULL for the first publish),
-- until, limit, offset (the changes of this publish already sent).
SELECT detected_at, kind, model_key, provider_id, provider_model_id, field, old, new, pct_change, source, run_id
FROM changes
WHERE (CAST($after AS TIMESTAMPTZ) IS NULL OR detected_at > CAST($after AS TIMESTAMPTZ))
  AND detected_at <= CAST($until AS TIMESTAMPTZ)
ORDER BY detected_at, kind, model_key, provider_id NULLS LAST, provider_model_id NULLS LAST, field NULLS LAST,
         source NULLS LAST, old NULLS LAST, new NULLS LAST, pct_change NULLS LAST, run_id
LIMIT CAST($limit AS BIGINT) OFFSET CAST($offset AS BIGINT)
