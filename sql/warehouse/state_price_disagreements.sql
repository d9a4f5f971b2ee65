-- The warehouse's price_disagreements as the catalog run starts: the state this run builds on.
SELECT * FROM price_disagreements
