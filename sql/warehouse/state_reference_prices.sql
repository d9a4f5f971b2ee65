-- The warehouse's reference_prices as the catalog run starts: the state this run builds on.
SELECT * FROM reference_prices
