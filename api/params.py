"""Query parameters shared by the routes, with their bounds: an ask beyond them is a 422,
never a database overflow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from fastapi import Header, Query

MAX_LIMIT = 500
# Beyond any table's size and any context window.
MAX_OFFSET = 10_000_000
MAX_TOKENS = 1_000_000_000
MAX_PRICE = 1_000_000.0  # USD per 1M tokens

Billing = Literal["metered", "free_tier", "plan"]
ModelSort = Literal["key", "price", "-price", "context", "-context", "released", "-released", "score", "-score"]
# The change feed's kinds (core.catalog.changes.KINDS; the API does not import the pipeline).
ChangeKind = Literal["model_added", "model_removed", "price_changed", "context_changed", "status_changed", "source_disagreement"]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)

INM = Annotated[str | None, Header(alias="If-None-Match", description="An ETag from an earlier answer: 304 when unchanged.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip, at most {MAX_OFFSET}.")]
# An ISO date (midnight UTC) or an RFC 3339 date-time, as openapi.json says.
SINCE_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
ModelSpelling = Annotated[str, Query(min_length=1, examples=["openai/gpt-4o", "gpt4o"], description="A model key (openai/gpt-4o) or any spelling of it.")]


def parse_since(text: str | None) -> dt.datetime | None:
    """``since`` as an aware datetime: an ISO date (midnight UTC) or datetime (naive = UTC).

    Raises ValueError with what was expected."""
    if text is None:
        return None
    value = text.strip().upper()  # RFC 3339 allows a lower-case t and z
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r} (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
