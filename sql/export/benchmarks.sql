-- Export `benchmarks`: every score with its date (a new date adds a row).
SELECT * FROM benchmarks
ORDER BY model_key COLLATE "C", benchmark COLLATE "C", variant COLLATE "C", source COLLATE "C", as_of
