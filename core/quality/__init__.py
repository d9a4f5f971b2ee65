"""Data quality without Dagster: the payload guard and profile, Great Expectations suites and table validations."""
