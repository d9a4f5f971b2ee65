-- /api/v1/status quality: per pair of sources, the offerings both price and how many they disagree on.
SELECT source_a, source_b, offerings_compared, disagreements, share, detected_at
FROM source_disagreements
ORDER BY source_a, source_b
