-- PostgreSQL: the first statement of a request's transaction, so that every query of the
-- request (and the snapshot id it reports) sees the database as it was when it began.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY
