-- The lookup index (api.lookup): every catalog model with what a spelling can match (key, name)
-- and what search shows and ranks by.
SELECT model_key, creator, name, alias_of, context_window, offerings_count, source_kind AS badge
FROM models
ORDER BY model_key
