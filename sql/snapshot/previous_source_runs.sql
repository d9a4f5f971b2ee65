SELECT * FROM source_runs
