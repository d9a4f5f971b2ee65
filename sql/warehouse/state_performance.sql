-- The warehouse's performance as the catalog run starts: the state this run builds on.
SELECT * FROM performance
