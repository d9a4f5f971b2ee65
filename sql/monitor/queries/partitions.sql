-- PostgreSQL: the day partitions of availability_checks, oldest first.
SELECT c.relname AS name
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = p.relnamespace
WHERE n.nspname = 'monitor' AND p.relname = 'availability_checks'
ORDER BY c.relname
