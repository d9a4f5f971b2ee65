-- Retention in the embedded store (PostgreSQL drops whole day partitions instead).
DELETE FROM availability_checks WHERE checked_at < $cutoff
