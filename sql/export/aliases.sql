-- Export `aliases` (table model_aliases): every source id and the model key it maps to.
SELECT * FROM model_aliases
ORDER BY source COLLATE "C", provider_id COLLATE "C", source_id COLLATE "C"
