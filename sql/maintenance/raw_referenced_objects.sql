-- Every payload hash a remaining fetch refers to: the objects to keep.
SELECT DISTINCT sha256 FROM fetches WHERE sha256 IS NOT NULL
