-- The warehouse's offerings as the catalog run starts: the state this run builds on.
SELECT * FROM offerings
