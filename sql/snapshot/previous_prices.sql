-- The price history of the latest snapshot, carried into the next one. A snapshot written
-- before long-context tiers (no above_tokens column) holds base prices: above_tokens 0.
SELECT provider_id, provider_model_id, model_key, price_type, coalesce(above_tokens, 0) AS above_tokens, usd_per_mtok,
       source, source_kind, source_url, fetched_at, valid_from, valid_to
FROM (SELECT * FROM prices UNION ALL BY NAME SELECT CAST(NULL AS BIGINT) AS above_tokens WHERE false) AS stored
