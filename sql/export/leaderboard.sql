-- Export `leaderboard` (a view): one row per benchmarked model, main scores, speed and blended price.
SELECT * FROM leaderboard
ORDER BY model_key COLLATE "C"
