"""Normalise: source-native records into unified offerings and prices with provenance."""
