VACUUM (ANALYZE) availability_checks
