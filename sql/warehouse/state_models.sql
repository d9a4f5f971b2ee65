-- The warehouse's models as the catalog run starts: the state this run builds on.
SELECT * FROM models
