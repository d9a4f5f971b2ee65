-- A publish replaces the curated tables whole (history tables arrive with their history),
-- inside the publish transaction: readers see the old data or the new, never a mix.
DELETE FROM curated.providers;
DELETE FROM curated.models;
DELETE FROM curated.offerings;
DELETE FROM curated.prices;
DELETE FROM curated.source_runs;
DELETE FROM curated.publishes;
DELETE FROM curated.model_aliases;
DELETE FROM curated.performance;
DELETE FROM curated.benchmarks;
DELETE FROM curated.changes;
DELETE FROM curated.model_presence;
DELETE FROM curated.price_disagreements;
DELETE FROM curated.source_disagreements;
DELETE FROM curated.quarantine;
DELETE FROM curated.reference_prices;
