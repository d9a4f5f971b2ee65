-- Export `quarantine`: source prices held out of the publish, with rule and reason.
SELECT * FROM quarantine
ORDER BY provider_id COLLATE "C", provider_model_id COLLATE "C", price_type COLLATE "C", above_tokens,
         source COLLATE "C", rule COLLATE "C"
