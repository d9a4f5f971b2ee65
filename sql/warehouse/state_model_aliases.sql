-- The warehouse's model_aliases as the catalog run starts: the state this run builds on.
SELECT * FROM model_aliases
