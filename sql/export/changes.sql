-- Export `changes`: the whole change feed, oldest first (the order it was written in).
SELECT * FROM changes
ORDER BY detected_at, run_id COLLATE "C", kind COLLATE "C", model_key COLLATE "C",
         provider_id COLLATE "C" NULLS LAST, provider_model_id COLLATE "C" NULLS LAST, field COLLATE "C" NULLS LAST,
         old COLLATE "C" NULLS LAST, new COLLATE "C" NULLS LAST, source COLLATE "C" NULLS LAST
