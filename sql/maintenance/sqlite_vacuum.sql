-- Rewrites the raw archive's SQLite index into the pages it needs (after the prune).
VACUUM
