"""The monitor's knobs, from the environment (each with a default that works out of the box)."""

from __future__ import annotations

import os
from typing import Mapping


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def probe_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_PROBE_TIMEOUT``: seconds before a probe counts as a timeout (default 10)."""
    return _float(os.environ if environ is None else environ, "AISI_PROBE_TIMEOUT", 10.0)


def status_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_STATUS_TIMEOUT``: seconds per status-page request (default 10)."""
    return _float(os.environ if environ is None else environ, "AISI_STATUS_TIMEOUT", 10.0)
