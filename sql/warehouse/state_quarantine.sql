-- The warehouse's quarantine as the catalog run starts: the state this run builds on.
SELECT * FROM quarantine
