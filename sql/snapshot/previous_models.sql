-- The models of the latest snapshot: what changes compare with, and the rows carried while a removal is unconfirmed.
SELECT * FROM models
