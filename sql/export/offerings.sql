-- Export `offerings`: every model as served by a provider, with its billing kind.
SELECT * FROM offerings
ORDER BY provider_id COLLATE "C", provider_model_id COLLATE "C"
