"""Identity: map a source's (provider, model id) to our provider id and model key ``creator/model``.

Resolution, step by step (the data of every step is ``config/aliases.yaml``):

1. Split the id: drop a router variant (``:free``), read the path's namespaces
   (``meta-llama/...``), skipping hosting noise (``accounts/fireworks/models``) and the
   provider's own name; a Bedrock/OCI vendor prefix (``us.anthropic.``) is a namespace too.
2. Clean the name: lower case, ``@``/``:``/``_`` separators, Fireworks' ``3p1`` for ``3.1``.
3. Provider rewrites: a provider's own naming (Databricks' ``databricks-`` prefix, Groq's
   ``-versatile``) turned back into the model's name.
4. Who made it: namespace, then a creator's name leading the model name
   (``openai-gpt-4o``), then model-name patterns (``claude*``), then the provider's own
   namespace or a first-party provider. Nothing found: the provider stands in as creator
   and the identity is ``unmatched``.
5. Canonical name: version numbers with dots (``gemini-2-5`` -> ``gemini-2.5``), then the
   creator's rewrites (``llama3`` -> ``llama-3``; Anthropic's ``claude-sonnet-4.5`` -> ``-4-5``).
6. The explicit alias section maps what rules cannot decide.

``Identity.method`` is ``exact`` (the source id already is or ends with the key),
``rule``, ``alias_file`` or ``unmatched``; ``Identity.rule`` says which rule placed the creator.
Dated snapshots (and numbered stable versions, ``-001``) stay distinct models; ``family_alias``
names the family alias they belong to. What needs every source's keys at once (a ``-latest``
pointer or a serving suffix folded onto its base model) is ``core/folding.py``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Collection

from core.paths import CONFIG_DIR
from core.yaml_files import load_yaml

EXACT = "exact"
RULE = "rule"
ALIAS_FILE = "alias_file"
UNMATCHED = "unmatched"
METHODS = (EXACT, RULE, ALIAS_FILE, UNMATCHED)

# Router variants (OpenRouter ``:free``, nano-gpt ``:thinking``): the same model, another offering.
_VARIANT = re.compile(r":(free|beta|extended|nitro|floor|thinking|online|exacto|web)$", re.IGNORECASE)
# A thinking budget or API revision as a bare number (``:8192``): not part of the model's name.
_NUMERIC_TAG = re.compile(r":\d+$")
# Bedrock's revision syntax, also seen without the vendor prefix (``claude-...-20250929-v1:0``).
_VERSIONED_REVISION = re.compile(r"-v\d+:\d+$")
# A Bedrock / OCI style vendor prefix, with an optional cross-region inference prefix.
_VENDOR = re.compile(r"^(?:(?:us|eu|apac|global|au|jp|ca|us-gov)\.)?([a-z0-9-]+)\.(.+)$")
# Bedrock's API revision after a vendor-prefixed name: ``-v1:0``, ``-1:0``, ``-v2:1``.
_BEDROCK_REVISION = re.compile(r"-(v?)(\d+):(\d+)$")
_BEDROCK_V1 = re.compile(r"-v1$")
_DATE8 = re.compile(r"-20\d{6}$")
# Name cleaning.
_DIGIT_UNDERSCORE_DIGIT = re.compile(r"(?<=\d)_(?=\d)")
_DIGIT_P_DIGIT = re.compile(r"(?<=\d)p(?=\d)")
_DASHES = re.compile(r"-{2,}")
# Versions written with dashes (``3-1``, ``2-9-2``): a 1-2 digit major number not glued to
# another number, then single digits, each part ending at a dash or the end. Dates
# (``2024-08-06``, ``08-2024``, ``05-20``) never match: their parts have two digits.
_DASHED_VERSION = re.compile(r"(?<![\d.])([1-9]\d?|0)((?:-\d)+)(?=-|$)")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Identity:
    provider_id: str
    model_key: str
    creator: str
    method: str  # exact | rule | alias_file | unmatched
    rule: str = ""  # the rule that placed the creator: namespace, vendor_prefix, creator_prefix, pattern, ...

    @property
    def matched(self) -> bool:
        return self.method != UNMATCHED


@dataclass(frozen=True)
class Rewrite:
    """A regex substitution on a model name (lower case)."""

    pattern: re.Pattern[str]
    replacement: str

    def apply(self, name: str) -> str:
        return self.pattern.sub(self.replacement, name)


def _squeeze(text: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", text.lower())


def _lower_keys(mapping: dict[Any, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (mapping or {}).items()}


def _patterns(pairs: list[Any] | None) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.IGNORECASE), str(c)) for p, c in pairs or ())


def _lower_set(values: list[Any] | None) -> frozenset[str]:
    return frozenset(str(v).lower() for v in values or ())


def _rewrites(mapping: dict[Any, Any] | None) -> dict[str, tuple[Rewrite, ...]]:
    return {str(k).lower(): tuple(Rewrite(re.compile(p), str(r)) for p, r in pairs) for k, pairs in (mapping or {}).items()}


@dataclass(frozen=True)
class IdentityRules:
    providers: dict[str, str]
    creators: dict[str, str]
    noise: frozenset[str]
    noise_patterns: tuple[re.Pattern[str], ...]
    first_party: dict[str, str]
    patterns: tuple[tuple[re.Pattern[str], str], ...]
    provider_patterns: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = field(default_factory=dict)
    vendor_prefixes: frozenset[str] = frozenset()
    namespace_schemes: tuple[str, ...] = ()
    path_namespaces: frozenset[str] = frozenset()
    path_providers: frozenset[str] = frozenset()
    path_task_segments: frozenset[str] = frozenset()
    provider_rewrites: dict[str, tuple[Rewrite, ...]] = field(default_factory=dict)
    creator_rewrites: dict[str, tuple[Rewrite, ...]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    # Derived: the creator patterns as one regex (first alternative wins, as in the list);
    # creator names that may lead a model name (``openai-gpt-4o``); the answers so far
    # (a refresh resolves the same ids again and again).
    _any_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _prefixes: dict[str, str] = field(init=False, repr=False, compare=False)
    _cache: dict[tuple[str, str], Identity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        union = "|".join(f"(?P<p{i}>{pattern.pattern})" for i, (pattern, _) in enumerate(self.patterns))
        object.__setattr__(self, "_any_pattern", re.compile(union or "(?!)", re.IGNORECASE))
        object.__setattr__(self, "_prefixes", {**{c: c for c in self._creator_ids()}, **self.creators})
        object.__setattr__(self, "_cache", {})

    @classmethod
    def load(cls, path: Path | None = None) -> "IdentityRules":
        data = load_yaml(path or CONFIG_DIR / "aliases.yaml")
        return cls(
            providers=_lower_keys(data.get("providers")),
            creators=_lower_keys(data.get("creators")),
            noise=_lower_set(data.get("noise_namespaces")),
            noise_patterns=tuple(re.compile(p) for p in data.get("noise_patterns") or ()),
            first_party=_lower_keys(data.get("first_party")),
            patterns=_patterns(data.get("creator_patterns")),
            provider_patterns={str(k).lower(): _patterns(v) for k, v in (data.get("provider_patterns") or {}).items()},
            vendor_prefixes=_lower_set(data.get("vendor_prefixes")),
            namespace_schemes=tuple(str(s).lower() for s in data.get("namespace_schemes") or ()),
            path_namespaces=_lower_set(data.get("path_namespaces")),
            path_providers=_lower_set(data.get("path_providers")),
            path_task_segments=_lower_set(data.get("path_task_segments")),
            provider_rewrites=_rewrites(data.get("provider_rewrites")),
            creator_rewrites=_rewrites(data.get("creator_rewrites")),
            aliases=_lower_keys(data.get("aliases")),
        )

    # -- names ---------------------------------------------------------------------------

    def provider_id(self, name: str) -> str:
        key = name.strip().lower()
        return self.providers.get(key, key.replace("_", "-"))

    def creator_alias(self, namespace: str) -> str:
        key = namespace.strip().lower().lstrip("~").replace("_", "-")
        return self.creators.get(key, key)

    def is_noise(self, segment: str) -> bool:
        key = segment.lower().lstrip("~")
        return key in self.noise or any(p.search(key) for p in self.noise_patterns)

    def _creator_ids(self) -> set[str]:
        return {c for _, c in self.patterns} | set(self.creators.values()) | set(self.first_party.values())

    def _is_own(self, segment: str, provider: str, provider_id: str) -> bool:
        return self.provider_id(segment) == provider_id or _squeeze(segment) in (_squeeze(provider), _squeeze(provider_id))

    def _is_noise_or_own(self, segment: str, provider: str, provider_id: str) -> bool:
        return self.is_noise(segment) or self._is_own(segment, provider, provider_id)

    def _strip_scheme(self, segment: str) -> str:
        lowered = segment.lower()
        for scheme in self.namespace_schemes:
            if lowered.startswith(scheme):
                return segment[len(scheme) :]
        return segment

    # -- resolution ----------------------------------------------------------------------

    def resolve(self, provider: str, model_id: str) -> Identity:
        """The identity of ``model_id`` as listed by ``provider`` (a source's provider name)."""
        cache_key = (provider, model_id)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._cache[cache_key] = self._resolve(provider, model_id)
        return found

    def _resolve(self, provider: str, model_id: str) -> Identity:
        provider_id = self.provider_id(provider)
        source_id = model_id.strip()
        name, creator, rule = self.name_and_creator(provider, provider_id, source_id)
        if creator is None:
            # The provider stands in as creator, in the creator's one spelling (abacus: abacusai).
            stand_in = self.creator_alias(provider_id)
            return Identity(provider_id, f"{stand_in}/{name}", stand_in, UNMATCHED, "")
        key = f"{creator}/{self.canonical_name(name, creator)}"
        aliased = self.aliases.get(key)
        if aliased:
            return Identity(provider_id, aliased, aliased.split("/", 1)[0], ALIAS_FILE, "alias")
        method = EXACT if source_id == key or source_id.endswith("/" + key) else RULE
        return Identity(provider_id, key, creator, method, rule)

    def name_and_creator(self, provider: str, provider_id: str, source_id: str) -> tuple[str, str | None, str]:
        """The cleaned model name, its creator (None: unmatched) and the rule that placed it."""
        segments = [s for s in _VARIANT.sub("", source_id).split("/") if s] or [source_id]
        namespaces, name, host = self.split_path(segments, provider, provider_id)
        creator, rule, own = self.creator_from_namespaces(namespaces, provider, provider_id)

        vendor, name = self.split_vendor_prefix(name)
        if vendor and creator is None:
            creator, rule = self.creator_alias(vendor), "vendor_prefix"

        name = self.provider_rewritten(provider_id, clean_name(name))
        name, prefix_creator = self.strip_creator_prefix(name, creator)
        if creator is None and prefix_creator:
            creator, rule = prefix_creator, "creator_prefix"
        if creator is None:
            creator, rule = self.creator_from_patterns(name, self.provider_patterns.get(provider_id, ()))
        if creator is None and own:
            creator, rule = self.first_party.get(provider_id, provider_id), "own_namespace"
        if creator is None and host:
            creator, rule = self.creator_alias(host), "path_namespace"
        if creator is None and provider_id in self.first_party:
            creator, rule = self.first_party[provider_id], "first_party"
        return name, creator, rule

    def split_path(self, segments: list[str], provider: str, provider_id: str) -> tuple[list[str], str, str | None]:
        """(namespaces, model name, path host): the last segment is the name, except in an
        endpoint path (``fal-ai/flux/schnell``) where all after the host is, minus task segments."""
        start, host = None, None
        if provider_id in self.path_providers:
            start = 0
            while start < len(segments) - 1 and self._is_noise_or_own(segments[start], provider, provider_id):
                start += 1
        else:
            for index, segment in enumerate(segments[:-1]):
                if segment.lower() in self.path_namespaces:
                    start, host = index + 1, segment
                    break
        if start is None:
            return segments[:-1], segments[-1], None
        parts = [s for s in segments[start:] if s.lower() not in self.path_task_segments] or segments[-1:]
        namespaces = segments[: start - 1] if host else segments[:start]
        return namespaces, "-".join(parts), host

    def creator_from_namespaces(self, namespaces: list[str], provider: str, provider_id: str) -> tuple[str | None, str, bool]:
        """The first namespace that names a creator; also whether the provider's own name was one."""
        own = False
        for raw in namespaces:
            segment = self._strip_scheme(raw)
            if self.is_noise(segment):
                continue
            if self._is_own(segment, provider, provider_id):
                own = True
                continue
            return self.creator_alias(segment), "namespace", own
        return None, "", own

    def split_vendor_prefix(self, name: str) -> tuple[str | None, str]:
        """``us.anthropic.claude-...-v1:0`` -> (``anthropic``, ``claude-...``); the API revision is dropped."""
        lowered = name.lower()
        match = _VENDOR.match(lowered)
        if not match or match.group(1) not in self.vendor_prefixes:
            return None, name
        return match.group(1), strip_bedrock_revision(match.group(2))

    def provider_rewritten(self, provider_id: str, name: str) -> str:
        for rewrite in self.provider_rewrites.get(provider_id, ()):
            name = rewrite.apply(name)
        return name

    def creator_from_patterns(self, name: str, first: tuple[tuple[re.Pattern[str], str], ...] = ()) -> tuple[str | None, str]:
        """The creator of the first pattern matching the start of ``name`` (``first`` are tried first)."""
        for pattern, who in first:
            if pattern.match(name):
                return who, "pattern"
        match = self._any_pattern.match(name)
        if match is None or match.lastgroup is None:
            return None, ""
        return self.patterns[int(match.lastgroup[1:])][1], "pattern"

    def strip_creator_prefix(self, name: str, creator: str | None) -> tuple[str, str | None]:
        """``openai-gpt-4o`` -> (``gpt-4o``, ``openai``) when what follows the creator's name is
        itself recognised as that creator's model; ``mistral-large`` stays as it is. The
        longest leading creator name wins (``meta-llama-`` is tried before ``meta-``)."""
        for cut in [i for i, ch in enumerate(name) if ch == "-"][::-1]:
            who = self._prefixes.get(name[:cut])
            if who is None or creator not in (None, who):
                continue
            rest = name[cut + 1 :]
            if rest and self.creator_from_patterns(rest)[0] == who:
                return rest, who
        return name, None

    def canonical_name(self, name: str, creator: str) -> str:
        name = dotted_versions(name)
        for rewrite in self.creator_rewrites.get(creator, ()):
            name = rewrite.apply(name)
        return name


# -- pure helpers ------------------------------------------------------------------------


def strip_bedrock_revision(name: str) -> str:
    """Bedrock appends an API revision: ``-v1:0`` and ``-1:0`` go; ``-v2:0`` keeps ``-v2``
    (Titan Embeddings V2 is another model than V1) unless a date already names the snapshot;
    ``claude-v2:1`` (Claude 2.1) keeps both numbers. A bare ``-v1`` goes as well."""
    match = _BEDROCK_REVISION.search(name)
    if match:
        v, major, minor = match.groups()
        head = name[: match.start()]
        if major == "1" or (v and _DATE8.search(head)):
            return head if minor == "0" else f"{head}-{v}{major}-{minor}"
        return f"{head}-{v}{major}" + ("" if minor == "0" else f"-{minor}")
    return _BEDROCK_V1.sub("", name)


def clean_name(name: str) -> str:
    """Lower case; ``@`` (Vertex snapshots), ``:`` (size tags) and ``_`` become ``-``, except
    ``3_1`` and Fireworks' ``3p1`` which are ``3.1``; a numeric ``:8192`` tag goes."""
    name = name.strip().lower()
    name = strip_bedrock_revision(name) if _VERSIONED_REVISION.search(name) else _NUMERIC_TAG.sub("", name)
    name = _DIGIT_UNDERSCORE_DIGIT.sub(".", name)
    name = _DIGIT_P_DIGIT.sub(".", name)
    name = name.replace("@", "-").replace(":", "-").replace("_", "-")
    return _DASHES.sub("-", name).strip("-")


def dotted_versions(name: str) -> str:
    """Version numbers with dots: ``gemini-2-5-pro`` -> ``gemini-2.5-pro``, ``llama3-1`` ->
    ``llama3.1``. Creators who write them otherwise (Anthropic) have a rewrite back."""
    return _DASHED_VERSION.sub(lambda m: m.group(1) + m.group(2).replace("-", "."), name)


# Dated snapshot suffixes: (regex on the model name, how to read the date's parts).
_SNAPSHOT_SUFFIXES = (
    (re.compile(r"-(\d{4})-(\d{2})-(\d{2})$"), "ymd"),  # gpt-4o-2024-08-06
    (re.compile(r"-(20\d{2})(\d{2})(\d{2})$"), "ymd"),  # claude-sonnet-4-20250514
    (re.compile(r"-(\d{2})(\d{2})(\d{2})$"), "yymmdd"),  # doubao-seed-1-6-250615
    (re.compile(r"-(\d{2})-(20\d{2})$"), "my"),  # command-r-plus-08-2024
    (re.compile(r"-(\d{2})(\d{2})$"), "yymm|mmdd"),  # mistral-large-2411, gpt-4-0613
    (re.compile(r"-(\d{2})-(\d{2})$"), "mmdd"),  # gemini-2.5-flash-preview-05-20
    (re.compile(r"-00([1-9])$"), "revision"),  # gemini-2.0-flash-001, Vertex's mistral-small-2503@001
)


def _is_date(parts: tuple[str, ...], layout: str) -> bool:
    numbers = [int(p) for p in parts]

    def valid(year: int, month: int, day: int = 1) -> bool:
        try:
            date(year, month, day)
        except ValueError:
            return False
        return 2022 <= year <= 2030

    if layout == "revision":
        return True  # a numbered stable version pins a model the way a date does
    if layout == "ymd":
        return valid(*numbers)
    if layout == "yymmdd":
        return valid(2000 + numbers[0], numbers[1], numbers[2])
    if layout == "my":
        return valid(numbers[1], numbers[0])
    if layout == "mmdd":
        return valid(2024, numbers[0], numbers[1])
    return valid(2000 + numbers[0], numbers[1]) or valid(2024, numbers[0], numbers[1])  # yymm|mmdd


def snapshot_family(model_key: str) -> str | None:
    """The key without its date suffix (``openai/gpt-4o-2024-08-06`` -> ``openai/gpt-4o``) or its
    numbered stable version (``google/gemini-2.0-flash-001`` -> ``google/gemini-2.0-flash``), or None."""
    head, slash, name = model_key.rpartition("/")
    for pattern, layout in _SNAPSHOT_SUFFIXES:
        match = pattern.search(name)
        if match and match.start() > 0 and _is_date(match.groups(), layout):
            return f"{head}{slash}{name[: match.start()]}"
    return None


def family_alias(model_key: str, known_keys: Collection[str] | None = None) -> str | None:
    """The family alias a dated snapshot belongs to (its ``alias_of``), or None.

    ``openai/gpt-4o-2024-08-06`` -> ``openai/gpt-4o``; ``anthropic/claude-sonnet-4-20250514``
    -> ``anthropic/claude-sonnet-4``; ``cohere/command-r-plus-08-2024`` ->
    ``cohere/command-r-plus``. A ``-latest`` key is an alias itself (None). With
    ``known_keys`` (the published keys) only a family that exists is returned, or else its
    ``-latest`` alias (``mistral/mistral-large-2411`` -> ``mistral/mistral-large-latest``).
    """
    family = snapshot_family(model_key)
    if family is None or known_keys is None:
        return family
    if family in known_keys:
        return family
    latest = f"{family}-latest"
    return latest if latest in known_keys else None


@functools.lru_cache(maxsize=1)
def default_rules() -> IdentityRules:
    return IdentityRules.load()
