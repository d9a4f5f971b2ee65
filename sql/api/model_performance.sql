-- /api/v1/models/{model_key}: the latest measurement of each metric per offering and source.
WITH ranked AS (
    SELECT p.*, row_number() OVER (
               PARTITION BY provider_id, provider_model_id, metric, percentile, source
               ORDER BY measured_at DESC) AS n
    FROM performance p
    WHERE model_key = CAST($model_key AS TEXT)
)
SELECT provider_id, provider_model_id, metric, percentile, value, unit, source, source_kind AS badge, measured_at
FROM ranked
WHERE n = 1
ORDER BY provider_id, provider_model_id, metric, percentile
