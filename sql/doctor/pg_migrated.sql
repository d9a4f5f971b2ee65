-- aisi doctor: whether schema `curated` exists and yoyo ever migrated it (its log table).
SELECT (SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'curated') AS has_schema,
       to_regclass('curated._yoyo_migration') IS NOT NULL AS has_log
