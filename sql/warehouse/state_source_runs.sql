-- The warehouse's source_runs as the catalog run starts: the state this run builds on.
SELECT * FROM source_runs
