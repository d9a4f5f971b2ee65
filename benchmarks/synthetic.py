"""Synthetic catalog sources for the scale benchmark: ``scale`` times today's public catalog.

One seeded generator makes three payloads in the formats the real sources serve, so the real
parsers read them unchanged:

- models.dev ``/api.json``: ``{provider_id: {id, name, doc, models: {model_id: {cost, limit,
  modalities, release_date, ...}}}}``, costs USD per 1M tokens (about 147 providers x 36 models
  at 1x, the real file's 5.3k entries);
- OpenRouter ``/api/v1/models``: ``{data: [{id: "creator/model", pricing: {prompt: "0.0000025",
  ...}, ...}]}``, prices USD per token as strings, ``"0"`` for ``:free`` variants, ``"-1"`` for a
  router (about 340 entries at 1x);
- LiteLLM's cost map: ``{"provider/model": {litellm_provider, input_cost_per_token, ...}}``, USD per
  token as floats (about 2.9k entries at 1x, a third of them offerings models.dev lists too).

At 1x that is about 7.5k offerings, like today's three sources; at ``scale`` s there are s times
the providers (models per provider and their shapes stay the same), so 10x and 100x are about 75k
and 750k offerings. Model ids look like real ones: creators with families, versions, sizes,
variants and release dates in several spellings (``-2025-03-14``, ``-20250314``, ``-0314``), the
same model listed by many providers under the provider's own spelling (``creator/model``,
``creator.model-v1:0``, ``accounts/<provider>/models/model``). Some prices are free (0, where the
source says so) and some unknown (no cost at all), as in the real payloads.

``python -m benchmarks.synthetic --scale 1 --out DIR`` writes the three files for a look.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

SEED = 14

# Per 1x: what today's three sources hold (the reference files of benchmarks.SOURCES).
MODELS_DEV_PROVIDERS = 147
MODELS_PER_PROVIDER = 36  # mean; the real spread is 1 to 600, drawn below
OPENROUTER_ENTRIES = 336
LITELLM_PROVIDERS = 123
LITELLM_ENTRIES = 2900
CREATORS = 60  # model creators at 1x; each has families with versions and sizes

_SYLLABLES = ("ar", "bel", "cor", "da", "el", "fen", "gra", "hal", "is", "jun", "ka", "lum", "mer", "nov", "or", "pax",
              "qui", "ral", "syn", "tor", "ul", "vex", "wen", "xi", "yar", "zen")
_FAMILY_WORDS = ("nova", "lumen", "atlas", "orion", "sage", "pulse", "echo", "vector", "titan", "quill", "ember", "helix",
                 "comet", "prism", "aurora", "falcon", "cedar", "zephyr", "onyx", "rune")
_VARIANTS = ("", "", "", "-instruct", "-chat", "-turbo", "-mini", "-pro", "-flash", "-lite", "-vision", "-coder",
             "-reasoning", "-preview")
_SIZES = ("", "", "1b", "3b", "7b", "8b", "14b", "32b", "70b", "123b", "235b-a22b", "405b")
_CONTEXTS = (4096, 8192, 16384, 32768, 65536, 128000, 131072, 200000, 262144, 1000000, 1048576)


@dataclass(frozen=True)
class Model:
    creator: str
    slug: str  # the creator's own id: ``lumen-3.1-70b-instruct`` or ``nova-2-pro-2025-03-14``
    name: str
    family: str
    released: date
    context: int
    max_output: int
    input_usd: float | None  # USD per 1M input tokens; None: unknown
    output_usd: float | None
    cached_usd: float | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    open_weights: bool


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts))


def _price(rng: random.Random) -> tuple[float | None, float | None, float | None]:
    """(input, output, cached input) in USD per 1M tokens: log-uniform from $0.02 to $30, output 1-8x
    input, cached a tenth; 6 % free (0: the source says free), 7 % unknown (None)."""
    draw = rng.random()
    if draw < 0.06:
        return 0.0, 0.0, None
    if draw < 0.13:
        return None, None, None
    base = round(10 ** rng.uniform(-1.7, 1.5), 4)
    output = round(base * rng.choice((1, 2, 3, 4, 5, 8)), 4)
    cached = round(base / 10, 5) if rng.random() < 0.4 else None
    return base, output, cached


def models(scale: float, seed: int = SEED) -> list[Model]:
    """The model universe: ``CREATORS * scale`` creators, each with families x versions x sizes."""
    rng = random.Random(seed)
    creators = max(1, round(CREATORS * scale))
    found: list[Model] = []
    seen: set[tuple[str, str]] = set()
    for c in range(creators):
        creator = f"{_word(rng, 2)}-ai" if c % 3 else f"{_word(rng, 3)}{c}"
        for _ in range(rng.randint(1, 4)):
            family = f"{rng.choice(_FAMILY_WORDS)}{_word(rng, 1) if rng.random() < 0.5 else ''}"
            major = rng.randint(1, 5)
            for minor in range(rng.randint(1, 4)):
                version = f"{major}" if minor == 0 else f"{major}.{minor}"
                released = date(2023, 1, 1) + timedelta(days=rng.randint(0, 1300))
                for _ in range(rng.randint(1, 3)):
                    size, variant = rng.choice(_SIZES), rng.choice(_VARIANTS)
                    slug = f"{family}-{version}" + (f"-{size}" if size else "") + variant
                    dated = rng.random()
                    if dated < 0.15:
                        slug += f"-{released.isoformat()}"
                    elif dated < 0.25:
                        slug += f"-{released:%Y%m%d}"
                    elif dated < 0.30:
                        slug += f"-{released:%m%d}"
                    if (creator, slug) in seen:
                        continue
                    seen.add((creator, slug))
                    input_usd, output_usd, cached_usd = _price(rng)
                    context = rng.choice(_CONTEXTS)
                    image_out = variant == "" and rng.random() < 0.03
                    found.append(Model(
                        creator=creator, slug=slug, name=slug.replace("-", " ").title(), family=family, released=released,
                        context=context, max_output=min(context, rng.choice((4096, 8192, 16384, 32768, 65536))),
                        input_usd=input_usd, output_usd=output_usd, cached_usd=cached_usd,
                        inputs=("text", "image") if variant == "-vision" or rng.random() < 0.3 else ("text",),
                        outputs=("image",) if image_out else ("text",), open_weights=bool(size),
                    ))
    return found


def _provider_spelling(rng: random.Random) -> str:
    """How a provider spells the models it serves (one style per provider, as real ones do)."""
    return rng.choice(("plain", "plain", "plain", "creator/", "creator/", "bedrock", "accounts", "upper"))


def _spell(style: str, provider: str, model: Model) -> str:
    if style == "creator/":
        return f"{model.creator}/{model.slug}"
    if style == "bedrock":
        return f"{model.creator.split('-')[0]}.{model.slug}-v1:0"
    if style == "accounts":
        return f"accounts/{provider}/models/{model.slug}"
    if style == "upper":
        return f"{model.creator}/{'-'.join(p.capitalize() for p in model.slug.split('-'))}"
    return model.slug


def _served(rng: random.Random, universe: list[Model], count: int) -> list[Model]:
    """``count`` distinct models a provider serves: popular ones (the first creators' recent
    models) more often, as open-weight models are served everywhere."""
    count = min(count, len(universe))
    picked: dict[int, Model] = {}
    while len(picked) < count:
        index = int(len(universe) * rng.random() ** 1.6)  # skewed toward the front
        picked.setdefault(index, universe[index])
    return list(picked.values())


def _per_mtok(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _per_token(value: float | None) -> float | None:
    return None if value is None else float(f"{value / 1e6:.6g}")


def _per_token_text(value: float | None) -> str:
    if value is None:
        return "-1"
    return "0" if value == 0 else f"{value / 1e6:.10f}".rstrip("0")


@dataclass
class Catalog:
    """The three payloads (JSON bytes) and how many entries each holds."""

    models_dev: bytes
    openrouter: bytes
    litellm: bytes
    entries: dict[str, int]
    universe: int  # distinct models the providers draw from

    def payloads(self) -> dict[str, bytes]:
        """env name (as in benchmarks.SOURCES) -> payload."""
        return {"MODELS_DEV": self.models_dev, "OPENROUTER": self.openrouter, "LITELLM": self.litellm}


def catalog(scale: float, seed: int = SEED) -> Catalog:
    """The three sources' payloads at ``scale`` times today's size, the same bytes for the same
    ``scale`` and ``seed``."""
    universe = models(scale, seed)
    rng = random.Random(seed + 1)

    # models.dev: providers with a long-tailed number of models each (mean MODELS_PER_PROVIDER).
    providers: dict[str, dict[str, object]] = {}
    provider_styles: dict[str, str] = {}
    for p in range(max(1, round(MODELS_DEV_PROVIDERS * scale))):
        pid = f"{_word(rng, 2)}-{rng.choice(('cloud', 'ai', 'inference', 'api', 'labs'))}-{p}"
        style = provider_styles[pid] = _provider_spelling(rng)
        count = max(1, min(600, int(rng.expovariate(1 / MODELS_PER_PROVIDER))))
        entries: dict[str, object] = {}
        for model in _served(rng, universe, count):
            model_id = _spell(style, pid, model)
            entry: dict[str, object] = {
                "id": model_id, "name": model.name, "family": model.family, "attachment": "image" in model.inputs,
                "reasoning": "reasoning" in model.slug, "tool_call": rng.random() < 0.6, "temperature": True,
                "release_date": model.released.isoformat(), "last_updated": model.released.isoformat(),
                "open_weights": model.open_weights,
                "limit": {"context": model.context, "output": model.max_output},
                "modalities": {"input": list(model.inputs), "output": list(model.outputs)},
            }
            if model.input_usd is not None:
                markup = 1 if rng.random() < 0.7 else rng.choice((0.8, 1.1, 1.25))
                cost: dict[str, float | None] = {"input": _per_mtok(model.input_usd * markup),
                                                 "output": _per_mtok((model.output_usd or 0) * markup)}
                if model.cached_usd is not None:
                    cost["cache_read"] = _per_mtok(model.cached_usd * markup)
                if model.context > 200_000 and model.input_usd and rng.random() < 0.3:
                    cost["context_over_200k"] = {"input": _per_mtok(model.input_usd * 2),
                                                 "output": _per_mtok((model.output_usd or 0) * 1.5)}
                entry["cost"] = cost
            entries[model_id] = entry
        providers[pid] = {"id": pid, "name": pid.replace("-", " ").title(), "env": [f"{pid.upper().replace('-', '_')}_API_KEY"],
                          "npm": "@ai-sdk/openai-compatible", "doc": f"https://docs.{pid}.example/models", "models": entries}

    # OpenRouter: one provider, ids creator/model, a :free twin for some, a router with price -1.
    data: list[dict[str, object]] = []
    routed = _served(rng, universe, max(1, round(OPENROUTER_ENTRIES * scale * 0.9)))
    for model in routed:
        created = int(datetime.combine(model.released, datetime.min.time(), timezone.utc).timestamp())
        for free in (False, True) if rng.random() < 0.1 else (False,):
            price = (0.0, 0.0, None) if free else (model.input_usd, model.output_usd, model.cached_usd)
            pricing = {"prompt": _per_token_text(price[0]), "completion": _per_token_text(price[1])}
            if price[2] is not None:
                pricing["input_cache_read"] = _per_token_text(price[2])
            model_id = f"{model.creator}/{model.slug}" + (":free" if free else "")
            data.append({
                "id": model_id, "canonical_slug": f"{model.creator}/{model.slug}", "name": f"{model.creator.title()}: {model.name}",
                "created": created, "description": f"{model.name} by {model.creator}.", "context_length": model.context,
                "architecture": {"modality": f"{'+'.join(model.inputs)}->{'+'.join(model.outputs)}",
                                 "input_modalities": list(model.inputs), "output_modalities": list(model.outputs),
                                 "tokenizer": "Other", "instruct_type": None},
                "pricing": pricing,
                "top_provider": {"context_length": model.context, "max_completion_tokens": model.max_output, "is_moderated": False},
                "per_request_limits": None, "supported_parameters": ["max_tokens", "temperature", "top_p"],
                "expiration_date": None,
            })
    data.append({"id": "openrouter/auto", "canonical_slug": "openrouter/auto", "name": "Auto Router", "created": 1700000000,
                 "context_length": 2000000, "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
                 "pricing": {"prompt": "-1", "completion": "-1"}, "top_provider": {"context_length": None}})

    # LiteLLM: providers of its own, a third of its entries offerings models.dev lists too
    # (same provider, same model id), the rest models.dev does not list.
    litellm: dict[str, object] = {"sample_spec": {"litellm_provider": "one of https://docs.litellm.ai/docs/providers",
                                                  "input_cost_per_token": 0.0, "mode": "one of: chat, embedding"}}
    shared = list(providers.items())
    own = [f"{_word(rng, 2)}_{rng.choice(('ai', 'cloud', 'hosted'))}{p}" for p in range(max(1, round(LITELLM_PROVIDERS * scale * 2 / 3)))]
    target = max(1, round(LITELLM_ENTRIES * scale))
    while len(litellm) - 1 < target:
        if rng.random() < 1 / 3:
            pid, provider = rng.choice(shared)
            model_id, mentry = rng.choice(list(provider["models"].items()))  # type: ignore[union-attr]
            key = f"{pid}/{model_id}"
            cost = mentry.get("cost") or {}  # type: ignore[union-attr]
            context = mentry["limit"]["context"]  # type: ignore[index]
            inputs = mentry["modalities"]["input"]  # type: ignore[index]
            # models.dev's USD per 1M back to LiteLLM's USD per token below
            input_usd, output_usd = cost.get("input"), cost.get("output")
        else:
            pid = rng.choice(own)
            model = _served(rng, universe, 1)[0]
            model_id = model.slug if rng.random() < 0.6 else f"{model.creator}/{model.slug}"
            key = f"{pid}/{model_id}"
            context, inputs, input_usd, output_usd = model.context, list(model.inputs), model.input_usd, model.output_usd
        mode = "chat" if rng.random() < 0.9 else rng.choice(("embedding", "completion", "image_generation"))
        entry2: dict[str, object] = {"litellm_provider": pid, "mode": mode, "max_input_tokens": context,
                                     "max_output_tokens": min(context, 8192), "max_tokens": min(context, 8192),
                                     "supports_function_calling": True, "supports_vision": "image" in inputs}
        if input_usd is not None:
            entry2["input_cost_per_token"] = _per_token(input_usd)
            entry2["output_cost_per_token"] = _per_token(output_usd)
        litellm[key] = entry2

    def dump(document: object) -> bytes:
        return json.dumps(document, separators=(",", ":")).encode()

    return Catalog(
        models_dev=dump(providers), openrouter=dump({"data": data, "total_count": len(data)}), litellm=dump(litellm),
        entries={"models_dev": sum(len(p["models"]) for p in providers.values()),  # type: ignore[arg-type]
                 "openrouter": len(data), "litellm": len(litellm) - 1},
        universe=len(universe),
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, required=True, help="directory for models_dev.json, openrouter.json, litellm.json")
    args = parser.parse_args(argv)
    made = catalog(args.scale, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, payload in (("models_dev", made.models_dev), ("openrouter", made.openrouter), ("litellm", made.litellm)):
        (args.out / f"{name}.json").write_bytes(payload)
    print(f"scale {args.scale:g}: {made.entries} entries, {made.universe} models in the universe -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
