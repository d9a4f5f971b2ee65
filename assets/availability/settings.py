"""The monitor's knobs, from the environment (each with a default that works out of the box)."""

from __future__ import annotations

import os
from typing import Callable, Mapping, TypeVar

N = TypeVar("N", int, float)


def number_setting(environ: Mapping[str, str] | None, name: str, default: N, minimum: N, kind: Callable[[str], N]) -> N:
    """``name`` from the environment as ``kind`` (int or float), at least ``minimum``; unset or
    empty gives ``default``; anything else raises ValueError naming the variable."""
    env = os.environ if environ is None else environ
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be {what} >= {minimum}, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be {what} >= {minimum}, got {raw!r}")
    return value


def probe_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_PROBE_TIMEOUT``: seconds before a probe counts as a timeout (default 10)."""
    return number_setting(environ, "AISI_PROBE_TIMEOUT", 10.0, 0.001, float)


def status_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_STATUS_TIMEOUT``: seconds per status-page request (default 10)."""
    return number_setting(environ, "AISI_STATUS_TIMEOUT", 10.0, 0.001, float)
