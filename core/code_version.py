"""The code version of the derived assets: a hash of the code and configuration they are
computed with. Dagster records it with each materialization; when it changes (an upgrade, an
edited alias file), everything derived is stale and the next refresh recomputes it, even if no
source changed."""

from __future__ import annotations

import functools
import hashlib

from core.paths import REPO_ROOT

# What the records, the merge, the warehouse commit and the snapshot are computed from.
DERIVATION_FILES = (
    "core/records.py", "core/identity.py", "core/folding.py", "core/billing.py",  # the record model and identity rules
    "core/sources/*.py", "core/parsing/*.py", "core/catalog/*.py", "core/quality/payload_*.py",  # parsers, merge, guard
    "core/stores/warehouse.py", "core/stores/commit.py", "pipelines/catalog/normalise.py", "pipelines/catalog/merge*.py", "pipelines/catalog/publish.py",
    "config/aliases.yaml", "config/billing.yaml", "config/model-defaults.json",  # not the monitor's or Dagster's files
    "sql/migrations/*.sql", "sql/warehouse/*.sql",
)


@functools.lru_cache(maxsize=None)
def derivation_version() -> str:
    """A short hash over the files of ``DERIVATION_FILES``, by path and content."""
    digest = hashlib.sha256()
    for pattern in DERIVATION_FILES:
        for path in sorted(REPO_ROOT.glob(pattern)):
            if path.is_file():
                digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
