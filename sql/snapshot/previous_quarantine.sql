-- The quarantine of the latest snapshot: when each quarantined value was first seen.
SELECT * FROM quarantine
