-- /api/v1/models/{model_key}: the model itself.
SELECT model_key, creator, name, family, context_window, max_output, input_modalities, output_modalities,
       release_date, open_weights, deprecation_date, offerings_count, providers_count,
       status, status_date, status_source, alias_of, listed, unlisted_since,
       source, source_kind AS badge, source_url, fetched_at
FROM models
WHERE model_key = CAST($model_key AS TEXT)
