-- /api/v1/pricing/history: every price row of a model (history and current), USD per 1M tokens.
-- Parameters: model (required), provider, price_type.
SELECT model_key, provider_id, provider_model_id, price_type, above_tokens, usd_per_mtok,
       source, source_kind AS badge, source_url, fetched_at, valid_from, valid_to,
       valid_to IS NULL AS current
FROM prices
WHERE model_key = CAST($model AS TEXT)
  AND (CAST($provider AS TEXT) IS NULL OR provider_id = CAST($provider AS TEXT))
  AND (CAST($price_type AS TEXT) IS NULL OR price_type = CAST($price_type AS TEXT))
ORDER BY provider_id, provider_model_id, price_type, above_tokens, valid_from
