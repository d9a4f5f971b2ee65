-- One table; {table} is a quoted schema.table identifier (psycopg.sql). VACUUM cannot run inside
-- a transaction block: the connection is in autocommit mode.
VACUUM (ANALYZE) {table}
