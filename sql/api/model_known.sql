-- Whether a model key is known: in the catalog now, or in the price history.
SELECT model_key FROM models WHERE model_key = CAST($model AS TEXT)
UNION
SELECT model_key FROM prices WHERE model_key = CAST($model AS TEXT)
LIMIT 1
