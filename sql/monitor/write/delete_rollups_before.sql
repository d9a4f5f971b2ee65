-- Retention of the rollups (migrations/0005_rollups.sql), with the checks' own at the same UTC
-- midnight: a rollup lives exactly as long as the checks it sums.
DELETE FROM availability_rollups WHERE span_start < $cutoff
