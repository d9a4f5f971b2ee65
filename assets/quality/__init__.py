"""Data quality: Great Expectations suites run inside Dagster asset checks, and the payload guard.

Nothing here imports great_expectations at module level: GX is loaded the first time a check runs.
"""
