-- aisi doctor: the warehouse migrations yoyo recorded as applied in schema `curated`.
SELECT migration_id FROM curated._yoyo_migration
