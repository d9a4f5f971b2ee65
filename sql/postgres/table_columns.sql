-- A curated table's columns in order, with their types: pandas holds a nullable integer column
-- as float (64000.0), which COPY's text format refuses for INTEGER/BIGINT, so those are cast first.
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'curated' AND table_name = %(table)s
ORDER BY ordinal_position
