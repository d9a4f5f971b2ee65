"""The change feed as pure functions: each test runs a few "refreshes" through the merge, the
price history and ``build_feed`` exactly as the ``catalog`` asset wires them, carrying the
state from one to the next like the snapshot does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from core.catalog.changes import (
    KINDS,
    ChangeFeed,
    PreviousState,
    build_feed,
    healthy_sources,
    listings,
    model_changes,
    removed_after_runs,
    source_quality,
    track_presence,
)
from core.catalog.merge import disagreement_tolerance, merge_catalog, price_history
from core.records import BatchBuilder, NormalisedBatch, Provenance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIORITY = {"models_dev": 1, "litellm": 2, "openrouter": 3, "model_defaults": 9}
FIRST_PARTY = {"openai": "openai", "anthropic": "anthropic"}


def batch(source: str, kind: str, *offerings: dict) -> NormalisedBatch:
    builder = BatchBuilder(Provenance(source, kind, f"https://{source}.example/x", T0))
    for o in offerings:
        builder.entries += 1
        builder.offering(**o)
    return builder.build()


def offering(provider: str, model_id: str, prices: dict[str, float] | None = None, **extra: object) -> dict:
    return {"provider": provider, "provider_model_id": model_id, "prices": prices or {}, **extra}


def runs(statuses: dict[str, tuple[str, str | None]]) -> pd.DataFrame:
    """One run's source_runs rows: source -> (status, badge)."""
    return pd.DataFrame([{"source": s, "status": st, "badge": b} for s, (st, b) in statuses.items()])


@dataclass
class Store:
    """What the snapshot carries from one refresh to the next."""

    prices: pd.DataFrame | None = None
    previous: PreviousState = field(default_factory=PreviousState)
    feeds: list[ChangeFeed] = field(default_factory=list)

    def refresh(self, batches: list[NormalisedBatch], statuses: dict[str, tuple[str, str | None]] | None = None,
                removed_after: int = 3, tolerance: float = 0.01) -> pd.DataFrame:
        """One refresh at T0 + n hours; returns this run's change rows."""
        now = T0 + timedelta(hours=len(self.feeds))
        statuses = statuses or {b.source: ("ok", b.offerings["source_kind"].iloc[0] if len(b.offerings) else "aggregator") for b in batches}
        merged = merge_catalog(batches, PRIORITY, FIRST_PARTY, tolerance=tolerance)
        self.prices = price_history(self.prices, merged.prices, now)
        feed = build_feed(
            self.previous, merged.models, listings([b.offerings for b in batches], merged.offerings),
            healthy_sources(runs(statuses)), self.prices, merged.comparisons, now, f"run-{len(self.feeds)}", removed_after,
        )
        self.previous = PreviousState(
            models=merged.models[["model_key", "context_window", "status"]],
            presence=feed.presence,
            disagreements=feed.price_disagreements,
            changes=feed.changes,
        )
        self.feeds.append(feed)
        return feed.new


def gpt(input_price: float, **extra: object) -> dict:
    return offering("openai", "gpt-4o", {"input": input_price, "output": 10.0}, **extra)


def test_scd_over_three_refreshes_with_one_price_change_gives_one_price_changed():
    store = Store()
    first = store.refresh([batch("litellm", "aggregator", gpt(2.5), offering("openai", "gpt-4.1", {"input": 2.0}))])
    assert first.empty and store.feeds[0].baseline  # the first publish records a baseline, no rows
    assert len(store.feeds[0].presence) == 2

    assert store.refresh([batch("litellm", "aggregator", gpt(2.5), offering("openai", "gpt-4.1", {"input": 2.0}))]).empty
    third = store.refresh([batch("litellm", "aggregator", gpt(2.0), offering("openai", "gpt-4.1", {"input": 2.0}))])

    assert len(third) == 1
    row = third.iloc[0]
    assert (row.kind, row.model_key, row.provider_id, row.field, row.old, row.new, row.source) == (
        "price_changed", "openai/gpt-4o", "openai", "input", "2.5", "2", "litellm")
    assert row["pct_change"] == pytest.approx(-20.0)
    assert row.detected_at == pd.Timestamp(T0 + timedelta(hours=2)) and row.run_id == "run-2"
    # The history closed the old row at that moment and opened the new one.
    inputs = store.prices[(store.prices.provider_model_id == "gpt-4o") & (store.prices.price_type == "input")].sort_values("valid_from")
    assert list(inputs.usd_per_mtok) == [2.5, 2.0]
    assert inputs.valid_to.iloc[0] == row.detected_at
    # The feed is append-only: the whole history carries this one row.
    assert len(store.feeds[-1].changes) == 1


def test_an_unchanged_refresh_emits_nothing():
    listing = [
        batch("litellm", "aggregator", gpt(2.5, context_window=128000), offering("anthropic", "claude-sonnet-4", {"input": 3.0})),
        batch("openrouter", "aggregator", offering("openrouter", "openai/gpt-4o", {"input": 2.5})),
        batch("models_dev", "aggregator", offering("openrouter", "openai/gpt-4o", {"input": 3.0})),  # an ongoing disagreement
    ]
    store = Store()
    store.refresh(listing)
    for _ in range(3):
        assert store.refresh(listing).empty
    assert store.feeds[-1].changes.empty
    assert len(store.feeds[-1].price_disagreements) == 1


def test_new_models_are_added_but_not_on_the_first_publish():
    store = Store()
    assert store.refresh([batch("litellm", "aggregator", gpt(2.5))]).empty
    added = store.refresh([batch("litellm", "aggregator", gpt(2.5), offering("openai", "gpt-5", {"input": 1.25}))])
    assert list(zip(added.kind, added.model_key, added.source)) == [("model_added", "openai/gpt-5", "litellm")]
    # New model, so its new prices are not price changes.
    assert set(added.kind) == {"model_added"}


def test_model_removed_only_after_n_healthy_absent_runs_not_after_a_failed_fetch():
    both = [batch("litellm", "aggregator", gpt(2.5)), batch("openrouter", "aggregator", offering("openrouter", "x-ai/grok-4", {"input": 3.0}))]
    without = [batch("litellm", "aggregator", gpt(2.5)), batch("openrouter", "aggregator")]
    failed = {"litellm": ("ok", "aggregator"), "openrouter": ("failed", None)}
    cached = {"litellm": ("ok", "aggregator"), "openrouter": ("cached", "cached")}
    store = Store()
    store.refresh(both)

    # The fetch failed (nothing served) and then served the archive: grok vanished or not, no count.
    assert store.refresh(without, failed, removed_after=2).empty
    assert store.refresh(without, cached, removed_after=2).empty
    presence = store.feeds[-1].presence.set_index("model_key")
    assert presence.loc["xai/grok-4", "missing_runs"] == 0 and pd.isna(presence.loc["xai/grok-4", "removed_at"])
    assert presence.loc["xai/grok-4", "sources"] == "openrouter"

    # Healthy and absent: the first run counts, the second removes it.
    assert store.refresh(without, removed_after=2).empty
    assert store.feeds[-1].presence.set_index("model_key").loc["xai/grok-4", "missing_runs"] == 1
    removed = store.refresh(without, removed_after=2)
    assert list(zip(removed.kind, removed.model_key, removed.source)) == [("model_removed", "xai/grok-4", "openrouter")]
    # Once removed it is not removed again.
    assert store.refresh(without, removed_after=2).empty

    # It comes back: added again, counter reset.
    back = store.refresh(both, removed_after=2)
    assert list(zip(back.kind, back.model_key)) == [("model_added", "xai/grok-4")]
    presence = store.feeds[-1].presence.set_index("model_key")
    assert presence.loc["xai/grok-4", "missing_runs"] == 0 and pd.isna(presence.loc["xai/grok-4", "removed_at"])


def test_a_model_that_vanished_with_a_failed_source_is_not_added_again_when_it_returns():
    both = [batch("litellm", "aggregator", gpt(2.5)), batch("openrouter", "aggregator", offering("openrouter", "x-ai/grok-4", {"input": 3.0}))]
    store = Store()
    store.refresh(both)
    store.refresh([both[0], batch("openrouter", "aggregator")], {"litellm": ("ok", "aggregator"), "openrouter": ("failed", None)})
    assert store.refresh(both).empty


def test_a_model_listed_by_two_sources_is_absent_only_when_both_ran_healthy():
    def listing(litellm: bool, openrouter: bool) -> list[NormalisedBatch]:
        return [
            batch("litellm", "aggregator", gpt(2.5), *([offering("meta", "llama-4")] if litellm else [])),
            batch("openrouter", "aggregator", *([offering("openrouter", "meta-llama/llama-4")] if openrouter else [])),
        ]

    store = Store()
    store.refresh(listing(True, True))
    key = store.feeds[0].presence.set_index("model_key").filter(like="llama-4", axis=0)
    assert list(key.sources) == ["litellm,openrouter"]
    model_key = key.index[0]
    one_down = {"litellm": ("ok", "aggregator"), "openrouter": ("failed", None)}
    for _ in range(3):
        assert store.refresh(listing(False, False), one_down, removed_after=1).empty
    removed = store.refresh(listing(False, False), removed_after=1)
    assert list(zip(removed.kind, removed.model_key, removed.source)) == [("model_removed", model_key, "litellm,openrouter")]


def test_model_defaults_is_never_proof_of_absence():
    healthy = healthy_sources(runs({"a": ("ok", "aggregator"), "b": ("ok", "config"), "c": ("cached", "cached"), "d": ("ok", "cached"),
                                    "e": ("skipped", None), "f": ("ok", "api"), "g": ("failed", None)}))
    assert healthy == {"a", "f"}


def test_new_and_ongoing_disagreements():
    def listing(models_dev_price: float, litellm_price: float = 2.5) -> list[NormalisedBatch]:
        return [
            batch("litellm", "aggregator", gpt(litellm_price)),
            batch("models_dev", "aggregator", gpt(models_dev_price)),
        ]

    store = Store()
    assert store.refresh(listing(2.5)).empty  # agree
    new = store.refresh(listing(3.0))  # models_dev wins the merge: a price change, and a new disagreement
    kinds = dict(zip(new.kind, zip(new.old, new.new, new.source)))
    assert kinds["source_disagreement"] == ("2.5", "3", "litellm,models_dev")
    assert kinds["price_changed"] == ("2.5", "3", "models_dev")
    disagreement = new[new.kind == "source_disagreement"].iloc[0]
    assert disagreement.field == "input" and disagreement["pct_change"] == pytest.approx(20.0)
    first_seen = store.feeds[-1].price_disagreements.detected_at.iloc[0]

    # Ongoing, even with another value: not reported again, and it keeps its first-seen time.
    assert store.refresh(listing(3.0)).empty
    assert list(store.refresh(listing(3.1)).kind) == ["price_changed"]
    assert store.feeds[-1].price_disagreements.detected_at.iloc[0] == first_seen

    # Resolved, then back: a new disagreement.
    assert "source_disagreement" not in set(store.refresh(listing(2.5)).kind)
    assert store.feeds[-1].price_disagreements.empty
    assert "source_disagreement" in set(store.refresh(listing(3.0)).kind)


def test_disagreements_of_the_first_publish_are_a_baseline():
    store = Store()
    assert store.refresh([batch("litellm", "aggregator", gpt(2.5)), batch("models_dev", "aggregator", gpt(3.0))]).empty
    assert len(store.feeds[0].price_disagreements) == 1


def test_tolerance_decides_what_is_a_disagreement(monkeypatch: pytest.MonkeyPatch):
    listing = [batch("litellm", "aggregator", gpt(2.50)), batch("models_dev", "aggregator", gpt(2.52))]  # 0.8 % apart
    merged = merge_catalog(listing, PRIORITY, FIRST_PARTY, tolerance=0.01)
    assert not merged.comparisons.disagrees.any()
    assert merge_catalog(listing, PRIORITY, FIRST_PARTY, tolerance=0.005).comparisons.disagrees.sum() == 1
    monkeypatch.setenv("AISI_DISAGREEMENT_TOLERANCE", "0.005")
    assert disagreement_tolerance() == 0.005
    assert merge_catalog(listing, PRIORITY, FIRST_PARTY).comparisons.disagrees.sum() == 1
    monkeypatch.setenv("AISI_DISAGREEMENT_TOLERANCE", "one percent")
    with pytest.raises(ValueError, match="AISI_DISAGREEMENT_TOLERANCE"):
        disagreement_tolerance()


def test_removed_after_runs_setting(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AISI_REMOVED_AFTER_RUNS", raising=False)
    assert removed_after_runs() == 3
    monkeypatch.setenv("AISI_REMOVED_AFTER_RUNS", "5")
    assert removed_after_runs() == 5
    for bad in ("0", "-1", "two"):
        monkeypatch.setenv("AISI_REMOVED_AFTER_RUNS", bad)
        with pytest.raises(ValueError, match="AISI_REMOVED_AFTER_RUNS"):
            removed_after_runs()


def test_source_quality_counts_offerings_per_pair():
    listing = [
        batch("litellm", "aggregator", gpt(2.5), offering("openai", "gpt-4.1", {"input": 2.0, "output": 8.0}), offering("openai", "o3", {"input": 2.0})),
        batch("models_dev", "aggregator", gpt(2.5), offering("openai", "gpt-4.1", {"input": 2.0, "output": 9.0})),
        batch("openrouter", "aggregator", offering("openai", "o3", {"input": 10.0})),
    ]
    merged = merge_catalog(listing, PRIORITY, FIRST_PARTY, tolerance=0.01)
    quality = source_quality(merged.comparisons, T0).set_index(["source_a", "source_b"])
    # gpt-4o agrees on both types, gpt-4.1 disagrees on output only: one offering of two.
    assert tuple(quality.loc[("litellm", "models_dev"), ["offerings_compared", "disagreements", "share"]]) == (2, 1, 0.5)
    assert tuple(quality.loc[("litellm", "openrouter"), ["offerings_compared", "disagreements", "share"]]) == (1, 1, 1.0)
    assert ("models_dev", "openrouter") not in quality.index  # nothing in common


def test_context_and_status_changes_ignore_unknown_values():
    before = pd.DataFrame({"model_key": ["a/x", "a/y", "a/z"], "context_window": [128000, None, 8192], "status": ["active", "active", None]})
    after = pd.DataFrame({
        "model_key": ["a/x", "a/y", "a/z"], "context_window": [200000.0, 32000.0, 8192.0],
        "status": ["deprecated", "active", "retired"], "status_source": ["litellm", None, None], "source": ["models_dev"] * 3,
    })
    rows = model_changes(before, after)
    assert list(zip(rows.kind, rows.model_key, rows.field, rows.old, rows.new, rows.source)) == [
        ("context_changed", "a/x", "context_window", "128000", "200000", "models_dev"),
        ("status_changed", "a/x", "status", "active", "deprecated", "litellm"),
    ]
    assert rows["pct_change"].iloc[0] == pytest.approx(56.25)


def test_presence_without_previous_state_is_a_baseline_and_kinds_are_known():
    listed = pd.DataFrame({"model_key": ["a/x"], "source": ["litellm"]})
    presence = track_presence(None, None, listed, {"litellm"}, T0, 3)
    assert presence.baseline and presence.added.empty
    # A snapshot from before the presence table: its models are what is known.
    later = track_presence(None, pd.DataFrame({"model_key": ["a/w"]}), listed, {"litellm"}, T0, 3)
    assert not later.baseline and list(later.added.model_key) == ["a/x"]
    assert set(KINDS) == {"model_added", "model_removed", "price_changed", "context_changed", "status_changed", "source_disagreement"}


def test_the_api_knows_the_same_kinds_and_reads_since_as_utc():
    from api.params import CHANGE_KINDS, parse_since

    assert CHANGE_KINDS == KINDS
    assert parse_since(None) is None
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert parse_since("2026-11-01T12:30:00Z") == datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    assert parse_since("2026-11-01T12:30:00") == datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)  # naive = UTC
    assert parse_since("2026-11-01T14:30:00+02:00") == datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    for bad in ("yesterday", "2026-13-01", "01/11/2026", ""):
        with pytest.raises(ValueError, match="ISO date or datetime"):
            parse_since(bad)
