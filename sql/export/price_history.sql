-- Export `price_history`: every price row ever published, valid_from / valid_to (NULL = current).
SELECT * FROM prices
ORDER BY model_key COLLATE "C", provider_id COLLATE "C", provider_model_id COLLATE "C", price_type COLLATE "C",
         above_tokens, valid_from
