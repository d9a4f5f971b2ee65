-- /api/v1/models/{model_key}: who serves it, under which id.
SELECT provider_id, provider_model_id, name, context_window, max_output, input_modalities, output_modalities,
       deprecation_date, status, billing, identity_method, source, source_kind AS badge, source_url, fetched_at
FROM offerings
WHERE model_key = CAST($model_key AS TEXT)
ORDER BY provider_id, provider_model_id
