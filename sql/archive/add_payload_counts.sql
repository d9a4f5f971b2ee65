-- Archives made before the payload guard kept record counts: each column added when missing
-- (NULL for older fetches; the guard then measures the last good payload once).
ALTER TABLE fetches ADD COLUMN accepted INTEGER;
ALTER TABLE fetches ADD COLUMN prices INTEGER;
ALTER TABLE fetches ADD COLUMN rejected INTEGER;
ALTER TABLE fetches ADD COLUMN benchmarks INTEGER;
ALTER TABLE fetches ADD COLUMN profile TEXT;
