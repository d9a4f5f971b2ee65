-- Every model's reference price (its creator's own offering), for the model list and detail.
SELECT model_key, price_type, usd_per_mtok, basis, provider_id, provider_model_id, source, source_kind AS badge,
       fetched_at, sources, min_usd_per_mtok, max_usd_per_mtok, spread
FROM reference_prices
ORDER BY model_key, price_type
