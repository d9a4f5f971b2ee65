-- Export `providers`: every provider with its model and offering counts.
SELECT * FROM providers
ORDER BY provider_id COLLATE "C"
