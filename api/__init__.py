"""The read API (FastAPI). Reads published snapshots only; never imports Dagster."""
