"""LMArena's rating history as a dated CSV (nakasyou/lmarena-history ``output/result.csv``).

A wide matrix: the header row holds the arena's model keys after an empty (or ``date``)
first cell; each further row is one date (``yyyymmdd``) and a model's overall Elo rating
on that date per column. ``0.0`` (or an empty cell) means the model was not rated then:
no row, never a score of 0. Each rating becomes benchmark ``lmarena_elo_full`` dated by its
row, so the history needs no bookkeeping of ours: every date is its own ``as_of``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date

from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance
from core.sources.lmarena import add_rating
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="lmarena_history",
    env_name="LMARENA_HISTORY",
    kind="aggregator",
    base_url="https://raw.githubusercontent.com/nakasyou/lmarena-history/main",
    path="/output/result.csv",
    cadence="0 6 * * *",  # daily; the upstream adds a date every few days
    timeout_s=30.0,
    docs_url="https://github.com/nakasyou/lmarena-history",
    priority=5,
)

BENCHMARK = "lmarena_elo_full"
_DATE = re.compile(r"^\d{8}$")
_DATE_HEADERS = ("", "date")


def _date(cell: str, line: int) -> date:
    text = cell.strip()
    if not _DATE.match(text):
        raise PayloadError(f"lmarena_history: line {line}: first column {text[:40]!r} is not a yyyymmdd date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise PayloadError(f"lmarena_history: line {line}: {text!r} is not a date") from None


def _rating(cell: str, line: int, model_key: str) -> float | None:
    """The cell's rating; None when absent (empty, 0.0, NaN)."""
    text = cell.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PayloadError(f"lmarena_history: line {line}: {model_key!r} is not a number: {text[:40]!r}") from None
    return None if value == 0.0 or math.isnan(value) else value


def parse(payload: bytes) -> list[tuple[date, str, float]]:
    """(date, model key, rating) for every rated cell; absent cells give no entry."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"lmarena_history: payload is not UTF-8 text ({exc})") from None
    if text.lstrip().startswith(("<", "{", "[")):
        raise PayloadError("lmarena_history: payload is HTML or JSON, not the CSV")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise PayloadError("lmarena_history: empty payload")
    header, body = rows[0], rows[1:]
    if header[0].strip().lower() not in _DATE_HEADERS:
        raise PayloadError(f"lmarena_history: no date column (the first header cell is {header[0][:40]!r})")
    models = [cell.strip() for cell in header[1:]]
    if not models or not all(models):
        raise PayloadError("lmarena_history: the header names no models, or has an empty model name")
    if len(set(models)) != len(models):
        raise PayloadError("lmarena_history: a model appears twice in the header")
    if not body:
        raise PayloadError("lmarena_history: no dated rows")
    entries: list[tuple[date, str, float]] = []
    dates: set[date] = set()
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise PayloadError(f"lmarena_history: line {line} has {len(row)} cells, the header {len(header)}")
        day = _date(row[0], line)
        if day in dates:
            raise PayloadError(f"lmarena_history: line {line}: date {day} appears twice")
        dates.add(day)
        for model_key, cell in zip(models, row[1:]):
            rating = _rating(cell, line, model_key)
            if rating is not None:
                entries.append((day, model_key, rating))
    if not entries:
        raise PayloadError("lmarena_history: no ratings (every cell is 0.0 or empty)")
    return entries


def normalise(entries: list[tuple[date, str, float]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    seen: dict[tuple[str, str, date | None], str] = {}
    for day, model_key, rating in entries:
        batch.entries += 1
        add_rating(batch, seen, model_id=model_key, benchmark=BENCHMARK, rating=rating, where=f"{day:%Y%m%d}", as_of=day)
    return batch.build()
