-- The warehouse's prices as the catalog run starts: the state this run builds on.
SELECT * FROM prices
