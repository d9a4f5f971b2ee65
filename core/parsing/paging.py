"""Helpers for paged provider listings: page URLs and the archived ``{"pages": [...]}`` form."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.records import PayloadError


def with_query(url: str, **params: Any) -> str:
    """``url`` with ``params`` set in its query string (existing keys replaced)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=urlencode(query)))


def listing(payload: bytes, source: str, key: str) -> list[Any]:
    """The ``key`` list of every page of an archived paged payload, concatenated."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{source}: payload is not JSON ({exc})") from None
    pages = document.get("pages") if isinstance(document, dict) else None
    if not isinstance(pages, list) or not pages:
        raise PayloadError(f"{source}: no pages in the payload")
    entries: list[Any] = []
    for number, page in enumerate(pages, 1):
        items = page.get(key) if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise PayloadError(f"{source}: page {number} has no `{key}` list")
        entries.extend(items)
    return entries


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def no_next_page(document: dict[str, Any], current_url: str) -> str | None:
    """``next_url`` of a listing that comes in one page."""
    return None
