"""The price history built from dated snapshots (pure functions), and the snapshots' files."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from core.catalog.merge import PRICE_HISTORY_COLUMNS
from core.history.history import (
    CHANGE_COLUMNS,
    DAY_COLUMNS,
    changes_from_history,
    day_prices,
    history_from_days,
    split_days,
)
from core.records import PRICE_COLUMNS, Provenance
from core.sources import litellm
from core.stores.backfill import day_dir, read_days, write_day

D1, D2, D3, D4 = date(2025, 2, 6), date(2025, 8, 23), date(2026, 1, 21), date(2026, 7, 24)


def midnight(day: date) -> pd.Timestamp:
    return pd.Timestamp(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def prices(day: date, *rows: tuple, source: str = "litellm") -> pd.DataFrame:
    """rows: (provider_id, provider_model_id, price_type, usd_per_mtok)."""
    return pd.DataFrame(
        [
            {
                "provider_id": provider,
                "provider_model_id": model,
                "model_key": f"{provider}/{model}",
                "price_type": price_type,
                "usd_per_mtok": float(value),
                "source": source,
                "source_kind": "aggregator",
                "source_url": f"https://example.test/{source}/{day}",
                "fetched_at": midnight(day),
            }
            for provider, model, price_type, value in rows
        ],
        columns=PRICE_COLUMNS,
    )


def rows_of(history: pd.DataFrame, provider: str, model: str, price_type: str, source: str = "litellm") -> list[tuple]:
    found = history[
        (history["source"] == source)
        & (history["provider_id"] == provider)
        & (history["provider_model_id"] == model)
        & (history["price_type"] == price_type)
    ].sort_values("valid_from")
    return [
        (row.usd_per_mtok, row.valid_from, None if pd.isna(row.valid_to) else row.valid_to)
        for row in found.itertuples()
    ]


def test_first_day_opens_every_price_at_its_midnight() -> None:
    history, changes = history_from_days([(D1, prices(D1, ("openai", "gpt-4o", "input", 5), ("openai", "gpt-4o", "output", 15)))])
    assert list(history.columns) == PRICE_HISTORY_COLUMNS
    assert len(history) == 2
    assert (history["valid_from"] == midnight(D1)).all()
    assert history["valid_to"].isna().all()
    assert changes.empty and list(changes.columns) == CHANGE_COLUMNS


def test_a_change_closes_the_old_row_and_is_listed_with_old_new_pct_and_date() -> None:
    days = [
        (D1, prices(D1, ("openai", "gpt-4o", "input", 5), ("openai", "gpt-4o", "output", 15))),
        (D2, prices(D2, ("openai", "gpt-4o", "input", 2.5), ("openai", "gpt-4o", "output", 15))),
        (D3, prices(D3, ("openai", "gpt-4o", "input", 2.5), ("openai", "gpt-4o", "output", 10))),
    ]
    history, changes = history_from_days(days)
    assert rows_of(history, "openai", "gpt-4o", "input") == [(5.0, midnight(D1), midnight(D2)), (2.5, midnight(D2), None)]
    # Unchanged on D2: the D1 row stays open until D3.
    assert rows_of(history, "openai", "gpt-4o", "output") == [(15.0, midnight(D1), midnight(D3)), (10.0, midnight(D3), None)]
    assert changes[["changed_on", "provider_model_id", "price_type", "old_usd_per_mtok", "new_usd_per_mtok", "pct_change"]].to_dict(
        "records"
    ) == [
        {"changed_on": D2, "provider_model_id": "gpt-4o", "price_type": "input", "old_usd_per_mtok": 5.0, "new_usd_per_mtok": 2.5, "pct_change": -50.0},
        {"changed_on": D3, "provider_model_id": "gpt-4o", "price_type": "output", "old_usd_per_mtok": 15.0, "new_usd_per_mtok": 10.0,
         "pct_change": -33.3333},
    ]


def test_days_are_applied_in_date_order_whatever_the_order_given() -> None:
    days = [(D2, prices(D2, ("openai", "gpt-4o", "input", 2.5))), (D1, prices(D1, ("openai", "gpt-4o", "input", 5)))]
    _, changes = history_from_days(days)
    assert changes[["changed_on", "old_usd_per_mtok", "new_usd_per_mtok"]].values.tolist() == [[D2, 5.0, 2.5]]


def test_a_day_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="2025-02-06"):
        history_from_days([(D1, prices(D1, ("openai", "gpt-4o", "input", 5))), (D1, prices(D1))])


def test_a_price_that_vanishes_and_returns_is_not_a_change() -> None:
    days = [
        (D1, prices(D1, ("openai", "gpt-4o", "input", 5), ("openai", "o1", "input", 15))),
        (D2, prices(D2, ("openai", "o1", "input", 15))),
        (D3, prices(D3, ("openai", "gpt-4o", "input", 2.5), ("openai", "o1", "input", 15))),
    ]
    history, changes = history_from_days(days)
    assert rows_of(history, "openai", "gpt-4o", "input") == [(5.0, midnight(D1), midnight(D2)), (2.5, midnight(D3), None)]
    assert changes.empty


def test_a_new_price_type_or_offering_is_not_a_change() -> None:
    days = [
        (D1, prices(D1, ("openai", "gpt-4o", "input", 5))),
        (D2, prices(D2, ("openai", "gpt-4o", "input", 5), ("openai", "gpt-4o", "cached_input", 2.5), ("openai", "o3", "input", 2))),
    ]
    history, changes = history_from_days(days)
    assert changes.empty
    assert len(history) == 3 and history["valid_to"].isna().all()


def test_a_day_without_a_source_closes_none_of_its_rows() -> None:
    """models.dev is dated only on days the archive holds it: a day without it is no removal."""
    days = [
        (D1, pd.concat([prices(D1, ("openai", "gpt-4o", "input", 5)), prices(D1, ("openai", "gpt-4o", "input", 2.5), source="models_dev")])),
        (D2, prices(D2, ("openai", "gpt-4o", "input", 5))),
        (D3, pd.concat([prices(D3, ("openai", "gpt-4o", "input", 5)), prices(D3, ("openai", "gpt-4o", "input", 2.0), source="models_dev")])),
    ]
    history, changes = history_from_days(days)
    assert rows_of(history, "openai", "gpt-4o", "input", "models_dev") == [(2.5, midnight(D1), midnight(D3)), (2.0, midnight(D3), None)]
    assert rows_of(history, "openai", "gpt-4o", "input", "litellm") == [(5.0, midnight(D1), None)]
    # Sources keep their own histories: two sources disagreeing is not a change.
    assert changes[["changed_on", "source", "old_usd_per_mtok", "new_usd_per_mtok"]].values.tolist() == [[D3, "models_dev", 2.5, 2.0]]


def test_a_change_from_zero_has_no_percentage() -> None:
    _, changes = history_from_days([(D1, prices(D1, ("google", "gemini-2.0-flash-exp", "input", 0))),
                                    (D2, prices(D2, ("google", "gemini-2.0-flash-exp", "input", 0.15)))])
    assert len(changes) == 1 and math.isnan(changes.loc[0, "pct_change"])
    assert changes.loc[0, "new_usd_per_mtok"] == 0.15


def test_no_days_no_history() -> None:
    history, changes = history_from_days([])
    assert history.empty and changes.empty
    assert list(history.columns) == PRICE_HISTORY_COLUMNS and list(changes.columns) == CHANGE_COLUMNS


def test_changes_from_history_needs_the_next_row_to_open_when_the_old_closes() -> None:
    history, _ = history_from_days(
        [(D1, prices(D1, ("a", "m", "input", 1))), (D2, prices(D2, ("a", "other", "input", 1))), (D3, prices(D3, ("a", "m", "input", 2))),
         (D4, prices(D4, ("a", "m", "input", 3)))]
    )
    changes = changes_from_history(history)
    assert changes[["changed_on", "old_usd_per_mtok", "new_usd_per_mtok", "pct_change"]].values.tolist() == [[D4, 2.0, 3.0, 50.0]]


def test_day_prices_from_a_normalised_litellm_payload() -> None:
    payload = (Path(__file__).parent.parent / "fixtures" / "backfill" / "litellm_day1.json").read_bytes()
    fetched = datetime(2025, 2, 6, 9, 30, tzinfo=timezone.utc)
    batch = litellm.normalise(litellm.parse(payload), Provenance("litellm", "aggregator", "https://x.test/f.json", fetched))
    frame = day_prices(batch, D1, "abc123")
    assert list(frame.columns) == DAY_COLUMNS
    assert set(frame["as_of"]) == {D1} and set(frame["payload_sha256"]) == {"abc123"}
    assert (frame["fetched_at"] == pd.Timestamp(fetched)).all()
    gpt = frame[(frame["provider_model_id"] == "gpt-4o")].set_index("price_type")["usd_per_mtok"].to_dict()
    assert gpt == {"input": 5.0, "output": 15.0}


def test_write_day_replaces_the_whole_day_and_read_days_reads_every_day(tmp_path: Path) -> None:
    home = tmp_path
    first = day_prices_frame(D1, ("openai", "gpt-4o", "input", 5))
    write_day(D1, {"litellm": first, "models_dev": day_prices_frame(D1, ("openai", "gpt-4o", "input", 2.5), source="models_dev")}, home)
    write_day(D2, {"litellm": day_prices_frame(D2, ("openai", "gpt-4o", "input", 2.5))}, home)
    assert sorted(p.name for p in day_dir(D1, home).iterdir()) == ["litellm.parquet", "models_dev.parquet"]
    # Re-materialising D1 without models.dev leaves no stale models.dev file, and nothing hidden behind.
    write_day(D1, {"litellm": first}, home)
    assert sorted(p.name for p in day_dir(D1, home).iterdir()) == ["litellm.parquet"]
    assert sorted(p.name for p in day_dir(D1, home).parent.iterdir()) == ["date=2025-02-06", "date=2025-08-23"]

    frame = read_days(home)
    assert frame["as_of"].tolist() == [D1, D2]
    assert list(frame.columns) == ["as_of", *PRICE_COLUMNS]
    days = split_days(frame)
    assert [day for day, _ in days] == [D1, D2]
    _, changes = history_from_days(days)
    assert changes[["changed_on", "old_usd_per_mtok", "new_usd_per_mtok"]].values.tolist() == [[D2, 5.0, 2.5]]


def day_prices_frame(day: date, *rows: tuple, source: str = "litellm") -> pd.DataFrame:
    frame = prices(day, *rows, source=source)
    frame.insert(0, "as_of", day)
    frame["payload_sha256"] = "sha"
    return frame[DAY_COLUMNS]
