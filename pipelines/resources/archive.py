"""The raw archive as a Dagster resource (the store itself is ``core.stores.archive``)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from core.paths import raw_dir
from core.stores.archive import RawArchive


class RawArchiveResource(ConfigurableResource):
    """Where raw payloads are archived; defaults to ``$AISI_HOME/raw``."""

    root: str | None = Field(default=None, description="Archive directory; default $AISI_HOME/raw.")

    def open(self) -> RawArchive:
        return RawArchive(Path(self.root) if self.root else raw_dir())
