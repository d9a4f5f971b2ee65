"""Dagster resources: HTTP client, raw archive, warehouse (DuckDB snapshots, PostgreSQL)."""
