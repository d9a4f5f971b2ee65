-- The monitor store being compacted, read-only: readers may keep reading, writers wait.
ATTACH $path AS old_store (READ_ONLY)
