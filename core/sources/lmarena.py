"""LMArena's published text leaderboard ``data/leaderboard-text.json`` (lmarena/arena-catalog):
an Elo rating per category and model.

Shape: ``{category: {model_key: {rating, rating_q975, rating_q025}}}``, e.g.
``"full": {"gemini-3-pro": {"rating": 1486.6, ...}}``. The model keys carry no creator
(``claude-3-5-sonnet-20241022``, ``deepseek-v3``): identity places them by name patterns
(provider ``lmarena``); a key no rule knows stays ``lmarena/<key>`` (unmatched).

Only ``rating`` is stored, as benchmark ``lmarena_elo_<category>`` dated by the fetch. The
95 % interval (``rating_q025`` / ``rating_q975``) is no score: as ``variant`` rows it would
rank beside the ratings in every "top N by score" (``variant`` means a configuration
measured, such as a reasoning effort), and the benchmarks table has no interval columns.
The parsed entries keep the whole record, so adding them later needs no parser change.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from core.parsing.json_payload import decode_json_object
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="lmarena",
    env_name="LMARENA",
    kind="aggregator",
    base_url="https://raw.githubusercontent.com/lmarena/arena-catalog/main",
    path="/data/leaderboard-text.json",
    cadence="0 6 * * *",  # daily: the file changes a few times a week
    timeout_s=30.0,
    docs_url="https://lmarena.ai/leaderboard",
    priority=5,
)

PROVIDER = "lmarena"  # the source's name for the creator: none, identity decides by model name
UNIT = "elo"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def benchmark_name(category: str) -> str:
    """``lmarena_elo_<category>`` with the category as a slug (``creative_writing``, ``hard_6``)."""
    return "lmarena_elo_" + _NOT_SLUG.sub("_", category.strip().lower()).strip("_")


def parse(payload: bytes) -> list[tuple[str, str, Any]]:
    """(category, model key, record) for every rating in the document."""
    document = decode_json_object(payload, SPEC.name)
    entries: list[tuple[str, str, Any]] = []
    for category, models in document.items():
        if isinstance(models, str):  # file metadata (a date, a version), not a category
            continue
        if not isinstance(models, dict):
            raise PayloadError(f"lmarena: category {category!r} is not an object of models")
        entries.extend((category, model_key, record) for model_key, record in models.items())
    if not entries:
        raise PayloadError("lmarena: no ratings in the document")
    if not any(isinstance(record, dict) and "rating" in record for _, _, record in entries):
        raise PayloadError("lmarena: no record has a `rating`: not the leaderboard's shape")
    return entries


def add_rating(
    batch: BatchBuilder, seen: dict[tuple[str, str, date | None], str], *,
    model_id: str, benchmark: str, rating: Any, where: str, as_of: date | None = None,
) -> None:
    """One rating as a benchmark row (``where`` names the entry in rejects: its category or
    date). 0 or no rating is absent: no row. Two arena keys that resolve to one model for
    the same benchmark and date keep the first, and the second is reported."""
    source_id = f"{where}/{model_id}"
    try:
        if rating is None or rating == "" or float(rating) == 0.0 or math.isnan(float(rating)):
            batch.reject(source_id, "no rating")
            return
    except (TypeError, ValueError, OverflowError):
        batch.reject(source_id, "unparseable rating")
        return
    model_key = batch.rules.resolve(PROVIDER, model_id).model_key
    first = seen.setdefault((model_key, benchmark, as_of), model_id)
    if first != model_id:
        batch.reject(source_id, "another arena key resolves to the same model: first kept")
        return
    try:
        batch.benchmark(provider=PROVIDER, model_id=model_id, benchmark=benchmark, score=rating, unit=UNIT, as_of=as_of)
    except (TypeError, ValueError):
        batch.reject(source_id, "unparseable rating")


def normalise(entries: list[tuple[str, str, Any]], provenance: Provenance) -> NormalisedBatch:
    """Ratings dated by the fetch (the leaderboard carries no date)."""
    batch = BatchBuilder(provenance)
    seen: dict[tuple[str, str, date | None], str] = {}
    for category, model_key, record in entries:
        batch.entries += 1
        if not isinstance(record, dict):
            batch.reject(f"{category}/{model_key}", "record is not an object")
            continue
        add_rating(batch, seen, model_id=model_key, benchmark=benchmark_name(category), rating=record.get("rating"), where=category)
    return batch.build()
