"""The API's JSON encoding: compact bytes, dates as ISO text, never ``NaN`` or ``Infinity``."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (float, Decimal, array item) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist"):
        return _finite(value.tolist())
    return value


def dumps(payload: Any) -> bytes:
    """JSON bytes; never ``NaN`` or ``Infinity`` (not JSON): a non-finite number, which parsing
    already rejects, would be served as null (unknown) rather than break a client."""
    options: dict[str, Any] = dict(default=_json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return json.dumps(payload, **options).encode()
    except ValueError:  # a non-finite number somewhere: the rare, slower path
        return json.dumps(_finite(payload), **options).encode()
