"""Dagster resources: thin configurable wrappers around the core's clients and stores."""
