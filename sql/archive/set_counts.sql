-- The counts of a fetch recorded before they were kept, measured later from its payload.
UPDATE fetches
SET entries = :entries, accepted = :accepted, prices = :prices, rejected = :rejected,
    benchmarks = :benchmarks, profile = :profile
WHERE id = :id
