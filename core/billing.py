"""How an offering is billed: ``metered`` (per token), ``free_tier`` (a router's free variant)
or ``plan`` (subscription, plan, quota or your own machine; ``config/billing.yaml``).

The billing kind decides what a price of 0 means: on a free tier it is a real price (the
source says free); on a plan provider it means "not metered"; on a metered offering it is no
claim at all. Only the free tier's 0 is published; elsewhere a 0 is unknown (no price row).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

from core.paths import CONFIG_DIR
from core.yaml_files import load_yaml

METERED = "metered"
FREE_TIER = "free_tier"
PLAN = "plan"
BILLING_KINDS = (METERED, FREE_TIER, PLAN)
BILLING_FILE = CONFIG_DIR / "billing.yaml"
# Suffixes by which routers name their free variants (OpenRouter `:free`, gateways `-free`).
FREE_SUFFIXES = (":free", "-free", "/free")


@lru_cache(maxsize=4)
def plan_providers(path: Path = BILLING_FILE) -> frozenset[str]:
    """Provider ids billed by plan (``config/billing.yaml`` ``plan``)."""
    data = load_yaml(path) or {}
    return frozenset(str(p).strip().lower() for p in data.get("plan") or {})


def billing_kind(provider_id: str, provider_model_id: str, prices: Iterable[float | None]) -> str:
    """``plan`` for a plan provider; ``free_tier`` for a free variant its source prices 0 (an
    OpenRouter ``:free`` id without any price counts too: the id is the source saying free);
    else ``metered``."""
    if provider_id.lower() in plan_providers():
        return PLAN
    given = [float(v) for v in prices if v is not None]
    model_id = provider_model_id.lower()
    if model_id.endswith(FREE_SUFFIXES) and all(v == 0 for v in given) and (given or model_id.endswith(":free")):
        return FREE_TIER
    return METERED
