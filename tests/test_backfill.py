"""Backfills of dated price snapshots, end to end on Dagster, no internet.

A local replay server plays GitHub: the commits API answers one (fake) commit per date and
the raw URL serves, at each commit, one of the four real LiteLLM cost maps in
../shared/reference/data/litellm/ (the file's date is its commit date, SOURCES.md §1).
Backfilling the four dates must give a price history whose changes are the differences
between the files, computed here independently from the raw JSON.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import dagster as dg
import httpx
import pandas as pd
import pytest

from core.identity import default_rules
from core.stores.archive import RawArchive
from core.stores.backfill import day_dir, history_dir
from pipelines.history.assets import backfilled_price_history, daily_partitions, daily_price_snapshot
from pipelines.history.definitions import backfill_assets, backfill_jobs, price_backfill_job, price_history_job
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.http import HttpClientResource
from tests.conftest import FIXTURES, free_port
from tests.replay import ReplayServer

pytestmark = pytest.mark.slow

LITELLM_FILE = "model_prices_and_context_window.json"
# The four dated files and their dates (SOURCES.md §1: dates are the commits' dates).
DATES = ["2025-02-06", "2025-08-23", "2026-01-21", "2026-07-24"]
COMMITS_PATH = f"/github/repos/BerriAI/litellm/commits?path={LITELLM_FILE}&until={{date}}T23:59:59Z&per_page=1"
RAW_PATH = f"/raw/BerriAI/litellm/{{commit}}/{LITELLM_FILE}"
PRICE_FIELDS = {"input_cost_per_token": "input", "output_cost_per_token": "output"}


def fake_sha(day: str) -> str:
    return hashlib.sha1(f"litellm@{day}".encode()).hexdigest()


def target(url: str) -> str:
    """The request target the replay server sees for ``url``."""
    return httpx.URL(url).raw_path.decode()


def resources() -> dict[str, object]:
    return {"http": HttpClientResource(max_attempts=1), "archive": RawArchiveResource()}


class FakeGitHub:
    """The commits API and raw files of BerriAI/litellm, one commit per date, on a replay server."""

    def __init__(self, server: ReplayServer, monkeypatch: pytest.MonkeyPatch):
        self.server = server
        monkeypatch.setenv("AISI_BACKFILL_LITELLM_COMMITS_URL", server.url + COMMITS_PATH)
        monkeypatch.setenv("AISI_BACKFILL_LITELLM_RAW_URL", server.url + RAW_PATH)

    def commit(self, day: str, body: bytes | Path) -> str:
        sha = fake_sha(day)
        answer = [{"sha": sha, "commit": {"committer": {"date": f"{day}T12:00:00Z"}, "message": f"update {day}"}}]
        self.server.add(target(self.server.url + COMMITS_PATH.replace("{date}", day)), json.dumps(answer).encode())
        self.server.add(RAW_PATH.replace("{commit}", sha), body)
        return sha

    def raw_url(self, day: str) -> str:
        return self.server.url + RAW_PATH.replace("{commit}", fake_sha(day))

    def downloads(self, day: str) -> int:
        return len(self.server.seen(RAW_PATH.replace("{commit}", fake_sha(day))))


@pytest.fixture(autouse=True)
def no_github(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing reaches GitHub: the templates point at a closed port unless a test serves them."""
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_COMMITS_URL", dead + COMMITS_PATH)
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_RAW_URL", dead + RAW_PATH)
    for name in ("GITHUB_TOKEN", "AISI_BACKFILL_GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    server = ReplayServer().start()
    yield FakeGitHub(server, monkeypatch)
    server.stop()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def backfill(days: list[str], instance: dg.DagsterInstance) -> None:
    """What an operator's backfill does: one run of price_backfill_job per date, then the history."""
    defs = dg.Definitions(assets=backfill_assets(), jobs=backfill_jobs(), resources=resources())
    job = defs.resolve_job_def(price_backfill_job.name)
    for day in days:
        assert job.execute_in_process(partition_key=day, instance=instance).success
    assert defs.resolve_job_def(price_history_job.name).execute_in_process(instance=instance).success


# -- the expected differences, straight from the raw JSON -----------------------------------


def load(reference: Path, day: str) -> dict[str, Any]:
    return json.loads((reference / "litellm" / f"model_prices_and_context_window.{day}.json").read_text(encoding="utf-8"))


def is_model(key: str, entry: Any) -> bool:
    """A priced model entry (not the `sample_spec` placeholder, `last_updated`, or a search tool)."""
    return (
        key != "sample_spec"
        and isinstance(entry, dict)
        and isinstance(entry.get("litellm_provider"), str)
        and entry.get("mode") not in ("search", "vector_store")
    )


def per_mtok(value: Any) -> float:
    return round(float(value) * 1_000_000, 9)


def raw_differences(old: dict[str, Any], new: dict[str, Any]) -> dict[tuple[str, str], tuple[float, float]]:
    """(model id, price type) -> (old, new) in USD per 1M tokens, for every model id in both
    files whose input or output cost per token differs."""
    found = {}
    for key, before in old.items():
        after = new.get(key)
        if not (is_model(key, before) and is_model(key, after)):
            continue
        for field, price_type in PRICE_FIELDS.items():
            if before.get(field) is None or after.get(field) is None:
                continue
            a, b = per_mtok(before[field]), per_mtok(after[field])
            if a != b and a and b:  # a 0 of a metered offering is no price (unknown): no change to or from it
                found[(key, price_type)] = (a, b)
    return found


def offering(key: str, entry: dict[str, Any]) -> tuple[str, str]:
    """Our offering for a LiteLLM model id: (provider id, the id without its provider prefix)."""
    provider = entry["litellm_provider"]
    model_id = key[len(provider) + 1 :] if key.startswith(f"{provider}/") else key
    return default_rules().provider_id(provider), model_id


def listings(document: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """Offering -> the LiteLLM model ids that list it (more than one: an ambiguous offering)."""
    found: dict[tuple[str, str], list[str]] = {}
    for key, entry in document.items():
        if is_model(key, entry):
            found.setdefault(offering(key, entry), []).append(key)
    return found


# Concrete changes read in the files (model id, price type, old, new), checked against the files
# first, then against the backfilled history.
SPOT_CHECKS = {
    "2025-08-23": [
        ("azure/gpt-4o", "input", 5.0, 2.5),
        ("azure/gpt-4o", "output", 15.0, 10.0),
        ("claude-3-5-haiku-20241022", "input", 1.0, 0.8),
        ("claude-3-5-haiku-20241022", "output", 5.0, 4.0),
        ("mistral/mistral-small", "input", 1.0, 0.1),
    ],
    "2026-01-21": [
        ("deepseek/deepseek-reasoner", "input", 0.55, 0.28),
        ("deepseek/deepseek-reasoner", "output", 2.19, 0.42),
        ("watsonx/ibm/granite-3-8b-instruct", "input", 200.0, 0.2),  # a per-token typo fixed upstream
        ("gpt-3.5-turbo", "input", 1.5, 0.5),
    ],
    "2026-07-24": [
        ("mistral/mistral-large-latest", "input", 2.0, 0.5),
        ("mistral/mistral-large-latest", "output", 6.0, 1.5),
        ("oci/xai.grok-4", "output", 0.15, 15.0),
        ("sambanova/gpt-oss-120b", "input", 3.0, 0.22),
    ],
}
# Input/output changes between consecutive files, per model id (counted from the files; a
# change to or from 0 is none: a metered offering's 0 is not published).
RAW_COUNTS = {"2025-08-23": 46, "2026-01-21": 89, "2026-07-24": 25}


@pytest.mark.reference
def test_backfilling_the_four_litellm_dates_yields_the_differences_between_the_files(
    reference: Path, github: FakeGitHub, instance: dg.DagsterInstance, home: Path
) -> None:
    for day in DATES:
        github.commit(day, reference / "litellm" / f"model_prices_and_context_window.{day}.json")
    backfill(DATES, instance)

    # Every date is a materialised partition with its own file.
    assert instance.get_materialized_partitions(daily_price_snapshot.key) == set(DATES)
    for day in DATES:
        assert sorted(p.name for p in day_dir(date.fromisoformat(day)).iterdir()) == ["litellm.parquet"]
        snapshot = pd.read_parquet(day_dir(date.fromisoformat(day)) / "litellm.parquet")
        assert set(snapshot["source_url"]) == {github.raw_url(day)}
        assert set(snapshot["source_kind"]) == {"aggregator"}  # the badge of LiteLLM itself
        assert set(pd.to_datetime(snapshot["fetched_at"], utc=True)) == {pd.Timestamp(f"{day}T12:00:00Z")}  # commit date
        assert set(snapshot["as_of"]) == {date.fromisoformat(day)}
    archive = RawArchive(home / "raw")
    assert archive.fetch_count("litellm_git") == 4 and archive.last_good("litellm") is None

    changes = pd.read_parquet(history_dir() / "price_changes.parquet")
    history = pd.read_parquet(history_dir() / "price_history.parquet")
    # Base prices (the files' input/output cost per token); long-context tiers are other rows.
    io = changes[changes["price_type"].isin(list(PRICE_FIELDS.values())) & (changes["above_tokens"] == 0)]
    got = {
        (str(row.changed_on), row.provider_id, row.provider_model_id, row.price_type): (row.old_usd_per_mtok, row.new_usd_per_mtok)
        for row in io.itertuples()
    }
    assert len(got) == len(io)

    documents = {day: load(reference, day) for day in DATES}
    for before, after in zip(DATES, DATES[1:]):
        old, new = documents[before], documents[after]
        raw = raw_differences(old, new)
        assert len(raw) == RAW_COUNTS[after]
        for key, price_type, a, b in SPOT_CHECKS[after]:
            assert raw[(key, price_type)] == (a, b)  # what the files say ...
            provider_id, model_id = offering(key, new[key])
            assert got[(after, provider_id, model_id, price_type)] == (a, b)  # ... is what the history says

        # Offerings LiteLLM lists once on both dates: the history's changes are exactly the files'.
        old_listings, new_listings = listings(old), listings(new)
        single = {o for o, keys in old_listings.items() if len(keys) == 1} & {o for o, keys in new_listings.items() if len(keys) == 1}
        expected = {
            (after, *offering(key, new[key]), price_type): values
            for (key, price_type), values in raw.items()
            if offering(key, new[key]) in single
        }
        observed = {k: v for k, v in got.items() if k[0] == after and (k[1], k[2]) in single}
        assert observed == expected
        assert len(observed) == len(expected)

        # Offerings listed under several ids: the listing kept does not depend on the file's order
        # (own provider first, then `provider/model`), so a reordered file is not a change. Their
        # changes are changes of one of their listings in the files, but one: a new Bedrock listing
        # (bedrock_mantle, listed as `provider/model`) that now comes first.
        ambiguous = {k: v for k, v in got.items() if k[0] == after and (k[1], k[2]) not in single}
        unexplained = {
            k: v
            for k, v in ambiguous.items()
            if not any(raw.get((key, k[3])) == v for key in new_listings.get((k[1], k[2]), []))
        }
        if after == "2026-07-24":
            assert new_listings[("amazon-bedrock", "openai.gpt-oss-safeguard-20b")] == [
                "openai.gpt-oss-safeguard-20b", "bedrock_mantle/openai.gpt-oss-safeguard-20b"
            ]
            assert old_listings[("amazon-bedrock", "openai.gpt-oss-safeguard-20b")] == ["openai.gpt-oss-safeguard-20b"]
            assert unexplained == {
                (after, "amazon-bedrock", "openai.gpt-oss-safeguard-20b", "input"): (0.07, 0.075),
                (after, "amazon-bedrock", "openai.gpt-oss-safeguard-20b", "output"): (0.2, 0.3),
            }
        else:
            assert unexplained == {}
        assert len(ambiguous) - len(unexplained) == len(raw) - len(expected)
        per_pair = sum(1 for k in got if k[0] == after)
        print(f"{before} -> {after}: {len(raw)} input/output changes in the files, {per_pair} in the history")
    assert {day: sum(1 for k in got if k[0] == day) for day in DATES[1:]} == {"2025-08-23": 46, "2026-01-21": 89, "2026-07-24": 27}

    # The history itself: the Azure GPT-4o input price over the four dates.
    rows = history[(history["provider_id"] == "azure") & (history["provider_model_id"] == "gpt-4o") & (history["price_type"] == "input")]
    rows = rows.sort_values("valid_from")
    assert rows["usd_per_mtok"].tolist()[:2] == [5.0, 2.5]
    assert pd.Timestamp(rows["valid_from"].iloc[0]) == pd.Timestamp("2025-02-06T00:00:00Z")
    assert pd.Timestamp(rows["valid_to"].iloc[0]) == pd.Timestamp("2025-08-23T00:00:00Z")
    assert pd.Timestamp(rows["valid_from"].iloc[1]) == pd.Timestamp("2025-08-23T00:00:00Z")

    # The history asset's metadata.
    event = instance.get_latest_materialization_event(backfilled_price_history.key)
    metadata = event.asset_materialization.metadata
    assert metadata["days"].value == 4
    assert metadata["changes"].value == len(changes)
    assert metadata["rows"].value == len(history)
    assert metadata["first_day"].value == "2025-02-06" and metadata["last_day"].value == "2026-07-24"
    assert "|" in metadata["sample"].value


def archive_payload(home: Path, source: str, fixture: str, fetched_at: datetime, url: str) -> str:
    archive = RawArchive(home / "raw")
    payload = (FIXTURES / "backfill" / fixture).read_bytes()
    sha = archive.store(payload)
    archive.record(source=source, url=url, outcome="fetched", fetched_at=fetched_at, http_status=200, sha256=sha, size=len(payload))
    return sha


def test_a_payload_archived_on_a_day_is_that_days_snapshot(home: Path, instance: dg.DagsterInstance) -> None:
    fetched = datetime(2025, 3, 2, 14, 30, tzinfo=timezone.utc)
    archive_payload(home, "litellm", "litellm_day1.json", datetime(2025, 3, 1, 23, 0, tzinfo=timezone.utc), "https://l.test/old")
    sha = archive_payload(home, "litellm", "litellm_day2.json", fetched, "https://l.test/prices.json")
    archive_payload(home, "models_dev", "models_dev_day.json", fetched, "https://m.test/api.json")

    result = dg.materialize([daily_price_snapshot], partition_key="2025-03-02", resources=resources(), instance=instance)
    assert result.success
    folder = day_dir(date(2025, 3, 2))
    assert sorted(p.name for p in folder.iterdir()) == ["litellm.parquet", "models_dev.parquet"]  # no openrouter that day

    litellm = pd.read_parquet(folder / "litellm.parquet")
    assert set(litellm["source_url"]) == {"https://l.test/prices.json"} and set(litellm["payload_sha256"]) == {sha}
    assert set(pd.to_datetime(litellm["fetched_at"], utc=True)) == {pd.Timestamp(fetched)}
    prices = litellm.set_index(["provider_id", "provider_model_id", "price_type"])["usd_per_mtok"]
    assert prices[("openai", "gpt-4o", "input")] == 2.5
    # mistral/codestral-latest wins over codestral/codestral-latest (listed first in the file).
    assert prices[("mistral", "codestral-latest", "input")] == 0.3
    models_dev = pd.read_parquet(folder / "models_dev.parquet")
    assert set(models_dev["source"]) == {"models_dev"} and set(models_dev["source_kind"]) == {"aggregator"}

    metadata = result.asset_materializations_for_node("daily_price_snapshot")[0].metadata
    assert metadata["sources"].value["litellm"]["origin"] == "archive"
    assert set(metadata["missing_sources"].value) == {"openrouter"}


def test_a_date_without_a_payload_fails_naming_the_source_the_date_and_where(home: Path, instance: dg.DagsterInstance) -> None:
    archive_payload(home, "models_dev", "models_dev_day.json", datetime(2025, 3, 3, 9, tzinfo=timezone.utc), "https://m.test/api.json")
    result = dg.materialize(
        [daily_price_snapshot], partition_key="2025-03-03", resources=resources(), instance=instance, raise_on_error=False
    )
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert message.startswith("litellm: no payload for 2025-03-03; looked in raw archive ")
    assert str(home / "raw" / "index.sqlite") in message
    assert "commit lookup http://127.0.0.1:" in message and "until=2025-03-03T23:59:59Z" in message
    assert not day_dir(date(2025, 3, 3)).exists()  # nothing half written


def test_rematerialising_a_date_is_idempotent(github: FakeGitHub, home: Path, instance: dg.DagsterInstance) -> None:
    github.commit("2025-03-01", FIXTURES / "backfill" / "litellm_day1.json")
    github.commit("2025-03-02", FIXTURES / "backfill" / "litellm_day2.json")
    backfill(["2025-03-01", "2025-03-02"], instance)
    folder = day_dir(date(2025, 3, 2))
    first = pd.read_parquet(folder / "litellm.parquet")
    changes_first = pd.read_parquet(history_dir() / "price_changes.parquet")
    history_first = pd.read_parquet(history_dir() / "price_history.parquet")
    assert len(changes_first) == 4  # gpt-4o and claude-3-5-haiku, input and output

    (folder / "openrouter.parquet").write_bytes(b"stale")  # a file an earlier run left
    backfill(["2025-03-02", "2025-03-02"], instance)

    assert sorted(p.name for p in folder.iterdir()) == ["litellm.parquet"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["date=2025-03-01", "date=2025-03-02"]
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "litellm.parquet"), first)
    pd.testing.assert_frame_equal(pd.read_parquet(history_dir() / "price_changes.parquet"), changes_first)
    pd.testing.assert_frame_equal(pd.read_parquet(history_dir() / "price_history.parquet"), history_first)
    assert github.downloads("2025-03-02") == 1  # the commit's file came from the archive the second time
    assert RawArchive(home / "raw").fetch_count("litellm_git") == 2


def test_the_backfill_wires_into_the_catalog_definitions() -> None:
    """What the catalog and history areas add together: the assets and jobs, on its own resources."""
    from pipelines.catalog.definitions import all_assets, catalog_job
    from pipelines.resources.defaults import shared_resources

    defs = dg.Definitions(assets=[*all_assets(), *backfill_assets()], jobs=[catalog_job, *backfill_jobs()], resources=shared_resources())
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("price_backfill_job")
    assert job.partitions_def == daily_partitions
    keys = daily_partitions.get_partition_keys()
    assert keys[0] <= "2025-02-06" and keys[-1] == datetime.now(timezone.utc).date().isoformat()
    graph = defs.resolve_asset_graph()
    assert {graph.get(k).group_name for k in (daily_price_snapshot.key, backfilled_price_history.key)} == {"history"}
    assert graph.get(backfilled_price_history.key).parent_keys == {daily_price_snapshot.key}
    # The catalog job is untouched by the history group.
    assert daily_price_snapshot.key not in defs.resolve_job_def("catalog_job").asset_layer.selected_asset_keys
