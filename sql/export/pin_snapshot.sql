-- PostgreSQL: the first statement of an export's transaction, so that every row it streams (and
-- the snapshot id it reports) is the database as it was when it began, whatever is published meanwhile.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY
