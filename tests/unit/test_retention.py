"""A model no source lists any more stays published until the feed confirms its removal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

from core.catalog.changes import listings, track_presence
from core.catalog.merge import merge_catalog, price_history
from core.catalog.retention import PreviousCatalog, carry_unlisted, renamed_keys
from core.records import BatchBuilder, Provenance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIORITY = {"litellm": 1}


def listing(*model_ids: str, at: datetime) -> object:
    builder = BatchBuilder(Provenance("litellm", "aggregator", "https://litellm.example/x", at))
    for model_id in model_ids:
        builder.entries += 1
        builder.offering(provider="openai", provider_model_id=model_id, prices={"input": 1.0, "output": 4.0}, context_window=128000)
    return builder.build()


def publish(previous: dict | None, batch, now: datetime, removed_after: int = 2) -> dict:
    """One run as the catalog asset does it: merge, presence, carry, price history."""
    merged = merge_catalog([batch], PRIORITY, {"openai": "openai"})
    previous = previous or {}
    presence = track_presence(
        previous.get("presence"), previous.get("models"), listings([batch.offerings], merged.offerings), {"litellm"}, now, removed_after
    )
    merged, carried = carry_unlisted(
        merged,
        PreviousCatalog(previous.get("models"), previous.get("offerings"), previous.get("prices"), previous.get("aliases"),
                        previous.get("references")),
        presence.table,
        now,
    )
    return {
        "models": merged.models, "offerings": merged.offerings, "aliases": merged.model_aliases,
        "prices": price_history(previous.get("prices"), merged.prices, now), "presence": presence.table,
        "carried": carried, "removed": list(presence.removed["model_key"]), "references": merged.reference_prices,
    }


def test_an_unlisted_model_stays_with_its_prices_until_removed_then_goes():
    first = publish(None, listing("gpt-4o", "gpt-4.1", at=T0), T0)
    assert first["models"]["listed"].all() and first["models"]["unlisted_since"].isna().all()

    t1, t2, t3 = (T0 + timedelta(hours=h) for h in (1, 2, 3))
    second = publish(first, listing("gpt-4o", at=t1), t1)
    models = second["models"].set_index("model_key")
    assert second["carried"] == {"openai/gpt-4.1"} and second["removed"] == []
    assert not models.loc["openai/gpt-4.1", "listed"] and models.loc["openai/gpt-4.1", "unlisted_since"] == pd.Timestamp(t1)
    assert models.loc["openai/gpt-4.1", "context_window"] == 128000  # as it was last seen
    assert "gpt-4.1" in set(second["offerings"]["provider_model_id"])
    assert set(second["aliases"]["source_id"]) == {"gpt-4o", "gpt-4.1"}
    kept = second["references"].set_index(["model_key", "price_type"])
    assert kept.loc[("openai/gpt-4.1", "input"), "usd_per_mtok"] == 1.0  # its reference price as last seen
    open_rows = second["prices"][second["prices"]["valid_to"].isna()]
    assert len(open_rows) == 4  # gpt-4.1's prices stay open: nothing closed
    assert second["prices"]["valid_to"].isna().all()

    third = publish(second, listing("gpt-4o", at=t2), t2)
    assert third["removed"] == ["openai/gpt-4.1"] and third["carried"] == set()
    assert list(third["models"]["model_key"]) == ["openai/gpt-4o"]
    closed = third["prices"][third["prices"]["valid_to"] == pd.Timestamp(t2)]
    assert set(closed["provider_model_id"]) == {"gpt-4.1"}  # closed when the removal is confirmed

    back = publish(third, listing("gpt-4o", "gpt-4.1", at=t3), t3)
    assert back["models"]["listed"].all() and len(back["models"]) == 2


def test_an_unlisted_model_keeps_its_first_unlisted_time():
    first = publish(None, listing("gpt-4o", "gpt-4.1", at=T0), T0, removed_after=5)
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    second = publish(first, listing("gpt-4o", at=t1), t1, removed_after=5)
    third = publish(second, listing("gpt-4o", at=t2), t2, removed_after=5)
    row = third["models"].set_index("model_key").loc["openai/gpt-4.1"]
    assert not row["listed"] and row["unlisted_since"] == pd.Timestamp(t1)


def test_offerings_carried_from_a_snapshot_before_billing_get_a_billing_kind():
    first = publish(None, listing("gpt-4o", "gpt-4.1", at=T0), T0)
    old = {**first, "offerings": first["offerings"].drop(columns=["billing"])}  # written before migration 0005
    t1 = T0 + timedelta(hours=1)
    second = publish(old, listing("gpt-4o", at=t1), t1)
    carried = second["offerings"].set_index("provider_model_id").loc["gpt-4.1"]
    assert carried["billing"] == "metered"
    assert second["offerings"]["billing"].notna().all()


def test_a_key_whose_ids_now_map_to_another_published_key_was_renamed_not_removed():
    previous = pd.DataFrame({
        "source": ["litellm", "litellm", "litellm"], "provider_id": ["openai"] * 3,
        "source_id": ["gpt-4o-latest", "gpt-4o", "gpt-3.5"],
        "model_key": ["openai/gpt-4o-latest", "openai/gpt-4o", "openai/gpt-3.5"], "method": ["rule"] * 3,
    })
    now = previous.iloc[:2].assign(model_key="openai/gpt-4o")  # -latest folded onto gpt-4o; gpt-3.5 gone
    assert renamed_keys(previous, now, {"openai/gpt-4o"}) == {"openai/gpt-4o-latest"}
    assert renamed_keys(None, now, {"openai/gpt-4o"}) == set()
