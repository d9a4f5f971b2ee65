"""Code location root. Cheap to import: the graph is built only when Dagster loads it."""

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from pipelines.catalog import build_definitions

    return build_definitions()
