"""Model lookups by any spelling: a model key, a source's id (OpenRouter's ``anthropic/claude-sonnet-4.5``,
Bedrock's ``anthropic.claude-sonnet-4-5-20250929-v1:0``), a display name, in any case and with any
separators; search that forgives the same; provider and creator filters in any case.

One ``LookupIndex`` per snapshot (models, ``model_aliases``, providers) is built once in memory
and answers every lookup in Python, so DuckDB and PostgreSQL answer alike.

Resolution order (the first step that finds something decides):

1. ``key``: the exact model key, then the key in any case;
2. ``alias``: a source id in ``model_aliases``, in any case;
3. ``normalised``: lower case with separators squeezed out (``gpt4o``, ``Claude Sonnet 4.5``)
   equal to a key (or its part after ``creator/``), then a source id, then a display name;
4. ``provider_prefix``: ``provider/id`` (``amazon-bedrock/anthropic.claude-...``,
   ``openrouter/openai/gpt-4o``): ``id`` resolved as above, that provider's ids first.

Several models at one step: the key match before the alias before the name, then the most
offerings, then the key; the others are listed as ``alternatives``.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, TypeVar

# Squeezed out by normalise: every separator (``.``, ``_``, space, ``-``, ``:``, brackets...);
# ``/`` (creator/model) and ``+`` (Command R+) carry meaning and stay.
_SEPARATORS = re.compile(r"[^a-z0-9/+]")
_WORD_SPLIT = re.compile(r"[\s,]+")
FUZZY_CUTOFF = 0.75  # difflib ratio for a search hit by similarity (a typo: gtp-4o)
SUGGEST_CUTOFF = 0.5  # and for a 404's suggestions when nothing better is found
MAX_ALTERNATIVES = 10
SUGGESTIONS = 5
# Search ranks: what ``match`` says for each.
MATCHES = ("exact", "prefix", "contains", "fuzzy")


def normalise(text: str) -> str:
    """Lower case, separators squeezed out: ``Claude Sonnet 4.5`` and ``claude-sonnet-4-5`` -> ``claudesonnet45``."""
    return _SEPARATORS.sub("", text.strip().lower())


def _words(text: str) -> list[str]:
    """The query's words, each normalised (``Llama 3.1 70b`` -> ``llama``, ``31``, ``70b``)."""
    return [w for w in (normalise(t) for t in _WORD_SPLIT.split(text)) if w]


@dataclass(frozen=True)
class Model:
    key: str
    name: str | None
    creator: str | None
    alias_of: str | None
    context_window: int | None
    offerings: int
    badge: str | None
    in_catalog: bool

    @property
    def part(self) -> str:
        """The model part of ``creator/model``."""
        return self.key.split("/", 1)[-1]

    def fields(self) -> tuple[str, ...]:
        """What search matches against, normalised: the key, its model part, the display name."""
        return tuple(f for f in (normalise(self.key), normalise(self.part), normalise(self.name or "")) if f)


@dataclass(frozen=True)
class Resolution:
    """What a spelling resolved to, and how."""

    asked: str
    model_key: str
    method: str  # key | alias | normalised | provider_prefix
    alternatives: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The fields a response carries to say so."""
        return {"resolved_from": self.asked, "model_key": self.model_key, "resolution": self.method,
                "alternatives": list(self.alternatives)}


@dataclass
class LookupIndex:
    """Every known model key of one snapshot and every spelling that leads to it."""

    models: dict[str, Model]
    by_lower_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_alias: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_alias_tail: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # after the last /
    by_provider_alias: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    by_norm_key: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_norm_alias: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_norm_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    providers: dict[str, str] = field(default_factory=dict)  # lower id, normalised id or name -> provider id
    creators: dict[str, str] = field(default_factory=dict)  # lower or normalised creator -> creator
    prefixes: set[str] = field(default_factory=set)  # provider ids and source names, lower case

    @classmethod
    def build(cls, models: Iterable[dict[str, Any]], aliases: Iterable[dict[str, Any]],
              other_keys: Iterable[str], providers: Iterable[dict[str, Any]]) -> "LookupIndex":
        """From the rows of ``lookup_models``, ``lookup_aliases``, ``lookup_keys`` and ``providers``."""
        provider_rows = list(providers)
        known: dict[str, Model] = {}
        for row in models:
            key = str(row["model_key"])
            known[key] = Model(key, row.get("name"), row.get("creator"), row.get("alias_of"), row.get("context_window"),
                               int(row.get("offerings_count") or 0), row.get("badge"), True)
        alias_rows = list(aliases)
        for key in [*(str(a["model_key"]) for a in alias_rows), *other_keys]:
            if key not in known:
                known[key] = Model(key, None, None, None, None, 0, None, False)
        index = cls(known)
        for model in known.values():
            index.by_lower_key[model.key.lower()].add(model.key)
            index.by_norm_key[normalise(model.key)].add(model.key)
            index.by_norm_key[normalise(model.part)].add(model.key)
            if model.name:
                index.by_norm_name[normalise(model.name)].add(model.key)
            creator = model.creator or model.key.split("/", 1)[0]
            for spelling in (creator.lower(), normalise(creator)):
                index.creators.setdefault(spelling, creator)
        for alias in alias_rows:
            source_id, key = str(alias["source_id"]), str(alias["model_key"])
            index.by_alias[source_id.lower()].add(key)
            if "/" in source_id:
                index.by_alias_tail[source_id.rsplit("/", 1)[1].lower()].add(key)
            index.by_norm_alias[normalise(source_id)].add(key)
            for owner in (alias.get("provider_id"), alias.get("source")):
                if owner:
                    index.by_provider_alias[(str(owner).lower(), source_id.lower())].add(key)
                    index.prefixes.add(str(owner).lower())
        for provider in provider_rows:
            provider_id = str(provider["provider_id"])
            index.prefixes.add(provider_id.lower())
            index.providers[provider_id.lower()] = provider_id
        for provider in provider_rows:
            provider_id = str(provider["provider_id"])
            for spelling in (normalise(provider_id), normalise(str(provider.get("name") or ""))):
                if spelling:
                    index.providers.setdefault(spelling, provider_id)
        return index

    # -- resolution ---------------------------------------------------------------------------

    def _order(self, keys: Iterable[str]) -> list[str]:
        """Most offerings first, catalog models before keys known only from other tables, then the key."""
        return sorted(keys, key=lambda k: (-self.models[k].offerings, not self.models[k].in_catalog, k))

    def _pick(self, asked: str, method: str, tiers: list[set[str]], catalog_only: bool) -> Resolution | None:
        ordered: list[str] = []
        for tier in tiers:
            in_scope = {k for k in tier if k in self.models and (self.models[k].in_catalog or not catalog_only)}
            ordered += [k for k in self._order(in_scope) if k not in ordered]
        if not ordered:
            return None
        return Resolution(asked, ordered[0], method, tuple(ordered[1:1 + MAX_ALTERNATIVES]))

    def _resolve(self, asked: str, text: str, catalog_only: bool, provider: str | None = None) -> Resolution | None:
        model = self.models.get(text)
        if model is not None and (model.in_catalog or not catalog_only):
            return Resolution(asked, text, "key")
        lower = text.lower()
        steps: list[tuple[str, list[set[str]]]] = [("key", [self.by_lower_key.get(lower, set())])]
        if provider is not None:
            steps.append(("alias", [self.by_provider_alias.get((provider, lower), set())]))
        steps.append(("alias", [self.by_alias.get(lower, set()), self.by_alias_tail.get(lower, set())]))
        norm = normalise(text)
        if norm:
            steps.append(("normalised", [self.by_norm_key.get(norm, set()), self.by_norm_alias.get(norm, set()),
                                         self.by_norm_name.get(norm, set())]))
        for method, tiers in steps:
            found = self._pick(asked, method, tiers, catalog_only)
            if found is not None:
                return found
        return None

    def resolve(self, asked: str, catalog_only: bool = True) -> Resolution | None:
        """The model ``asked`` names, or None. ``catalog_only``: only models in the catalog (``models``);
        otherwise also keys known from aliases, price history or benchmarks."""
        text = asked.strip()
        if not text:
            return None
        found = self._resolve(asked, text, catalog_only)
        if found is None and "/" in text:
            prefix, rest = text.split("/", 1)
            if prefix.lower() in self.prefixes and rest:
                inner = self._resolve(asked, rest, catalog_only, provider=prefix.lower())
                if inner is not None:
                    found = Resolution(asked, inner.model_key, "provider_prefix", inner.alternatives)
        return found

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        """Catalog models matching ``query``: exact spellings (rank 0), normalised prefixes (1), the
        normalised query or all its words inside the key or name (2); only when none of these
        matches, similar spellings (3, a typo). Within a rank: the resolved model, direct before
        word matches, the most offerings, then the key."""
        norm = normalise(query)
        if not norm:
            return []
        words = _words(query)
        resolved = self.resolve(query)
        lower = query.strip().lower()
        exact = self.by_lower_key.get(lower, set()) | self.by_alias.get(lower, set())
        exact |= self.by_norm_key.get(norm, set()) | self.by_norm_alias.get(norm, set()) | self.by_norm_name.get(norm, set())
        if resolved is not None:
            exact |= {resolved.model_key, *resolved.alternatives}
        catalog = [m for m in self.models.values() if m.in_catalog]
        found: list[tuple[tuple[Any, ...], Model, int]] = []
        for model in catalog:
            fields = model.fields()
            if model.key in exact:
                rank, direct = 0, True
            elif any(f.startswith(norm) for f in fields):
                rank, direct = 1, True
            elif any(norm in f for f in fields):
                rank, direct = 2, True
            elif len(words) > 1 and any(all(w in f for w in words) for f in fields):
                rank, direct = 2, False
            else:
                continue
            first = resolved is not None and model.key == resolved.model_key
            found.append(((rank, not first, not direct, -model.offerings, model.key), model, rank))
        if not found:  # a typo: the most similar spellings
            for model in catalog:
                similarity = max(_ratio(norm, f) for f in model.fields())
                if similarity >= FUZZY_CUTOFF:
                    found.append(((3, -similarity, -model.offerings, model.key), model, 3))
        found.sort(key=lambda item: item[0])
        return [self._item(model, rank) for _, model, rank in found[:limit]]

    @staticmethod
    def _item(model: Model, rank: int) -> dict[str, Any]:
        return {"model_key": model.key, "creator": model.creator, "name": model.name, "context_window": model.context_window,
                "offerings_count": model.offerings, "badge": model.badge, "alias_of": model.alias_of,
                "rank": rank, "match": MATCHES[rank]}

    def suggest(self, asked: str) -> list[dict[str, Any]]:
        """The nearest catalog models to a spelling that resolved to nothing (for a 404)."""
        found = self.search(asked, SUGGESTIONS)
        if not found:
            norm = normalise(asked)
            part = norm.split("/", 1)[-1]
            scored = []
            for model in self.models.values():
                if model.in_catalog:
                    similarity = max(_ratio(norm, normalise(model.key)), _ratio(part, normalise(model.part)))
                    if similarity >= SUGGEST_CUTOFF:
                        scored.append((-similarity, -model.offerings, model.key))
            found = [self._item(self.models[key], 3) for _, _, key in sorted(scored)[:SUGGESTIONS]]
        return [{"model_key": f["model_key"], "name": f["name"]} for f in found]

    # -- filters --------------------------------------------------------------------------------

    def provider(self, asked: str | None) -> str | None:
        """A provider filter in any case or spelling (``OpenAI``, ``Amazon Bedrock``) -> its id."""
        if asked is None:
            return None
        return self.providers.get(asked.strip().lower()) or self.providers.get(normalise(asked)) or asked.strip().lower()

    def creator(self, asked: str | None) -> str | None:
        """A creator filter in any case (``Meta``) -> the creator as the catalog spells it."""
        if asked is None:
            return None
        return self.creators.get(asked.strip().lower()) or self.creators.get(normalise(asked)) or asked.strip().lower()


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < SUGGEST_CUTOFF or matcher.quick_ratio() < SUGGEST_CUTOFF:
        return 0.0
    return matcher.ratio()


T = TypeVar("T")


class SnapshotCache(Generic[T]):
    """One value per snapshot id (an index, a table as dicts), built on first use (a snapshot
    never changes); the last few kept."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._items: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, snapshot_id: str, build: Callable[[], T]) -> T:
        with self._lock:
            index = self._items.get(snapshot_id)
            if index is None:
                index = build()
                self._items[snapshot_id] = index
                while len(self._items) > self.keep:
                    self._items.pop(next(iter(self._items)))
            return index


LookupCache = SnapshotCache[LookupIndex]
