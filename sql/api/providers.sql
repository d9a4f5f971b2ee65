-- /api/v1/providers
SELECT provider_id, name, creator, models_count, offerings_count,
       source, source_kind AS badge, source_url, fetched_at
FROM providers
ORDER BY provider_id
