"""``WarehouseCommit``: what one run wrote to the warehouse (the ``warehouse`` asset's output)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WarehouseCommit:
    """What one run wrote: the snapshot id it publishes as, and per table the rows inserted
    and updated (replaced tables count their rows as inserted)."""

    snapshot_id: str
    location: str = ""
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
