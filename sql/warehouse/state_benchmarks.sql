-- The warehouse's benchmarks as the catalog run starts: the state this run builds on.
SELECT * FROM benchmarks
