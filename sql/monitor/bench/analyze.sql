VACUUM (ANALYZE) availability_checks, availability_rollups
