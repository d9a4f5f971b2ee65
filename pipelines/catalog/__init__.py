"""Catalog area: source, records, merge, warehouse and snapshot assets, their checks, the refresh job, cadences and automation."""
