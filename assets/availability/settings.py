"""The monitor's knobs, from the environment (each with a default that works out of the box)."""

from __future__ import annotations

from typing import Mapping

from resources.settings import number_setting

__all__ = ["number_setting", "probe_timeout_s", "status_timeout_s"]

def probe_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_PROBE_TIMEOUT``: seconds before a probe counts as a timeout (default 10)."""
    return number_setting(environ, "AISI_PROBE_TIMEOUT", 10.0, 0.001, float)


def status_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """``AISI_STATUS_TIMEOUT``: seconds per status-page request (default 10)."""
    return number_setting(environ, "AISI_STATUS_TIMEOUT", 10.0, 0.001, float)
