"""Reading the platform's knobs from the environment: one place that turns a variable into a
number or a flag, with a clear error naming the variable."""

from __future__ import annotations

import os
from typing import Callable, Mapping, TypeVar

N = TypeVar("N", int, float)


def number_setting(environ: Mapping[str, str] | None, name: str, default: N, minimum: N, kind: Callable[[str], N],
                   maximum: N | None = None) -> N:
    """``name`` as ``kind`` (int or float) within [minimum, maximum]; unset or empty gives
    ``default``; anything else raises ValueError naming the variable."""
    env = os.environ if environ is None else environ
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    what = "a whole number" if kind is int else "a number"
    bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be {what} {bounds}, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {what} {bounds}, got {raw!r}")
    return value


def flag_setting(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when ``name`` is 1, true or yes (any case)."""
    env = os.environ if environ is None else environ
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes")
