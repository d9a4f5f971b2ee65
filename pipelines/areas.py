"""The Dagster areas, each a folder under ``pipelines/`` with a ``definitions`` module of its own:
the root merges them (``pipelines.definitions``), and the catalog's step processes preload them."""

from __future__ import annotations

AREAS = ("catalog", "monitor", "notify", "maintenance", "history")


def definition_modules() -> list[str]:
    """The module of each area's ``Definitions``, in ``AREAS`` order."""
    return [f"pipelines.{area}.definitions" for area in AREAS]
