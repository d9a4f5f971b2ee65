-- The integer columns of a curated table: pandas holds a nullable integer column as float
-- (64000.0), which COPY's text format refuses for INTEGER/BIGINT, so publish casts them first.
SELECT column_name
FROM information_schema.columns
WHERE table_schema = 'curated'
  AND table_name = %(table)s
  AND data_type IN ('smallint', 'integer', 'bigint')
