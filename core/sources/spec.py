"""What every source module declares: its spec, a pure ``parse`` and a pure ``normalise``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from core.records import NormalisedBatch, Provenance
from core.sources import cadence as cadences
from core.settings import settings

# Which sources run: a comma-separated list of source names; unset or empty runs every source.
SOURCES_VARIABLE = "AISI_SOURCES"


def chosen_sources() -> set[str] | None:
    """The sources ``AISI_SOURCES`` names, or None when it is unset (every source runs)."""
    return settings().sources


def is_chosen(name: str) -> bool:
    chosen = chosen_sources()
    return chosen is None or name in chosen


# Merge priority of the badges, highest first (DESIGN.md, "Provenance and fallback").
BADGE_PRIORITY = ("manual", "api", "scraped", "aggregator", "cached", "config")


@dataclass(frozen=True)
class SourceSpec:
    """Where a source lives and how it is fetched.

    ``base_url`` is overridable by ``AISI_SOURCE_<ENV_NAME>_URL``; the source appends
    its own documented ``path`` to whatever base is configured.
    """

    name: str
    env_name: str
    kind: str  # the badge its fresh data carries
    base_url: str
    path: str
    cadence: str  # cron schedule of its refresh, as declared; ``schedule()`` is the one in effect
    timeout_s: float
    docs_url: str
    priority: int  # tie-break between sources of the same badge: lower wins
    key_env: tuple[str, ...] = ()  # environment variables that may hold its key, first set wins
    key_required: bool = True  # without a key the source is skipped (when key_env is set)
    paged: bool = False  # fetched page by page (module.next_url), archived as {"pages": [...]}
    page_cap: int = 50  # a listing longer than this many pages is treated as a failure ...
    truncate_at_cap: bool = False  # ... unless the source is too large to list whole (kept, with a note)
    rendered: bool = False  # a page rendered in the browser (Chromium), archived as its rendered HTML

    @property
    def url_variable(self) -> str:
        return f"AISI_SOURCE_{self.env_name}_URL"

    def url(self) -> str:
        base = settings().source_url(self.env_name) or self.base_url
        return base.rstrip("/") + self.path

    @property
    def cadence_variable(self) -> str:
        """Named after the source itself (sources sharing a base URL variable keep their own cadences)."""
        return f"AISI_SOURCE_{self.name.upper()}_CADENCE"

    def schedule(self) -> str:
        """The cron string (UTC) this source runs on: ``AISI_SOURCE_<NAME>_CADENCE`` when set
        (checked: a five-field cron that fires), else the spec's ``cadence`` ('' for none)."""
        override = settings().source_cadence(self.name.upper())
        if override is None:
            return self.cadence
        try:
            cadences.interval(override)
        except ValueError as exc:
            raise ValueError(f"{self.cadence_variable}: {exc}") from None
        return override

    def timeout(self) -> float:
        """Seconds per request; ``AISI_SOURCE_<ENV_NAME>_TIMEOUT`` overrides the spec."""
        value = settings().source_timeout(self.env_name)
        return value if value is not None else self.timeout_s


class SourceModule(Protocol):
    """A source module. Keyed and paged sources also define (pure, no I/O):

    - ``auth_headers(key) -> dict[str, str]``: the headers that carry the key;
    - ``first_url(url) -> str``: the first page's URL (page size parameters);
    - ``next_url(document, current_url) -> str | None``: the next page, from one page's JSON.
    """

    SPEC: SourceSpec

    def parse(self, payload: bytes) -> list[Any]: ...

    def normalise(self, entries: list[Any], provenance: Provenance) -> NormalisedBatch: ...


Parser = Callable[[bytes], list[Any]]
