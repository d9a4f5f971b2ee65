-- Export `models`: every published model (listed or not) with its status and source.
SELECT * FROM models
ORDER BY model_key COLLATE "C"
