-- Export `performance`: time to first token, latency, throughput and uptime per offering, each
-- measurement with its time (a changed figure adds a row).
SELECT * FROM performance
ORDER BY provider_id COLLATE "C", provider_model_id COLLATE "C", metric COLLATE "C", percentile COLLATE "C",
         source COLLATE "C", measured_at
