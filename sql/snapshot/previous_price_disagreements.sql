-- The disagreements of the latest snapshot: a disagreement also found there is not new.
SELECT provider_id, provider_model_id, model_key, price_type, source_a, source_b, value_a, value_b, detected_at
FROM price_disagreements
