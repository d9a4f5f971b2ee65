-- The lookup index (api.lookup): every source id and the model key it maps to.
SELECT source, source_id, provider_id, model_key
FROM model_aliases
ORDER BY source, provider_id, source_id
