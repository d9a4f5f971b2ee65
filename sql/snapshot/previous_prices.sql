-- The price history of the latest snapshot, carried into the next one.
SELECT provider_id, provider_model_id, model_key, price_type, usd_per_mtok,
       source, source_kind, source_url, fetched_at, valid_from, valid_to
FROM prices
