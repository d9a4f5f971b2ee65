-- Export `prices`: the current prices (view current_prices), USD per 1M tokens, with the
-- long-context tier (above_tokens, 0 = base price) and the offering's billing.
SELECT * FROM current_prices
ORDER BY model_key COLLATE "C", provider_id COLLATE "C", provider_model_id COLLATE "C", price_type COLLATE "C",
         above_tokens, valid_from
