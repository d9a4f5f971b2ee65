-- /api/v1/models/{model_key}: the latest score of each benchmark, variant and source.
WITH latest AS (
    SELECT b.*, row_number() OVER (PARTITION BY benchmark, variant, source ORDER BY as_of DESC) AS n
    FROM benchmarks b
    WHERE model_key = CAST($model_key AS TEXT)
)
SELECT benchmark, variant, score, unit, source, source_kind AS badge, as_of
FROM latest
WHERE n = 1
ORDER BY benchmark, variant, source
