"""Folding: one key per model across all sources, decided once every source's keys are known.

Identity (``identity.py``) resolves each source id on its own. Some keys only turn out to
name another key's model once all sources are seen together; those are folded onto it:

1. What a source says: OpenRouter's ``alias_target`` (a ``~anthropic/claude-opus-latest``
   router alias is the model it points at now) and its ``canonical_slug`` when that names the
   model in full rather than a dated snapshot (``meta-llama/llama-4-maverick`` is
   ``llama-4-maverick-17b-128e-instruct``; a dated canonical slug stays its own model).
2. Pointer suffixes (``-latest``): folded onto the family's key when that is published.
3. Serving suffixes (``-maas``, ``@default``, ``-TEE``, ``-hf``, ``-free``...): how a provider
   serves a model, folded onto the name without them whether or not that is published yet,
   so the key does not change when another source starts listing the base model.

Folding rewrites ``model_key`` (and ``creator``) in every batch's offerings, prices,
performance and benchmarks; the offering keeps its ``provider_model_id`` (``x-maas``, ``x:free``
stay offerings of their own, of the base model) and its ``identity_method`` becomes
``folded``, so ``model_aliases`` records every folded spelling with that method. Dated snapshots
and numbered versions are not folded: they stay models linked by ``alias_of``.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterable

import pandas as pd

from core.identity import snapshot_family
from core.paths import CONFIG_DIR
from core.records import LINK_COLUMNS, NormalisedBatch
from core.yaml_files import load_yaml

FOLDED = "folded"
# Why a key was folded (the order is the order of precedence).
ROUTER_ALIAS = "router_alias"
CANONICAL_SLUG = "canonical_slug"
POINTER = "pointer"
SERVING_SUFFIX = "serving_suffix"
KINDS = (ROUTER_ALIAS, CANONICAL_SLUG, POINTER, SERVING_SUFFIX)


@dataclass(frozen=True)
class Fold:
    """``key`` is folded onto ``target`` (the final key, after chains) because of ``kind``."""

    key: str
    target: str
    kind: str


@dataclass(frozen=True)
class FoldingRules:
    pointer_suffixes: frozenset[str]
    serving_suffixes: frozenset[str]

    @classmethod
    def load(cls, path: Path | None = None) -> "FoldingRules":
        data = load_yaml(path or CONFIG_DIR / "aliases.yaml")
        section = data.get("folding") or {}
        return cls(
            pointer_suffixes=frozenset(str(s).lower() for s in section.get("pointer_suffixes") or ()),
            serving_suffixes=frozenset(str(s).lower() for s in section.get("serving_suffixes") or ()),
        )

    def strip_suffixes(self, key: str) -> tuple[str, bool, bool]:
        """(key without trailing pointer / serving parts, a pointer was stripped, a serving part was)."""
        creator, slash, name = key.partition("/")
        parts = name.split("-")
        pointer = serving = False
        # The rest must still name a model: `fireworks-ai/fireworks-ai-default` (a tariff) stays.
        while len(parts) > 1 and "-".join(parts[:-1]) != creator:
            if parts[-1] in self.pointer_suffixes:
                pointer = True
            elif parts[-1] in self.serving_suffixes:
                serving = True
            else:
                break
            parts.pop()
        return f"{creator}{slash}{'-'.join(parts)}", pointer, serving


@functools.lru_cache(maxsize=1)
def default_folding_rules() -> FoldingRules:
    return FoldingRules.load()


def fold_map(
    published: Collection[str],
    links: pd.DataFrame | None = None,
    rules: FoldingRules | None = None,
    others: Iterable[str] = (),
) -> dict[str, Fold]:
    """Key -> where it folds, for the ``published`` keys (the offerings') and ``others`` (keys
    only benchmarks name). ``links`` are the batches' source links (LINK_COLUMNS plus
    ``model_key``, the offering's key)."""
    rules = rules or default_folding_rules()
    published = set(published)
    direct: dict[str, tuple[str, str]] = {}
    if links is not None and not links.empty:
        for relation, kind in (("alias_target", ROUTER_ALIAS), ("canonical_slug", CANONICAL_SLUG)):
            for row in links[links["relation"] == relation].itertuples():
                key, target = str(row.model_key), str(row.target_key)
                if key == target or key in direct:
                    continue
                if kind == CANONICAL_SLUG and not (
                    target in published and snapshot_family(target) is None and snapshot_family(key) is None
                ):
                    continue  # a dated canonical slug is the snapshot the id points at: its own model
                direct[key] = (target, kind)
    pointers: list[tuple[str, str]] = []
    for key in sorted(published | set(others)):
        if key in direct:
            continue
        base, pointer, serving = rules.strip_suffixes(key)
        if base == key:
            continue
        if pointer:
            pointers.append((key, base))
        else:
            direct[key] = (base, SERVING_SUFFIX)
    # A pointer folds onto a family published under its own key or reached by a fold
    # (`x-maas` makes `x` a key); alone it stays a key of its own.
    landed = {target for target, _ in direct.values()} | (published - direct.keys())
    for key, base in pointers:
        if base in landed:
            direct[key] = (base, POINTER)
    return {key: Fold(key, _final(key, direct), kind) for key, (_, kind) in direct.items()}


def _final(key: str, direct: dict[str, tuple[str, str]]) -> str:
    """Follows folds to the end (a router alias onto ``y-maas``, that onto ``y``); a cycle stops."""
    seen = {key}
    target = direct[key][0]
    while target in direct and target not in seen:
        seen.add(target)
        target = direct[target][0]
    return target


def batch_links(batches: Iterable[NormalisedBatch]) -> pd.DataFrame:
    """Every batch's source links with the linked offering's model key."""
    frames = []
    for batch in batches:
        links = _links_of(batch)
        if links.empty or batch.offerings.empty:
            continue
        keys = batch.offerings[["provider_id", "provider_model_id", "model_key"]]
        frames.append(links[LINK_COLUMNS].merge(keys, on=["provider_id", "provider_model_id"], how="inner"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LINK_COLUMNS + ["model_key"])


def fold_batches(batches: list[NormalisedBatch], rules: FoldingRules | None = None) -> list[NormalisedBatch]:
    """The batches with every folded key replaced by its target (new batches; the given ones are
    not changed). Folding folded batches again changes nothing."""
    published = {k for b in batches for k in b.offerings["model_key"]}
    scored = {k for b in batches for k in b.benchmarks["model_key"]}
    folds = fold_map(published, batch_links(batches), rules, others=scored)
    if not folds:
        return list(batches)
    mapping = {key: fold.target for key, fold in folds.items()}
    return [_folded(batch, mapping) for batch in batches]


def _folded(batch: NormalisedBatch, mapping: dict[str, str]) -> NormalisedBatch:
    def rekey(frame: pd.DataFrame, method_column: str | None = None) -> pd.DataFrame:
        if frame.empty:
            return frame
        moved = frame["model_key"].isin(mapping.keys())
        if not moved.any():
            return frame
        frame = frame.copy()
        frame.loc[moved, "model_key"] = frame.loc[moved, "model_key"].map(mapping)
        if "creator" in frame:
            frame.loc[moved, "creator"] = frame.loc[moved, "model_key"].str.split("/", n=1).str[0]
        if method_column:
            frame.loc[moved, method_column] = FOLDED
        return frame

    benchmarks = rekey(batch.benchmarks, "identity_method")
    if not benchmarks.empty:
        # Two spellings scored on one day: the unfolded spelling's score stands.
        order = (benchmarks["identity_method"] == FOLDED).astype(int)
        benchmarks = (
            benchmarks.assign(_folded=order)
            .sort_values("_folded", kind="stable")
            .drop_duplicates(["model_key", "benchmark", "variant", "source", "as_of"], keep="first")
            .drop(columns="_folded")
            .sort_index()
        )
    return dataclasses.replace(
        batch,
        offerings=rekey(batch.offerings, "identity_method"),
        prices=rekey(batch.prices),
        performance=rekey(batch.performance),
        benchmarks=benchmarks,
        links=_links_of(batch),
    )


def _links_of(batch: NormalisedBatch) -> pd.DataFrame:
    """The batch's source links; a batch stored before links existed has none."""
    links = getattr(batch, "links", None)
    return links if links is not None else pd.DataFrame(columns=LINK_COLUMNS)
