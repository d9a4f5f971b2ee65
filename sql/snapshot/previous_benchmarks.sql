SELECT * FROM benchmarks
