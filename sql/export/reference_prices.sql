-- Export `reference_prices`: each model's price at its creator, with basis and spread.
SELECT * FROM reference_prices
ORDER BY model_key COLLATE "C", price_type COLLATE "C"
