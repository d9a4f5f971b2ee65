"""Decoding a JSON payload into the object a parser expects, with a clear error."""

from __future__ import annotations

import json
from typing import Any

from core.records import PayloadError


def decode_json_object(payload: bytes, source: str) -> dict[str, Any]:
    """The payload as a JSON object, or PayloadError saying why not."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{source}: payload is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PayloadError(f"{source}: expected a JSON object, got {type(document).__name__}")
    return document
