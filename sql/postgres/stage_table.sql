-- This run's state of a history table, staged beside it for the merge; gone at commit.
CREATE TEMP TABLE {staged} (LIKE {table}) ON COMMIT DROP
