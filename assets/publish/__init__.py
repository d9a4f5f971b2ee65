"""Publish: a DuckDB snapshot file and the PostgreSQL ``curated`` schema."""
