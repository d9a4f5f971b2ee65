-- The lookup index (api.lookup): model keys outside the catalog that still have data
-- (price history of a removed model, benchmark scores of a model no source lists).
SELECT model_key FROM prices
UNION
SELECT model_key FROM benchmarks
ORDER BY model_key
