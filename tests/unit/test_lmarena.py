"""LMArena: the leaderboard JSON and the dated CSV history, on fixtures and on the real CSV
(../shared/reference/data/lmarena). Run with ``-s`` to see the identity shares."""

from __future__ import annotations

import csv
import functools
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from core.catalog.identity_report import load_batches
from core.identity import UNMATCHED
from core.records import PayloadError, Provenance
from core.sources import lmarena, lmarena_history
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
LEADERBOARD = FIXTURES / "lmarena" / "leaderboard-text.json"
HISTORY = FIXTURES / "lmarena" / "history.csv"
REAL_CSV = "lmarena/lmarena-history.result.2025-03-02.csv"


def normalised(module, payload: bytes):
    return module.normalise(module.parse(payload), Provenance(module.SPEC.name, module.SPEC.kind, "http://replay/x", NOW))


def score(batch, model_key: str, benchmark: str, as_of: date | None = None) -> float | None:
    b = batch.benchmarks
    rows = b[(b.model_key == model_key) & (b.benchmark == benchmark)]
    if as_of is not None:
        rows = rows[rows.as_of == as_of]
    assert len(rows) <= 1
    return None if rows.empty else float(rows.score.iloc[0])


# -- the leaderboard JSON ------------------------------------------------------------------


def test_leaderboard_categories_become_benchmarks_dated_by_the_fetch():
    entries = lmarena.parse(LEADERBOARD.read_bytes())
    assert len(entries) == 15  # 8 in full, 4 in coding, 3 in creative_writing
    assert ("full", "gemini-3-pro", {"rating": 1490.25, "rating_q975": 1496.5, "rating_q025": 1484.0}) in entries
    batch = normalised(lmarena, LEADERBOARD.read_bytes())
    assert batch.entries == 15
    b = batch.benchmarks
    assert len(b) == 14  # one record has no rating
    assert dict(b.benchmark.value_counts()) == {"lmarena_elo_full": 8, "lmarena_elo_coding": 4, "lmarena_elo_creative_writing": 2}
    assert set(b.unit) == {"elo"} and set(b.variant) == {""} and set(b.source) == {"lmarena"}
    assert set(b.source_kind) == {"aggregator"}
    assert set(b.as_of) == {date(2026, 11, 1)}  # the fetch date: the file carries none
    assert score(batch, "google/gemini-3-pro", "lmarena_elo_full") == 1490.25
    assert score(batch, "anthropic/claude-opus-4-5-20251101", "lmarena_elo_coding") == 1520.5
    assert score(batch, "openai/gpt-4o-2024-05-13", "lmarena_elo_creative_writing") == 1330.0
    assert list(batch.rejects.source_id) == ["creative_writing/qwen2.5-72b-instruct"]
    assert batch.reject_reasons == {"no rating": 1}
    # Only the rating is stored: the interval bounds are not scores.
    assert 1496.5 not in set(b.score) and 1484.0 not in set(b.score)


def test_leaderboard_keys_resolve_to_model_keys_by_name():
    batch = normalised(lmarena, LEADERBOARD.read_bytes())
    full = batch.benchmarks[batch.benchmarks.benchmark == "lmarena_elo_full"]
    keys = dict(zip(full.source_id, zip(full.model_key, full.identity_method)))
    assert keys == {
        "gemini-3-pro": ("google/gemini-3-pro", "rule"),
        "claude-opus-4-5-20251101": ("anthropic/claude-opus-4-5-20251101", "rule"),
        "gpt-4o-2024-05-13": ("openai/gpt-4o-2024-05-13", "rule"),
        "deepseek-v3": ("deepseek/deepseek-v3", "rule"),
        "qwen2.5-72b-instruct": ("alibaba/qwen2.5-72b-instruct", "rule"),
        "llama-3.1-405b-instruct-bf16": ("meta/llama-3.1-405b-instruct", "rule"),  # the original BF16 weights
        "grok-2-2024-08-13": ("xai/grok-2-2024-08-13", "rule"),
        "moonlit-otter-chat": ("lmarena/moonlit-otter-chat", UNMATCHED),  # no rule knows it: kept, unmatched
    }


def test_leaderboard_category_names_become_slugs():
    assert lmarena.benchmark_name("full") == "lmarena_elo_full"
    assert lmarena.benchmark_name("creative_writing") == "lmarena_elo_creative_writing"
    assert lmarena.benchmark_name("Industry: Life & Health") == "lmarena_elo_industry_life_health"


def test_leaderboard_bad_records_are_rejected_not_fatal():
    payload = b'{"full": {"a-model": "1300", "gpt-4": {"rating": "strong"}, "gpt-4-0613": {"rating": 0}, "o1-mini": {"rating": 1300.5}}}'
    batch = normalised(lmarena, payload)
    assert list(batch.benchmarks.model_key) == ["openai/o1-mini"]
    assert batch.reject_reasons == {"record is not an object": 1, "unparseable rating": 1, "no rating": 1}


def test_leaderboard_keys_of_one_model_keep_the_first():
    payload = b'{"full": {"llama-3.1-405b-instruct": {"rating": 1330}, "llama-3.1-405b-instruct-bf16": {"rating": 1335}}}'
    batch = normalised(lmarena, payload)
    assert list(batch.benchmarks.score) == [1330.0]
    assert batch.reject_reasons == {"another arena key resolves to the same model: first kept": 1}


@pytest.mark.parametrize(
    "payload",
    [
        b"<html>down for maintenance</html>",
        b"[1, 2, 3]",
        b"{}",
        b"",
        b'{"full": [1, 2]}',
        b'{"full": {}}',
        b'{"openai": {"name": "OpenAI", "models": {"gpt-4o": {"cost": {"input": 2.5}}}}}',  # models.dev, not the leaderboard
    ],
)
def test_leaderboard_garbage_raises_payload_error(payload):
    with pytest.raises(PayloadError):
        lmarena.parse(payload)


# -- the CSV history -----------------------------------------------------------------------


def test_history_reads_dated_cells_and_treats_zero_as_absent():
    entries = lmarena_history.parse(HISTORY.read_bytes())
    # 3 dates x 6 models = 18 cells: 7 are 0.0 and 1 is empty.
    assert len(entries) == 10
    assert (date(2024, 6, 1), "gpt-4o-2024-05-13", 1287.5) in entries
    assert all(rating > 0 for _, _, rating in entries)
    assert not [e for e in entries if e[0] == date(2024, 6, 1) and e[1] == "claude-3-5-sonnet-20241022"]  # 0.0
    assert not [e for e in entries if e[0] == date(2025, 1, 15) and e[1] == "moonlit-otter-chat"]  # empty
    batch = normalised(lmarena_history, HISTORY.read_bytes())
    b = batch.benchmarks
    assert batch.entries == 10 and len(b) == 10 and batch.rejects.empty
    assert set(b.benchmark) == {"lmarena_elo_full"} and set(b.unit) == {"elo"} and set(b.source) == {"lmarena_history"}
    assert sorted(set(b.as_of)) == [date(2024, 6, 1), date(2024, 12, 1), date(2025, 1, 15)]  # each row's own date
    gpt = b[b.model_key == "openai/gpt-4o-2024-05-13"].sort_values("as_of")
    assert list(gpt.score) == [1287.5, 1285.0, 1284.25]
    assert score(batch, "deepseek/deepseek-v3", "lmarena_elo_full", date(2025, 1, 15)) == 1316.5
    assert score(batch, "lmarena/moonlit-otter-chat", "lmarena_elo_full", date(2024, 6, 1)) == 1105.25
    # A column renamed upstream (`-bf16`) continues the same model's history.
    llama = b[b.model_key == "meta/llama-3.1-405b-instruct"].sort_values("as_of")
    assert list(zip(llama.as_of, llama.source_id)) == [
        (date(2024, 6, 1), "llama-3.1-405b-instruct"),
        (date(2024, 12, 1), "llama-3.1-405b-instruct-bf16"),
        (date(2025, 1, 15), "llama-3.1-405b-instruct-bf16"),
    ]


def test_history_accepts_a_named_date_column_and_a_bom():
    payload = b"\xef\xbb\xbfdate,gpt-4\r\n20230508,1200.5\r\n20230522,0.0\r\n"
    assert lmarena_history.parse(payload) == [(date(2023, 5, 8), "gpt-4", 1200.5)]


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><body>rate limited</body></html>",
        b"",
        b"{}",
        b'[["20230508", 1200]]',
        b"gpt-4,claude-2\n1200.5,1100.0\n",  # no date column
        b"model,gpt-4\n20230508,1200.5\n",  # the first column is not the date
        b",gpt-4,claude-2\n20230508,1200.5,strong\n",  # a cell that is no number
        b",gpt-4,claude-2\n2023-05-08,1200.5,1100.0\n",  # not yyyymmdd
        b",gpt-4,claude-2\n20231345,1200.5,1100.0\n",  # no such date
        b",gpt-4,claude-2\n20230508,1200.5\n",  # a short row
        b",gpt-4,gpt-4\n20230508,1200.5,1100.0\n",  # a model twice
        b",gpt-4,claude-2\n20230508,1200.5,0.0\n20230508,1201.0,0.0\n",  # a date twice
        b",gpt-4,claude-2\n",  # no dates
        b",gpt-4,claude-2\n20230508,0.0,0.0\n",  # no ratings
        b"\xff\xfe,\x00g\x00",  # not UTF-8
    ],
)
def test_history_garbage_raises_payload_error(payload):
    with pytest.raises(PayloadError):
        lmarena_history.parse(payload)


def test_specs_name_their_sources_and_are_overridable(monkeypatch):
    assert lmarena.SPEC.url() == "https://raw.githubusercontent.com/lmarena/arena-catalog/main/data/leaderboard-text.json"
    assert lmarena_history.SPEC.url() == "https://raw.githubusercontent.com/nakasyou/lmarena-history/main/output/result.csv"
    monkeypatch.setenv("AISI_SOURCE_LMARENA_URL", "http://127.0.0.1:9/arena/")
    monkeypatch.setenv("AISI_SOURCE_LMARENA_HISTORY_URL", "http://127.0.0.1:9/history")
    assert lmarena.SPEC.url() == "http://127.0.0.1:9/arena/data/leaderboard-text.json"
    assert lmarena_history.SPEC.url() == "http://127.0.0.1:9/history/output/result.csv"
    for spec in (lmarena.SPEC, lmarena_history.SPEC):
        assert spec.kind == "aggregator" and spec.priority == 5 and not spec.key_env and not spec.paged


# -- the real CSV (reference data) ---------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _catalog_keys(reference: Path) -> frozenset[str]:
    """The model keys of the reference catalog: models.dev, LiteLLM 2026-07-24, OpenRouter 2026-08-01."""
    return frozenset(key for batch in load_batches(reference).values() for key in batch.offerings["model_key"])


@pytest.mark.reference
def test_real_history_loads_with_zero_read_as_absent(reference):
    path = reference / REAL_CSV
    with path.open(newline="") as f:
        matrix = list(csv.reader(f))
    header, rows = matrix[0], matrix[1:]
    assert len(rows) == 98 and len(header) - 1 == 227
    non_zero = sum(1 for row in rows for cell in row[1:] if float(cell) != 0.0)
    assert non_zero == 11827

    entries = lmarena_history.parse(path.read_bytes())
    assert len(entries) == 11827
    assert len({day for day, _, _ in entries}) == 98
    assert len({key for _, key, _ in entries}) == 227
    assert min(day for day, _, _ in entries) == date(2023, 5, 8)
    assert max(day for day, _, _ in entries) == date(2025, 2, 27)

    batch = lmarena_history.normalise(entries, Provenance("lmarena_history", "aggregator", "file:" + REAL_CSV, NOW))
    b = batch.benchmarks
    assert batch.entries == 11827 and len(b) == 11827 and batch.rejects.empty  # no two keys collide on a date
    assert (b.score > 0).all()  # 0.0 never becomes a row
    assert b.as_of.nunique() == 98
    # Known values, read from the file: GPT-4o (2024-05-13) on 2025-02-27; 0.0 on the first date.
    assert score(batch, "openai/gpt-4o-2024-05-13", "lmarena_elo_full", date(2025, 2, 27)) == pytest.approx(1284.717838655607)
    assert score(batch, "openai/gpt-4o-2024-05-13", "lmarena_elo_full", date(2023, 5, 8)) is None
    assert score(batch, "xai/early-grok-3", "lmarena_elo_full", date(2025, 2, 27)) == pytest.approx(1403.455035, abs=1e-6)


@pytest.mark.reference
def test_real_history_identity_shares(reference):
    entries = lmarena_history.parse((reference / REAL_CSV).read_bytes())
    batch = lmarena_history.normalise(entries, Provenance("lmarena_history", "aggregator", "file:" + REAL_CSV, NOW))
    models = batch.benchmarks.drop_duplicates("source_id")
    assert len(models) == 227
    unmatched = models[models.identity_method == UNMATCHED]
    catalog = _catalog_keys(reference)
    in_catalog = models[models.model_key.isin(catalog)]
    unmatched_share = len(unmatched) / len(models)
    catalog_share = len(in_catalog) / len(models)
    print(
        f"\nlmarena history: {len(models)} arena keys -> {models.model_key.nunique()} model keys; "
        f"unmatched {len(unmatched)} ({unmatched_share:.1%}): {sorted(unmatched.source_id)}; "
        f"in the catalog {len(in_catalog)} ({catalog_share:.1%})"
    )
    assert unmatched_share < 0.05
    assert sorted(unmatched.source_id) == ["im-also-a-late-june-chatbot", "late-june-chatbot"]  # anonymous test models
    assert catalog_share >= 0.44  # 102 of 227 on this data: most others are 2023-24 models no catalog lists now
