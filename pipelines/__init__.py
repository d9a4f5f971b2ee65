"""The Dagster code location: lazy definitions, jobs, schedules and the `aisi` CLI."""
