-- A current-state table (models, offerings, ...) is replaced whole inside the run's transaction:
-- readers see the old state or the new, never a mix. Placeholder: {table}.
DELETE FROM {table}
