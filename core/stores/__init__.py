"""Stores: the warehouse (system of record), snapshot exports, raw archive, monitor store, backfill store."""
