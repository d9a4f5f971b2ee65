"""The payload guard: a fresh payload that parses but looks broken next to the source's last good
one is held back, and the source serves the last good payload (badge ``cached``) instead.

A source whose payload suddenly lists far fewer models, or whose records the normaliser
suddenly rejects, or which lost a field it always had, is more often broken (a truncated
listing, an error page that still parses, a renamed field, prices as text) than changed. Its
new payload is archived as ``held_back`` (never the "last good" payload later fallbacks use),
the source serves its last good payload with badge ``cached`` and the finding as its error,
and its records asset's ``payload_guard`` check warns. A sound payload again is accepted.

The findings, in the order they are reported (the first one is the source's error):

- ``sudden_drop``: more than the share of the entries (models) gone;
- ``shape_change``: a field present in at least 90 % of the last good payload's entries is in
  fewer than 50 % of the fresh one's (a renamed ``cost``, a lost ``id``);
- ``records_collapsed``: more than the share of the accepted offerings gone (prices as text,
  negative or NaN: every record rejected);
- ``rejects``: more than 50 % of the records rejected where the last good run had under 10 %;
- ``benchmarks_collapsed``: more than the share of the benchmark rows gone;
- ``prices_collapsed``: the offerings held but more than the share of the price rows went
  (beyond the share of offerings that went: the rows of a lost model are no collapse).

``AISI_DROP_GUARD_SHARE`` (default 0.2) is the share of entries, offerings, benchmark rows or
price rows a payload may lose before it is held back (a drop of more than 20 %); 1 turns the
guard off (to accept a real shrink or a real change of shape once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.quality.payload_profile import PayloadCounts, reject_kinds
from core.settings import settings

SHARE_VARIABLE = "AISI_DROP_GUARD_SHARE"
REJECTED_NOW = 0.5  # the share of records rejected that is "most" ...
REJECTED_BEFORE = 0.1  # ... when the last good run rejected fewer than this share
USUAL_FIELD = 0.9  # a field in at least this share of the last good payload's entries ...
LOST_FIELD = 0.5  # ... that is in fewer than this share of the fresh one's is lost
HELD_BACK = "new data held back"


def drop_guard_share() -> float:
    """The share a payload may lose: ``AISI_DROP_GUARD_SHARE`` or 0.2."""
    return settings().drop_guard_share


@dataclass(frozen=True)
class Finding:
    """Why a payload looks broken: ``rule`` (sudden_drop, shape_change, ...) and the text."""

    rule: str
    text: str


def _drop(new: int | None, old: int | None) -> float:
    """The share of ``old`` that is gone (0 when it held or grew, or either is unknown)."""
    if not old or new is None:
        return 0.0
    return max(0.0, (old - new) / old)


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _rejects_text(counts: PayloadCounts, limit: int = 2) -> str:
    """ "all 20 rejected: price not a number" or "15 of 20 rejected: 12 no model id, 3 ..." """
    rejected = counts.rejected or 0
    kinds = reject_kinds(counts.reject_reasons)
    if len(kinds) == 1:
        why = next(iter(kinds))
    else:
        shown = [f"{n} {kind}" for kind, n in list(kinds.items())[:limit]]
        why = ", ".join(shown) + (", ..." if len(kinds) > limit else "")
    head = f"all {rejected}" if rejected >= counts.entries else f"{rejected} of {counts.entries}"
    return f"{head} rejected: {why or 'no reason given'}"


@dataclass(frozen=True)
class PayloadCheck:
    """A fresh payload's counts against the last good payload's."""

    source: str
    fresh: PayloadCounts
    previous: PayloadCounts | None  # None when there is no last good payload
    threshold: float
    previous_fetched_at: str | None = None
    findings: tuple[Finding, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self._findings()))

    # -- the rules -----------------------------------------------------------------------------

    def _findings(self) -> list[Finding]:
        new, old, share = self.fresh, self.previous, self.threshold
        if old is None or not old.entries:
            return []
        found: list[Finding] = []
        if self.drop > share:
            found.append(Finding("sudden_drop", f"sudden drop: {new.entries} models vs {old.entries} in the last good run (-{_pct(self.drop)})"))
        lost = self.lost_fields
        if lost:
            parts = [f"field '{name}' in {_pct(now)} of entries vs {_pct(before)} in the last good run" if i == 0
                     else f"field '{name}' in {_pct(now)} vs {_pct(before)}" for i, (name, now, before) in enumerate(lost[:3])]
            more = f" (and {len(lost) - 3} more)" if len(lost) > 3 else ""
            found.append(Finding("shape_change", "shape change: " + ", ".join(parts) + more))
        if new.measured and old.measured:
            accepted_drop = _drop(new.accepted, old.accepted)
            if accepted_drop > share:
                why = _rejects_text(new) if new.rejected else f"-{_pct(accepted_drop)}"
                found.append(Finding("records_collapsed", f"records collapsed: {new.accepted} accepted vs {old.accepted} in the last good run ({why})"))
            now, before = new.reject_share, old.reject_share
            if now is not None and before is not None and now > REJECTED_NOW and before < REJECTED_BEFORE:
                found.append(Finding("rejects", f"records rejected: {_rejects_text(new)} ({_pct(now)} vs {_pct(before)} in the last good run)"))
            benchmark_drop = _drop(new.benchmarks, old.benchmarks)
            if benchmark_drop > share:
                found.append(Finding("benchmarks_collapsed", f"benchmarks collapsed: {new.benchmarks} scores vs {old.benchmarks} in the last good run (-{_pct(benchmark_drop)})"))
            # Prices lost beyond those of the lost offerings: one model fewer that had many
            # price types is not a collapse; offerings that held while their prices went are.
            price_drop = _drop(new.prices, old.prices)
            if price_drop - accepted_drop > share and accepted_drop <= share:
                found.append(Finding("prices_collapsed", (
                    f"prices collapsed: {new.prices} price rows vs {old.prices} in the last good run (-{_pct(price_drop)}) "
                    f"while offerings held ({new.accepted} vs {old.accepted}); shape change?")))
        return found

    @property
    def lost_fields(self) -> list[tuple[str, float, float]]:
        """(field, share now, share before) of each field the last good payload nearly always had
        and the fresh one mostly lacks; a lost object's own keys are not listed again."""
        if self.previous is None or self.previous.fields is None or self.fresh.fields is None:
            return []
        before, now = self.previous.fields, self.fresh.fields
        lost = {name: (now.get(name, 0.0), share) for name, share in before.items()
                if share >= USUAL_FIELD and now.get(name, 0.0) < LOST_FIELD}
        return [(name, *lost[name]) for name in sorted(lost, key=lambda n: (n.count("."), n))
                if "." not in name or name.split(".", 1)[0] not in lost]

    # -- what it means -------------------------------------------------------------------------

    @property
    def entries(self) -> int:
        return self.fresh.entries

    @property
    def previous_entries(self) -> int | None:
        return self.previous.entries if self.previous is not None else None

    @property
    def drop(self) -> float:
        """The share of the last good entry count that is gone (0 when it held or grew)."""
        return _drop(self.fresh.entries, self.previous_entries)

    @property
    def guard_on(self) -> bool:
        return self.threshold < 1

    @property
    def held_back(self) -> bool:
        """Whether the rules hold the fresh payload back (the fetch does, when it can serve the
        last good payload instead)."""
        return self.guard_on and bool(self.findings)

    @property
    def finding(self) -> str:
        """The first finding's text ("" when there is none)."""
        return self.findings[0].text if self.findings else ""

    @property
    def message(self) -> str:
        """The source's error text when its payload is held back."""
        return f"{self.finding}; {HELD_BACK}"

    def metadata(self) -> dict[str, Any]:
        new, old = self.fresh, self.previous
        return {
            "source": self.source,
            "new_count": new.entries,
            "previous_count": old.entries if old else None,
            "drop_share": round(self.drop, 4),
            "new_accepted": new.accepted,
            "previous_accepted": old.accepted if old else None,
            "new_prices": new.prices,
            "previous_prices": old.prices if old else None,
            "new_rejected": new.rejected,
            "previous_rejected": old.rejected if old else None,
            "new_benchmarks": new.benchmarks,
            "previous_benchmarks": old.benchmarks if old else None,
            "rejected_reasons": dict(reject_kinds(new.reject_reasons)),
            "lost_fields": [name for name, _, _ in self.lost_fields],
            "findings": [f"{f.rule}: {f.text}" for f in self.findings],
            "threshold_share": self.threshold,
            "held_back": self.held_back,
            "previous_fetched_at": self.previous_fetched_at,
        }


def check_payload(
    source: str, fresh: PayloadCounts, previous: PayloadCounts | None, previous_fetched_at: str | None = None,
    threshold: float | None = None,
) -> PayloadCheck:
    return PayloadCheck(source, fresh, previous, drop_guard_share() if threshold is None else threshold, previous_fetched_at)
