-- /api/v1/search?q=: models whose key, name or creator contains q; exact and prefix matches first.
SELECT model_key, creator, name, context_window, offerings_count, source_kind AS badge,
       CASE WHEN lower(model_key) = lower(CAST($q AS TEXT)) OR lower(coalesce(name, '')) = lower(CAST($q AS TEXT)) THEN 0
            WHEN strpos(lower(model_key), lower(CAST($q AS TEXT))) = strpos(lower(model_key), '/') + 1 THEN 1
            WHEN strpos(lower(coalesce(name, '')), lower(CAST($q AS TEXT))) = 1 THEN 1
            ELSE 2 END AS rank
FROM models
WHERE strpos(lower(model_key), lower(CAST($q AS TEXT))) > 0
   OR strpos(lower(coalesce(name, '')), lower(CAST($q AS TEXT))) > 0
ORDER BY rank, offerings_count DESC, model_key
LIMIT CAST($limit AS BIGINT)
