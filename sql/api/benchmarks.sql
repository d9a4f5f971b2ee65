-- /api/v1/benchmarks: the latest score per model, benchmark, variant and source.
-- Parameters: benchmark, model, creator, sort (score | score_asc | model), limit, offset.
WITH latest AS (
    SELECT b.*, row_number() OVER (PARTITION BY model_key, benchmark, variant, source ORDER BY as_of DESC) AS n
    FROM benchmarks b
    WHERE (CAST($benchmark AS TEXT) IS NULL OR benchmark = CAST($benchmark AS TEXT))
      AND (CAST($model AS TEXT) IS NULL OR model_key = CAST($model AS TEXT))
)
SELECT l.model_key, m.name, coalesce(m.creator, split_part(l.model_key, '/', 1)) AS creator,
       l.benchmark, l.variant, l.score, l.unit, l.source, l.source_kind AS badge, l.source_id, l.as_of,
       count(*) OVER () AS total
FROM latest l
LEFT JOIN models m ON m.model_key = l.model_key
WHERE l.n = 1
  AND (CAST($creator AS TEXT) IS NULL OR coalesce(m.creator, split_part(l.model_key, '/', 1)) = CAST($creator AS TEXT))
ORDER BY CASE WHEN CAST($sort AS TEXT) = 'model' THEN l.model_key END,
         CASE WHEN CAST($sort AS TEXT) = 'score_asc' THEN l.score END ASC,
         CASE WHEN CAST($sort AS TEXT) = 'score' THEN l.score END DESC,
         l.model_key, l.benchmark, l.variant, l.source
LIMIT CAST($limit AS BIGINT) OFFSET CAST($offset AS BIGINT)
