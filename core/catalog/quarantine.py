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

from core.records import PRICE_COLUMNS
from core.settings import PRICE_CEILING_VARIABLE, settings

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
    return settings().price_ceiling


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
    detail = hit["usd_per_mtok"].map(lambda v: f"{float(v):g} USD per 1M tokens is above the ceiling of {ceiling:g} ({PRICE_CEILING_VARIABLE})")
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
    verdict = pairs.groupby("_row").agg(_far_from_all=("_far", "all"))
    rows = rows.join(verdict, on="_row")
    rows["_group_size"] = rows.groupby(key)["source"].transform("size")
    candidates = rows[rows["_far_from_all"]].copy()
    candidates["_candidates"] = candidates.groupby(key)["source"].transform("size")
    # A value far from others that agree among themselves is the odd one out.
    clear = candidates[candidates["_candidates"] < candidates["_group_size"]]
    # Every source far from every other (two sources 100x apart): the same model's price at
    # other offerings decides; the farther one goes, and only when it is itself 100x away.
    mutual = candidates[candidates["_candidates"] == candidates["_group_size"]]
    decided = _decided_by_elsewhere(mutual, positive, key, far)
    hit = pd.concat([clear, decided] if len(decided) else [clear], ignore_index=True)
    if hit.empty:
        return _empty()
    others = _other_values(pairs, hit["_row"])
    detail = [
        f"{float(v):g} USD per 1M tokens is more than {FAR_FACTOR:g}x away from every other source's price ({', '.join(f'{o:g}' for o in others[row])})"
        for v, row in zip(hit["usd_per_mtok"], hit["_row"])
    ]
    return _with_rule(hit, "far_from_other_sources", pd.Series(detail, index=hit.index, dtype=object))


def _decided_by_elsewhere(mutual: pd.DataFrame, positive: pd.DataFrame, key: list[str], far: float) -> pd.DataFrame:
    """Of each group of ``mutual`` rows (one ``key``, every source far from every other), the
    row farthest from the median of the same model's price (same price type and tier: every key
    column but the offering's) at other offerings in ``positive``, when more than ``far``
    (log10) away; groups in key order. The model is the group's first row's."""
    if mutual.empty:
        return mutual
    offering, rest = key[:2], key[2:]
    mutual = mutual.assign(_group=mutual.groupby(key, sort=True).ngroup())
    mutual = mutual[mutual["_group"] >= 0]
    first = mutual.drop_duplicates("_group")[["_group", "model_key"] + key]
    # Equal keys only (a missing model key or key part matches nothing, as with ==).
    first = first[first[["model_key"] + rest].notna().all(axis=1)]
    elsewhere = first.merge(positive[["model_key"] + key + ["usd_per_mtok"]], on=["model_key"] + rest, suffixes=("", "_elsewhere"))
    same_offering = pd.Series(True, index=elsewhere.index)
    for column in offering:
        mine, theirs = elsewhere[column], elsewhere[f"{column}_elsewhere"]
        same_offering &= (mine == theirs) | (mine.isna() & theirs.isna())
    elsewhere = elsewhere[~same_offering]
    median = elsewhere.assign(_value=elsewhere["usd_per_mtok"].astype(float)).groupby("_group")["_value"].median()
    judged = mutual[mutual["_group"].isin(median.index)]
    if judged.empty:
        return mutual.iloc[:0]
    medians = judged["_group"].map(median)
    # math.log10 as before: numpy's log10 may differ in the last bit, and 100x exactly is not far.
    distance = pd.Series(
        [abs(math.log10(v / m)) for v, m in zip(judged["usd_per_mtok"].astype(float), medians)], index=judged.index, dtype=float
    )
    worst = distance.groupby(judged["_group"], sort=True).idxmax()
    worst = worst[distance[worst].to_numpy() > far]
    return mutual.loc[worst.to_numpy()].drop(columns="_group")


def _other_values(pairs: pd.DataFrame, hit_rows: pd.Series) -> dict[int, list[float]]:
    """Per row of ``hit_rows``: the other sources' values for its key, distinct and sorted."""
    values = pairs.loc[pairs["_row"].isin(hit_rows), ["_row", "usd_per_mtok_other"]]
    values = values.assign(_value=values["usd_per_mtok_other"].astype(float)).drop_duplicates(["_row", "_value"])
    values = values.sort_values(["_row", "_value"])
    return {int(row): group.tolist() for row, group in values.groupby("_row")["_value"]}


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
