-- /api/v1/pricing/compare: one model's base prices (long-context tiers only flagged) side by
-- side, one row per offering (provider and its id for the model): metered offerings first,
-- cheapest input first; plan and free-tier offerings after them (their 0 is not a price).
-- Parameter: model.
SELECT provider_id, provider_model_id, billing,
       max(CASE WHEN price_type = 'input' AND above_tokens = 0 THEN usd_per_mtok END) AS input_usd_per_mtok,
       max(CASE WHEN price_type = 'output' AND above_tokens = 0 THEN usd_per_mtok END) AS output_usd_per_mtok,
       max(CASE WHEN price_type = 'cached_input' AND above_tokens = 0 THEN usd_per_mtok END) AS cached_input_usd_per_mtok,
       bool_or(above_tokens > 0) AS has_long_context_tiers,
       min(source) AS source, min(source_kind) AS badge, max(fetched_at) AS fetched_at
FROM current_prices
WHERE model_key = CAST($model AS TEXT)
GROUP BY provider_id, provider_model_id, billing
ORDER BY CASE WHEN billing = 'metered' THEN 0 ELSE 1 END,
         max(CASE WHEN price_type = 'input' AND above_tokens = 0 THEN usd_per_mtok END) ASC NULLS LAST,
         provider_id, provider_model_id
