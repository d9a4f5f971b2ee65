"""Quarantine: a price that fails a plausibility rule is not published.

Each source's price rows are tested before the merge picks a winner; a row that fails a
rule goes to the ``quarantine`` table with its rule, the reason in words and its source, and
takes no part in the merge. Where the offering had a published value for that price type,
that previous value stays current (the catalog does not move on a value we would not
defend); otherwise the next source's plausible value, if any, is published. Rules:

- ``above_ceiling``: a text token price above ``AISI_PRICE_CEILING_USD_PER_MTOK`` (default
  1000) USD per 1M tokens: a per-token figure read as per-1M, or a unit slip at the source;
- ``far_from_other_sources``: more than 100x away from every other source's price for the
  same offering and price type. When only two sources price it (each is then 100x from the
  other) the one farther from the same model's price at other providers is quarantined; with
  nothing to compare, neither is;
- ``zero_output_on_metered``: output priced 0 while the same source prices the offering's
  input above 0, on a model that writes text (a chat model's output is never free when its
  input is not; embedding models have no output and are exempt). Parsers already publish no
  0 on a metered offering (``BatchBuilder``: a 0 there is "not metered" or no claim, NULL);
  this rule holds the line for any row that reaches the merge otherwise.

A context window of 0 never reaches this far: parsers read 0 as unknown (NULL).
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import numpy as np
import pandas as pd

from assets.normalise.records import PRICE_COLUMNS
from resources.settings import number_setting

CEILING_VARIABLE = "AISI_PRICE_CEILING_USD_PER_MTOK"
DEFAULT_CEILING = 1000.0
FAR_FACTOR = 100.0
TEXT_TOKEN_TYPES = ("input", "output", "cached_input", "cache_write", "batch_input", "batch_output", "reasoning")
RULES = ("above_ceiling", "far_from_other_sources", "zero_output_on_metered")
# Not text generators (embedding, rerank, classifier, speech, image models, whose output price
# of 0 is expected), or a router billing the routed model's output: names that say so.
_NON_CHAT = (
    "embed", "rerank", "moderation", "whisper", "tts", "transcribe", "dall-e", "image", "voyage", "minilm", "mini-lm",
    "mpnet", "distilbert", "uae-large", "router", "classifier",
)
_NON_CHAT_WORDS = ("bge", "gte", "e5", "ada", "clip")  # only as a whole word: "ada", not "armada"
_NON_CHAT_NAME = re.compile(
    "|".join(re.escape(m) for m in _NON_CHAT) + "|" + "|".join(rf"(?<![a-z0-9]){m}(?![a-z])" for m in _NON_CHAT_WORDS)
)
QUARANTINE_COLUMNS = PRICE_COLUMNS + ["rule", "detail"]


def price_ceiling() -> float:
    """USD per 1M tokens above which a text token price is quarantined."""
    return number_setting(None, CEILING_VARIABLE, DEFAULT_CEILING, 0.000001, float)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=QUARANTINE_COLUMNS)


def _with_rule(rows: pd.DataFrame, rule: str, detail: pd.Series | str) -> pd.DataFrame:
    out = rows[PRICE_COLUMNS].copy()
    out["rule"] = rule
    out["detail"] = detail
    return out


def _above_ceiling(prices: pd.DataFrame, ceiling: float) -> pd.DataFrame:
    values = prices["usd_per_mtok"].astype(float)
    hit = prices[prices["price_type"].isin(TEXT_TOKEN_TYPES) & (values > ceiling)]
    detail = hit["usd_per_mtok"].map(lambda v: f"{float(v):g} USD per 1M tokens is above the ceiling of {ceiling:g} ({CEILING_VARIABLE})")
    return _with_rule(hit, "above_ceiling", detail)


def _log_distance(a: pd.Series, b: pd.Series) -> pd.Series:
    """|log10(a / b)|, NaN where either is not above 0 (a 0 is no ratio)."""
    a, b = a.astype(float), b.astype(float)
    valid = (a > 0) & (b > 0)
    return pd.Series(np.where(valid, np.abs(np.log10(a.where(valid, 1.0) / b.where(valid, 1.0))), np.nan), index=a.index)


def _far_from_others(prices: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows more than FAR_FACTOR away from every other source's value for the same key."""
    far = math.log10(FAR_FACTOR)
    positive = prices[prices["usd_per_mtok"].astype(float) > 0].drop_duplicates(key + ["source"])
    rows = positive[positive.groupby(key)["source"].transform("nunique") > 1].reset_index(names="_row")
    if rows.empty:
        return _empty()
    pairs = rows[key + ["_row", "source", "usd_per_mtok"]].merge(rows[key + ["source", "usd_per_mtok"]], on=key, suffixes=("", "_other"))
    pairs = pairs[pairs["source"] != pairs["source_other"]]
    pairs["_far"] = _log_distance(pairs["usd_per_mtok"], pairs["usd_per_mtok_other"]) > far
    verdict = pairs.groupby("_row").agg(_far_from_all=("_far", "all"), _others=("usd_per_mtok_other", lambda s: sorted(set(map(float, s)))))
    rows = rows.join(verdict, on="_row")
    rows["_group_size"] = rows.groupby(key)["source"].transform("size")
    candidates = rows[rows["_far_from_all"]].copy()
    candidates["_candidates"] = candidates.groupby(key)["source"].transform("size")
    # A value far from others that agree among themselves is the odd one out.
    clear = candidates[candidates["_candidates"] < candidates["_group_size"]]
    # Every source far from every other (two sources 100x apart): the same model's price at
    # other offerings decides; the farther one goes, and only when it is itself 100x away.
    mutual = candidates[candidates["_candidates"] == candidates["_group_size"]]
    decided = []
    for _, group in mutual.groupby(key):
        first = group.iloc[0]
        # The same price type and tier (every key column but the offering's) at other offerings.
        same = (positive["model_key"] == first["model_key"]) & (positive[key[2:]] == first[key[2:]]).all(axis=1)
        elsewhere = positive[same]
        elsewhere = elsewhere[~elsewhere.set_index(key[:2]).index.isin([tuple(first[k] for k in key[:2])])]
        if elsewhere.empty:
            continue
        median = float(elsewhere["usd_per_mtok"].astype(float).median())
        distance = group["usd_per_mtok"].astype(float).map(lambda v: abs(math.log10(v / median)))
        worst = distance.idxmax()
        if distance[worst] > far:
            decided.append(group.loc[[worst]])
    hit = pd.concat([clear, *decided], ignore_index=True)
    if hit.empty:
        return _empty()
    detail = [
        f"{float(v):g} USD per 1M tokens is more than {FAR_FACTOR:g}x away from every other source's price ({', '.join(f'{o:g}' for o in others)})"
        for v, others in zip(hit["usd_per_mtok"], hit["_others"])
    ]
    return _with_rule(hit, "far_from_other_sources", pd.Series(detail, index=hit.index, dtype=object))


def _writes_text(offerings: pd.DataFrame) -> pd.Series:
    """Per offering row: does the model write text (output modalities say text, or say nothing,
    and its name is not an embedding / rerank / speech / image model's)?"""
    outputs = offerings["output_modalities"].map(lambda v: [str(x) for x in v] if isinstance(v, (list, np.ndarray)) else [])
    text_out = outputs.map(lambda v: not v or "text" in v)
    name = offerings["provider_model_id"].astype(str).str.lower() + " " + offerings["model_key"].astype(str).str.lower()
    non_chat = name.map(lambda n: bool(_NON_CHAT_NAME.search(n)))
    return text_out & ~non_chat


def _zero_output(prices: pd.DataFrame, offerings: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    offering_key = key[:2]
    by_source = offering_key + ["source"]
    output = prices[(prices["price_type"] == "output") & (prices["usd_per_mtok"].astype(float) == 0)]
    if output.empty:
        return _empty()
    tier = [c for c in key[2:] if c != "price_type"]  # an input price of the same tier
    inputs = prices[(prices["price_type"] == "input") & (prices["usd_per_mtok"].astype(float) > 0)][by_source + tier + ["usd_per_mtok"]]
    hit = output.reset_index(drop=True).merge(inputs.drop_duplicates(by_source + tier), on=by_source + tier, suffixes=("", "_input"))
    if hit.empty:
        return _empty()
    columns = offering_key + ["source", "provider_model_id", "model_key", "output_modalities"]
    columns += ["billing"] if "billing" in offerings.columns else []
    described = offerings[list(dict.fromkeys(columns))].drop_duplicates(by_source)
    described = described.assign(_text=_writes_text(described))
    if "billing" in described.columns:
        described["_text"] &= described["billing"].fillna("metered") == "metered"
    hit = hit.merge(described[by_source + ["_text"]], on=by_source, how="left")
    hit = hit[hit["_text"].fillna(True).astype(bool)]
    detail = hit["usd_per_mtok_input"].map(lambda v: f"output priced 0 while input is {float(v):g} USD per 1M tokens on a metered text model")
    return _with_rule(hit, "zero_output_on_metered", detail)


def implausible(prices: pd.DataFrame, offerings: pd.DataFrame, key: list[str], ceiling: float | None = None) -> pd.DataFrame:
    """Every source row of ``prices`` (all sources' price rows, unmerged) failing a rule, with
    the first rule it fails (QUARANTINE_COLUMNS); ``offerings`` are all sources' offering rows;
    ``key`` is the price key (offering columns first, then price type)."""
    if prices.empty:
        return _empty()
    ceiling = price_ceiling() if ceiling is None else ceiling
    prices = prices.reset_index(drop=True)
    found = [f for f in (_above_ceiling(prices, ceiling), _far_from_others(prices, key), _zero_output(prices, offerings, key)) if not f.empty]
    if not found:
        return _empty()
    frame = pd.concat(found, ignore_index=True)
    return frame.drop_duplicates(key + ["source"], keep="first").reset_index(drop=True)[QUARANTINE_COLUMNS]


def without(prices: pd.DataFrame, quarantined: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """``prices`` minus the quarantined source rows."""
    if quarantined.empty or prices.empty:
        return prices
    marks = quarantined[key + ["source"]].assign(_quarantined=True)
    joined = prices.merge(marks, on=key + ["source"], how="left")
    return joined[joined["_quarantined"].isna()].drop(columns="_quarantined").reset_index(drop=True)


def hold_previous(current: pd.DataFrame, quarantined: pd.DataFrame, history: pd.DataFrame | None, key: list[str]) -> pd.DataFrame:
    """The current prices where each quarantined (offering, price type) whose quarantined row
    would have been published (``would_win``, when the merge says) and that had an open price in
    ``history`` keeps that previous value (and its provenance), whatever else the merge picked."""
    if "would_win" in quarantined.columns:
        quarantined = quarantined[quarantined["would_win"].astype(bool)]
    if quarantined.empty or history is None or history.empty:
        return current
    previous = history[history["valid_to"].isna()][PRICE_COLUMNS]
    held = previous.merge(quarantined[key].drop_duplicates(), on=key)
    if held.empty:
        return current
    rest = current.merge(held[key].assign(_held=True), on=key, how="left")
    rest = rest[rest["_held"].isna()].drop(columns="_held")
    return pd.concat([rest[PRICE_COLUMNS], held[PRICE_COLUMNS]], ignore_index=True).sort_values(key).reset_index(drop=True)


STATE_COLUMNS = QUARANTINE_COLUMNS + ["held_usd_per_mtok", "detected_at"]


def quarantine_state(quarantined: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame | None, key: list[str], now: datetime) -> pd.DataFrame:
    """The published ``quarantine`` table: this run's quarantined rows, each with the value that
    is current instead (``held_usd_per_mtok``, NULL when none) and when it was first detected
    (carried from ``previous`` for the same offering, price type, source and rule)."""
    frame = quarantined.copy()
    published = current[key + ["usd_per_mtok"]].drop_duplicates(key).rename(columns={"usd_per_mtok": "held_usd_per_mtok"})
    frame = frame.merge(published, on=key, how="left")
    identity = key + ["source", "rule"]
    if previous is not None and not previous.empty and set(identity) <= set(previous.columns):
        frame = frame.merge(previous[identity + ["detected_at"]].drop_duplicates(identity), on=identity, how="left")
        frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True).fillna(pd.Timestamp(now))
    else:
        frame["detected_at"] = pd.Timestamp(now)
    frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True)
    return frame.sort_values(identity).reset_index(drop=True)[STATE_COLUMNS]
