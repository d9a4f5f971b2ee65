-- /api/v1/pricing and the prices of /api/v1/models/{model_key}: current prices (USD per 1M tokens),
-- long-context tiers as rows with above_tokens > 0, with the offering's billing (filter: billing).
SELECT model_key, provider_id, provider_model_id, price_type, above_tokens, usd_per_mtok, billing,
       source, source_kind AS badge, source_url, fetched_at, valid_from,
       count(*) OVER () AS total
FROM current_prices
WHERE (CAST($provider AS TEXT) IS NULL OR provider_id = CAST($provider AS TEXT))
  AND (CAST($model AS TEXT) IS NULL OR model_key = CAST($model AS TEXT))
  AND (CAST($billing AS TEXT) IS NULL OR billing = CAST($billing AS TEXT))
ORDER BY model_key, provider_id, provider_model_id, price_type, above_tokens
LIMIT CAST($limit AS BIGINT) OFFSET CAST($offset AS BIGINT)
