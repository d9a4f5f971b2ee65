"""The duplicate share: published model keys that are the same model as another published key
with no link between them (neither ``alias_of`` the other, nor in one ``alias_of`` family).

    python -m core.catalog.duplicate_figure [REFERENCE_DIR]

prints it on the reference data (``identity_report.REFERENCE_FILES``) before any folding and
after (the merged catalog's models), with the count per kind and examples.

The detector is deliberately independent of the folding rules (``folding.py``) so the figure
is not circular: it has its own, broader idea of "same model under another name". Two keys
are the same model when, after lower-casing, dropping trailing parts that never make another
model (pointers, serving suffixes, free tiers, numbered revisions: ``SAME_MODEL_SUFFIXES``)
and every non-alphanumeric character,

- (unless both pick a version and not the same one: ``-001`` and ``-002``, ``-latest`` and
  ``-stable``)
- their creators are one creator (the same letters, up to a trailing ``ai`` / ``labs``:
  ``abacus`` and ``abacusai``) and their names are equal, also with the creator's name dropped
  where a name repeats it (``meta/meta-llama-3-8b`` and ``meta/llama-3-8b``) or with the
  name's dash-separated words in another order (``claude-haiku-3`` and ``claude-3-haiku``); or
- their creators differ and their whole names are equal and name a model, i.e. carry a
  version or size (a digit): ``codellama/codellama-34b-instruct`` is ``meta/codellama-34b-instruct``.
  A name without one (``auto``, ``free``, ``container``) is a role every router or tool gives
  its own product, and a bare version (``deepseek-v3`` / ``ideogram-v3``) only matches once
  its creator is dropped, which is allowed within one creator only.

Quantised builds (``-fp8``) and dated snapshots are different models by the catalog's rules and
are not stripped; dated snapshots are linked by ``alias_of`` anyway.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import pandas as pd

from core.catalog.identity_report import REFERENCE_FILES, load_batches, reference_argument
from core.identity import default_rules, family_alias
from core.records import NormalisedBatch

# Trailing name parts that never make another model. Broader than folding's lists on purpose.
SAME_MODEL_SUFFIXES = frozenset(
    {
        "latest", "current", "stable",  # pointers (selectors)
        "maas", "default", "tee", "hf", "original", "cloud", "serverless", "ondemand", "provisioned",  # serving
        "free",  # a free tier
    }
)
_REVISION = re.compile(r"^00\d$")  # gemini-2.0-flash-001 (a selector)
_POINTERS = frozenset({"latest", "current", "stable"})
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
_CREATOR_SUFFIX = re.compile(r"(ai|labs)$")

POINTER = "pointer (-latest)"
SERVING = "serving suffix"
FREE = "free tier"
REVISION = "numbered version"
CREATOR = "creator spelling"
WORD_ORDER = "word order"
SPELLING = "other spelling"


def _squeeze(text: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", text.lower())


def creator_spelling(creator: str) -> str:
    """A creator's letters without a trailing ``ai`` / ``labs`` (``abacusai`` -> ``abacus``)."""
    squeezed = _squeeze(creator)
    stripped = _CREATOR_SUFFIX.sub("", squeezed)
    return stripped if len(stripped) >= 3 else squeezed


def _parts(model_key: str) -> tuple[list[str], tuple[str, ...]]:
    """(the model name's dash-separated parts without same-model suffixes; the suffixes dropped)."""
    _, _, name = model_key.lower().partition("/")
    parts = [p for p in name.lstrip("~").split("-") if p]
    dropped: list[str] = []
    while len(parts) > 1 and (parts[-1] in SAME_MODEL_SUFFIXES or _REVISION.match(parts[-1])):
        dropped.append(parts.pop())
    return parts, tuple(dropped)


def stripped_name(model_key: str) -> tuple[str, tuple[str, ...]]:
    """(the model name without same-model suffixes, squeezed; the suffixes dropped)."""
    parts, dropped = _parts(model_key)
    return _squeeze("-".join(parts)), dropped


def word_bag(model_key: str) -> str:
    """The name's parts in sorted order: ``claude-haiku-3`` and ``claude-3-haiku`` are one bag."""
    parts, _ = _parts(model_key)
    return "-".join(sorted(_squeeze(p) for p in parts))


def _without_creator(creator: str, squeezed: str) -> str:
    for spelling in {_squeeze(creator), creator_spelling(creator)}:
        if spelling and squeezed.startswith(spelling) and len(squeezed) > len(spelling):
            return squeezed[len(spelling) :]
    return squeezed


@dataclass(frozen=True)
class DuplicatePair:
    a: str
    b: str
    kind: str


@dataclass
class DuplicateFigure:
    keys: int
    duplicate_keys: set[str]
    pairs: list[DuplicatePair]
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return len(self.duplicate_keys) / self.keys if self.keys else 0.0


def _roots(models: pd.DataFrame) -> dict[str, str]:
    """Each key's family root through ``alias_of`` (a snapshot's root is its family)."""
    parent = {str(k): (str(a) if isinstance(a, str) and a else None) for k, a in zip(models["model_key"], models["alias_of"])}

    def root(key: str) -> str:
        seen = {key}
        while parent.get(key) and parent[key] not in seen:
            key = parent[key]
            seen.add(key)
        return key

    return {key: root(key) for key in parent}


def _kind(a: str, b: str) -> str:
    if a.split("/", 1)[0] != b.split("/", 1)[0]:
        return CREATOR
    dropped = set(stripped_name(a)[1]) | set(stripped_name(b)[1])
    if "latest" in dropped or "current" in dropped or "stable" in dropped:
        return POINTER
    if "free" in dropped:
        return FREE
    if dropped and all(_REVISION.match(d) for d in dropped):
        return REVISION
    if dropped:
        return SERVING
    return WORD_ORDER if word_bag(a) == word_bag(b) and stripped_name(a)[0] != stripped_name(b)[0] else SPELLING


def duplicate_pairs(model_keys: Iterable[str]) -> list[DuplicatePair]:
    """Every pair of keys the detector takes for one model (links not considered)."""
    same_creator: dict[tuple[str, str], set[str]] = defaultdict(set)
    whole_name: dict[str, set[str]] = defaultdict(set)
    for key in set(model_keys):
        creator = key.split("/", 1)[0]
        name, _ = stripped_name(key)
        same_creator[(creator_spelling(creator), _without_creator(creator, name))].add(key)
        same_creator[(creator_spelling(creator), "bag:" + word_bag(key))].add(key)
        if re.search(r"\d", name) and re.search(r"[a-z]", name):
            whole_name[name].add(key)
    pairs: set[tuple[str, str]] = set()
    for group in same_creator.values():
        ordered = sorted(group)
        pairs.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    for group in whole_name.values():
        ordered = sorted(group)
        pairs.update(
            (x, y)
            for i, x in enumerate(ordered)
            for y in ordered[i + 1 :]
            if creator_spelling(x.split("/", 1)[0]) != creator_spelling(y.split("/", 1)[0])
        )
    return [DuplicatePair(a, b, _kind(a, b)) for a, b in sorted(pairs) if not _other_selectors(a, b)]


def _selectors(model_key: str) -> frozenset[str]:
    return frozenset(d for d in stripped_name(model_key)[1] if d in _POINTERS or _REVISION.match(d))


def _other_selectors(a: str, b: str) -> bool:
    """Both keys pick a version, and not the same one: ``-001`` / ``-002``, ``-latest`` / ``-stable``
    are two versions (``x`` and ``x-001``, ``x-maas`` and ``x-tee`` are one model)."""
    sa, sb = _selectors(a), _selectors(b)
    return bool(sa) and bool(sb) and sa != sb


def duplicate_figure(models: pd.DataFrame) -> DuplicateFigure:
    """The figure for a published ``models`` table (``model_key``, ``alias_of``)."""
    roots = _roots(models)
    unlinked = [p for p in duplicate_pairs(roots) if roots[p.a] != roots[p.b]]
    keys = {k for p in unlinked for k in (p.a, p.b)}
    by_kind: dict[str, int] = defaultdict(int)
    for pair in unlinked:
        by_kind[pair.kind] += 1
    return DuplicateFigure(keys=len(roots), duplicate_keys=keys, pairs=unlinked, by_kind=dict(by_kind))


def unfolded_models(batches: Iterable[NormalisedBatch]) -> pd.DataFrame:
    """The models the catalog would publish without folding: the offerings' keys as identity
    resolved them, each dated snapshot ``alias_of`` its family (as ``merge._models`` does)."""
    keys = sorted({k for b in batches for k in b.offerings["model_key"]})
    known = set(keys)
    return pd.DataFrame({"model_key": keys, "alias_of": [family_alias(k, known) for k in keys]})


def merged_models(batches: list[NormalisedBatch]) -> pd.DataFrame:
    """The models the merge publishes from these batches (folding included)."""
    from core.catalog.merge import merge_catalog  # the core layer above; only this figure needs it

    priority = {name: module.SPEC.priority for name, (module, _) in REFERENCE_FILES.items()}
    return merge_catalog(batches, priority, default_rules().first_party, today=date(2026, 8, 1)).models


def _print(title: str, figure: DuplicateFigure, examples: int) -> None:
    print(f"{title}: {len(figure.duplicate_keys)} of {figure.keys} published model keys are the same model as another "
          f"key without a link: {figure.share:.2%}")
    for kind, count in sorted(figure.by_kind.items(), key=lambda item: -item[1]):
        shown = [f"{p.a} = {p.b}" for p in figure.pairs if p.kind == kind][:examples]
        print(f"    {kind}: {count} pair(s)" + ("; e.g. " if shown else ""))
        for line in shown:
            print(f"        {line}")


def main(argv: list[str] | None = None) -> int:
    reference = reference_argument(argv)
    if reference is None:
        return 2
    started = time.perf_counter()
    batches = list(load_batches(reference).values())
    before = duplicate_figure(unfolded_models(batches))
    after = duplicate_figure(merged_models(batches))
    print(f"duplicate share on {reference}")
    _print("before folding (baseline)", before, 4)
    _print("after folding (published)", after, 10)
    print(f"(computed in {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
