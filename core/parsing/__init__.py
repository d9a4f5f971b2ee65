"""Shared parsing helpers for the source modules (JSON payloads, paged APIs, HTML tables, pricing pages); sources use only their public names."""
