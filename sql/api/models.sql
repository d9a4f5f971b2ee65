-- /api/v1/models: filtered, paged models with the lowest current input/output base price of a
-- metered offering (of `provider` when given; plan and free-tier offerings and long-context
-- tiers do not count). Parameters: creator, provider, search, modality, input_modality,
-- output_modality, min_context, max_input_price, max_output_price, benchmark (each model's best latest
-- score in it as `score`; sort score = highest first), sort, limit, offset.
WITH filtered AS (
    SELECT m.*
    FROM models m
    WHERE (CAST($creator AS TEXT) IS NULL OR m.creator = CAST($creator AS TEXT))
      AND (CAST($search AS TEXT) IS NULL
           OR strpos(lower(m.model_key), lower(CAST($search AS TEXT))) > 0
           OR strpos(lower(coalesce(m.name, '')), lower(CAST($search AS TEXT))) > 0)
      AND (CAST($min_context AS BIGINT) IS NULL OR m.context_window >= CAST($min_context AS BIGINT))
      AND (CAST($modality AS TEXT) IS NULL
           OR array_position(m.input_modalities, CAST($modality AS TEXT)) IS NOT NULL
           OR array_position(m.output_modalities, CAST($modality AS TEXT)) IS NOT NULL)
      AND (CAST($input_modality AS TEXT) IS NULL OR array_position(m.input_modalities, CAST($input_modality AS TEXT)) IS NOT NULL)
      AND (CAST($output_modality AS TEXT) IS NULL OR array_position(m.output_modalities, CAST($output_modality AS TEXT)) IS NOT NULL)
      AND (CAST($provider AS TEXT) IS NULL OR EXISTS (
           SELECT 1 FROM offerings o WHERE o.model_key = m.model_key AND o.provider_id = CAST($provider AS TEXT)))
),
lowest AS (
    SELECT model_key,
           min(CASE WHEN price_type = 'input' THEN usd_per_mtok END) AS min_input_usd_per_mtok,
           min(CASE WHEN price_type = 'output' THEN usd_per_mtok END) AS min_output_usd_per_mtok
    FROM current_prices
    WHERE usd_per_mtok > 0 AND above_tokens = 0 AND billing = 'metered'
      AND (CAST($provider AS TEXT) IS NULL OR provider_id = CAST($provider AS TEXT))
    GROUP BY model_key
),
scores AS (  -- the best of each source's latest score
    SELECT model_key, max(score) AS score
    FROM (SELECT model_key, score,
                 row_number() OVER (PARTITION BY model_key, variant, source ORDER BY as_of DESC) AS n
          FROM benchmarks
          WHERE benchmark = CAST($benchmark AS TEXT)) latest
    WHERE n = 1
    GROUP BY model_key
)
SELECT f.model_key, f.creator, f.name, f.family, f.context_window, f.max_output,
       f.input_modalities, f.output_modalities, f.release_date, f.open_weights, f.deprecation_date,
       f.offerings_count, f.providers_count, f.status, f.status_date, f.alias_of, f.listed, f.unlisted_since,
       l.min_input_usd_per_mtok, l.min_output_usd_per_mtok, s.score,
       f.source, f.source_kind AS badge, f.source_url, f.fetched_at,
       count(*) OVER () AS total
FROM filtered f
LEFT JOIN lowest l ON l.model_key = f.model_key
LEFT JOIN scores s ON s.model_key = f.model_key
WHERE (CAST($max_input_price AS DOUBLE PRECISION) IS NULL OR l.min_input_usd_per_mtok <= CAST($max_input_price AS DOUBLE PRECISION))
  AND (CAST($max_output_price AS DOUBLE PRECISION) IS NULL OR l.min_output_usd_per_mtok <= CAST($max_output_price AS DOUBLE PRECISION))
ORDER BY CASE WHEN CAST($sort AS TEXT) = 'price' THEN l.min_input_usd_per_mtok END ASC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = '-price' THEN l.min_input_usd_per_mtok END DESC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = 'context' THEN f.context_window END ASC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = '-context' THEN f.context_window END DESC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = 'released' THEN f.release_date END ASC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = '-released' THEN f.release_date END DESC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = 'score' THEN s.score END DESC NULLS LAST,
         CASE WHEN CAST($sort AS TEXT) = '-score' THEN s.score END ASC NULLS LAST,
         f.model_key
LIMIT CAST($limit AS BIGINT) OFFSET CAST($offset AS BIGINT)
