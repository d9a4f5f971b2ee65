"""What a payload amounts to, for the payload guard: how many entries it parsed into, how many
records the source's normaliser accepted (offerings, price rows, benchmark rows), how many it
rejected and why, and its field profile (the share of entries having each field).

The field profile covers each entry's top-level keys and, for fields holding an object, the keys
one level down (``pricing.prompt``, ``cost.input``); a key whose value is null counts as absent.
An entry is a JSON object, or a tuple whose last item is one (models.dev's
``(provider, info, model id, model)``); entries with no object (a CSV row) have no profile.
Only fields present in at least ``PROFILE_MIN_SHARE`` of the entries are kept: the guard asks
only about fields nearly every entry had, and the rest would only swell the archive index.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from core.records import NormalisedBatch, Provenance
from core.sources.spec import SourceModule

PROFILE_MIN_SHARE = 0.5
PROFILE_MAX_FIELDS = 400  # a safety cap: an object keyed by data (ids, regions) is not a shape


@dataclass(frozen=True)
class PayloadCounts:
    """One payload's counts. ``accepted`` and the rest are None when unknown (an archive record
    from before they were kept, whose payload could not be measured again)."""

    entries: int
    accepted: int | None = None  # offerings the normaliser kept
    prices: int | None = None  # price rows
    rejected: int | None = None  # records not used (each with a reason)
    benchmarks: int | None = None  # benchmark rows
    fields: Mapping[str, float] | None = None  # field -> share of entries having it
    reject_reasons: Mapping[str, int] = field(default_factory=dict)  # of this payload (not archived)

    @property
    def measured(self) -> bool:
        return self.accepted is not None

    @property
    def reject_share(self) -> float | None:
        """Rejected records as a share of the entries (at most 1); None when unknown."""
        if self.rejected is None:
            return None
        if not self.rejected:
            return 0.0
        return min(1.0, self.rejected / max(self.entries, self.rejected))


def _record_of(entry: Any) -> Mapping[str, Any] | None:
    if isinstance(entry, Mapping):
        return entry
    if isinstance(entry, (tuple, list)) and entry and isinstance(entry[-1], Mapping):
        return entry[-1]
    return None


def field_profile(entries: Iterable[Any]) -> dict[str, float]:
    """Field -> share of the entries having it (non-null), rounded to 4 places; fields below
    ``PROFILE_MIN_SHARE`` are left out, and at most ``PROFILE_MAX_FIELDS`` are kept."""
    counts: dict[tuple[str, ...], int] = {}  # (field,) or (field, key one level down)
    total = 0
    for entry in entries:
        total += 1
        record = _record_of(entry)
        if record is None:
            continue
        for key, value in record.items():
            if value is None:
                continue
            counts[(key,)] = counts.get((key,), 0) + 1
            if isinstance(value, dict):
                for sub, inner in value.items():
                    if inner is not None:
                        counts[(key, sub)] = counts.get((key, sub), 0) + 1
    if not total:
        return {}
    kept = sorted(((".".join(map(str, path)), count / total) for path, count in counts.items()
                   if count / total >= PROFILE_MIN_SHARE), key=lambda item: -item[1])
    return {name: round(share, 4) for name, share in sorted(kept[:PROFILE_MAX_FIELDS])}


_QUOTED = re.compile(r"""(:\s*)?('[^']*'|"[^"]*")""")


_GENERIC = "unparseable field: "  # the normalisers' prefix for a field that raised


def reason_kind(reason: str) -> str:
    """A reject reason without the quoted value it names and the generic prefix, so that
    "unparseable field: price not a number: 'two'" and "...: 'three'" are one kind,
    "price not a number"."""
    kind = _QUOTED.sub("", reason).strip(" :")
    return kind.removeprefix(_GENERIC) or reason


def reject_kinds(reasons: Mapping[str, int]) -> dict[str, int]:
    """Reject reasons grouped by kind, most frequent first."""
    kinds: Counter[str] = Counter()
    for reason, count in reasons.items():
        kinds[reason_kind(reason)] += count
    return dict(kinds.most_common())


def counts_of(entries: list[Any], batch: NormalisedBatch) -> PayloadCounts:
    return PayloadCounts(
        entries=len(entries),
        accepted=len(batch.offerings),
        prices=len(batch.prices),
        rejected=len(batch.rejects),
        benchmarks=len(batch.benchmarks),
        fields=field_profile(entries),
        reject_reasons=batch.reject_reasons,
    )


def measure(module: SourceModule, entries: list[Any], provenance: Provenance) -> PayloadCounts:
    """Normalises ``entries`` (pure: no I/O) and counts what the source would contribute.
    Whatever the normaliser raises propagates: the payload is unusable."""
    return counts_of(entries, module.normalise(entries, provenance))
