"""Code location root. Cheap to import: the areas are imported and their definitions built only
when Dagster loads it. Each area (catalog, monitor, notify, maintenance, history) hands its own
``Definitions``, built on the one set of shared resources made here, and they are merged."""

from __future__ import annotations

import importlib

import dagster as dg

from pipelines.areas import definition_modules


def build_definitions() -> dg.Definitions:
    """Every area's definitions merged, on one shared set of resources."""
    from pipelines.resources.defaults import shared_resources

    shared = shared_resources()
    return dg.Definitions.merge(*(importlib.import_module(module).definitions(shared) for module in definition_modules()))


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
