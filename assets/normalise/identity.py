"""Identity: map a source's (provider, model id) to our provider id and model key ``creator/model``.

Rules, in order: a namespace in the id (``meta-llama/...``, Bedrock ``anthropic.``),
model-name patterns (``claude*`` -> anthropic), a first-party provider (Sakana serving
its own models). The rules' data is ``config/aliases.yaml``. What no rule places keeps the
provider as its creator and is counted as unmatched (``method = 'provider'``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from resources.paths import CONFIG_DIR

# OpenRouter variant suffixes: the same model, another offering.
_VARIANT = re.compile(r":(free|beta|extended|nitro|floor|thinking|online|exacto)$")
# Bedrock: optional region prefix, vendor prefix, version suffix.
_BEDROCK = re.compile(r"^(?:(?:us|eu|apac|global|au|jp|ca|us-gov)\.)?([a-z0-9-]+)\.(.+?)(?:-v\d+(?::\d+)?)?(?::\d+)?$")
_BEDROCK_VENDORS = frozenset(
    {"anthropic", "meta", "amazon", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen", "writer", "stability", "twelvelabs", "moonshot", "minimax"}
)


@dataclass(frozen=True)
class Identity:
    provider_id: str
    model_key: str
    creator: str
    method: str  # namespace | first_party | pattern | provider (unmatched)

    @property
    def matched(self) -> bool:
        return self.method != "provider"


@dataclass(frozen=True)
class IdentityRules:
    providers: dict[str, str]
    creators: dict[str, str]
    noise: frozenset[str]
    noise_patterns: tuple[re.Pattern[str], ...]
    first_party: dict[str, str]
    patterns: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def load(cls, path: Path | None = None) -> "IdentityRules":
        data = yaml.safe_load((path or CONFIG_DIR / "aliases.yaml").read_text(encoding="utf-8"))
        return cls(
            providers={str(k).lower(): str(v) for k, v in (data.get("providers") or {}).items()},
            creators={str(k).lower(): str(v) for k, v in (data.get("creators") or {}).items()},
            noise=frozenset(str(n).lower() for n in data.get("noise_namespaces") or ()),
            noise_patterns=tuple(re.compile(p) for p in data.get("noise_patterns") or ()),
            first_party={str(k).lower(): str(v) for k, v in (data.get("first_party") or {}).items()},
            patterns=tuple((re.compile(p, re.IGNORECASE), str(c)) for p, c in data.get("creator_patterns") or ()),
        )

    def provider_id(self, name: str) -> str:
        key = name.strip().lower()
        return self.providers.get(key, key.replace("_", "-"))

    def creator_alias(self, namespace: str) -> str:
        key = namespace.strip().lower().lstrip("~")
        return self.creators.get(key, key)

    def is_noise(self, segment: str) -> bool:
        key = segment.lower().lstrip("~")
        return key in self.noise or any(p.search(key) for p in self.noise_patterns)

    def resolve(self, provider: str, model_id: str) -> Identity:
        """The identity of ``model_id`` as listed by ``provider`` (a source's provider name)."""
        provider_id = self.provider_id(provider)
        bare = _VARIANT.sub("", model_id.strip())
        creator: str | None = None
        method = "provider"

        segments = [s for s in bare.split("/") if s]
        name = segments[-1] if segments else bare
        own = {provider.strip().lower(), provider_id}
        for segment in segments[:-1]:
            if segment.lower() not in own and not self.is_noise(segment):
                creator, method = self.creator_alias(segment), "namespace"
                break

        bedrock = _BEDROCK.match(name.lower())
        if bedrock and bedrock.group(1) in _BEDROCK_VENDORS:
            name = bedrock.group(2)
            if creator is None:
                creator, method = self.creator_alias(bedrock.group(1)), "namespace"

        if creator is None:
            for pattern, who in self.patterns:
                if pattern.match(name):
                    creator, method = who, "pattern"
                    break
        if creator is None and provider_id in self.first_party:
            creator, method = self.first_party[provider_id], "first_party"
        if creator is None:
            creator = provider_id
        return Identity(provider_id=provider_id, model_key=f"{creator}/{name.lower()}", creator=creator, method=method)


@functools.lru_cache(maxsize=1)
def default_rules() -> IdentityRules:
    return IdentityRules.load()
