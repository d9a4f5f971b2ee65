"""Dated price snapshots (archive or git) and the price history built from them."""
