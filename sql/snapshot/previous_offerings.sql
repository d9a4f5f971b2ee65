-- The offerings of the latest snapshot: carried for models whose removal is unconfirmed.
SELECT * FROM offerings
