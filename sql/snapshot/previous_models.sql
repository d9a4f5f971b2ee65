-- The models of the latest snapshot: what context / status changes and model_added compare with.
SELECT model_key, context_window, status FROM models
