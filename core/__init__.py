"""The Dagster-free core: records, identity, source specs and parsers, the fetch engine, stores, settings. Nothing here imports Dagster, the pipelines or the API."""
