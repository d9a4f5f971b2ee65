-- The disagreements of the latest snapshot: a disagreement also found there is not new.
-- A snapshot written before long-context tiers (no above_tokens column): above_tokens 0.
SELECT provider_id, provider_model_id, model_key, price_type, coalesce(above_tokens, 0) AS above_tokens,
       source_a, source_b, value_a, value_b, detected_at
FROM (SELECT * FROM price_disagreements UNION ALL BY NAME SELECT CAST(NULL AS BIGINT) AS above_tokens WHERE false) AS stored
