"""Artificial Analysis, both endpoints (``artificial_analysis``: the older one-page
``/api/v2/data/llms/models``; ``artificial_analysis_language``: the paged
``/api/v2/language/models``): page URLs, the ``x-api-key`` header, parse of the archived
``{"pages": [...]}`` payload, and normalise (modes split into variants, benchmarks, speed
with 0 dropped, prices with 0 unknown, rejects with their reasons) on hand-written pages in
each shape (tests/fixtures/aa), and on the real reference data (450 models): every record
used or rejected, known values, and the identity shares (printed; run with ``-s``)."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from core.fetch.engine import fetch_source
from core.identity import UNMATCHED
from core.records import PayloadError, Provenance
from core.sources import artificial_analysis as aa
from core.sources import artificial_analysis_language as aal
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.conftest import FIXTURES
from tests.replay import ReplayServer

AA_FIXTURES = FIXTURES / "aa"
NOW = datetime(2026, 3, 25, 19, 8, 46, tzinfo=timezone.utc)
KEY = "aa-PLANTEDartificialAnalysisKey5e6f7a8b"
LANGUAGE_PAGES = ["language_models_page1.json", "language_models_page2.json", "language_models_page3.json"]
REFERENCE_FILE = "artificial_analysis/aa_api_v2_llms_models.wrapped.2026-03-25.json"


def page(fixture: str) -> dict:
    return json.loads((AA_FIXTURES / fixture).read_text())


def archived(*fixtures: str) -> bytes:
    return json.dumps({"pages": [page(f) for f in fixtures]}).encode()


def legacy_batch():
    return aa.normalise(aa.parse(archived("llms_models.json")), Provenance("artificial_analysis", "aggregator", "https://aa/legacy", NOW))


def language_batch():
    entries = aal.parse(archived(*LANGUAGE_PAGES))
    return aal.normalise(entries, Provenance("artificial_analysis_language", "aggregator", "https://aa/language", NOW))


def scores(batch, model_key: str, variant: str) -> dict[str, float]:
    b = batch.benchmarks
    rows = b[(b.model_key == model_key) & (b.variant == variant)]
    return dict(zip(rows.benchmark, rows.score))


def measured(batch, provider_model_id: str) -> dict[str, float]:
    p = batch.performance
    rows = p[p.provider_model_id == provider_model_id]
    return dict(zip(rows.metric, rows.value))


def prices(batch, provider_model_id: str) -> dict[str, float]:
    p = batch.prices
    rows = p[p.provider_model_id == provider_model_id]
    return dict(zip(rows.price_type, rows.usd_per_mtok))


def offering(batch, provider_model_id: str):
    rows = batch.offerings[batch.offerings.provider_model_id == provider_model_id]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# -- specs, URLs, auth -------------------------------------------------------------------------


def test_specs_share_the_base_url_variable_and_the_key(monkeypatch):
    for module, name, path in ((aa, "artificial_analysis", "/api/v2/data/llms/models"),
                               (aal, "artificial_analysis_language", "/api/v2/language/models")):
        spec = module.SPEC
        assert (spec.name, spec.env_name, spec.kind, spec.priority) == (name, "ARTIFICIAL_ANALYSIS", "aggregator", 4)
        assert spec.key_env == ("ARTIFICIAL_ANALYSIS_API_KEY",) and spec.key_required and spec.paged
        assert spec.url_variable == "AISI_SOURCE_ARTIFICIAL_ANALYSIS_URL"
        monkeypatch.delenv(spec.url_variable, raising=False)
        assert spec.url() == "https://artificialanalysis.ai" + path
        monkeypatch.setenv(spec.url_variable, "http://127.0.0.1:9/aa/")
        assert spec.url() == "http://127.0.0.1:9/aa" + path
        assert module.auth_headers(KEY) == {"x-api-key": KEY}


def test_legacy_endpoint_is_one_page():
    url = "https://artificialanalysis.ai/api/v2/data/llms/models"
    assert aa.first_url(url) == url
    assert aa.next_url(page("llms_models.json"), url) is None


def test_language_pages_follow_meta_pagination():
    base = "https://artificialanalysis.ai/api/v2/language/models"
    first = aal.first_url(base)
    assert first == base + "?page=1"
    second = aal.next_url(page("language_models_page1.json"), first)
    assert second == base + "?page=2"
    assert aal.next_url(page("language_models_page2.json"), second) == base + "?page=3"  # replaced, not appended
    assert aal.next_url(page("language_models_page3.json"), base + "?page=3") is None  # has_more false
    assert aal.next_url({"data": []}, first) is None  # no pagination: one page
    with pytest.raises(PayloadError, match="has_more"):
        aal.next_url({"meta": {"pagination": {"has_more": True}}, "data": []}, first)


def test_parse_reads_every_page_and_refuses_error_envelopes():
    assert len(aa.parse(archived("llms_models.json"))) == 14
    assert len(aal.parse(archived(*LANGUAGE_PAGES))) == 8
    with pytest.raises(PayloadError, match="status 429"):
        aa.parse(json.dumps({"pages": [{"status": 429, "data": []}]}).encode())
    with pytest.raises(PayloadError, match="no pages"):
        aa.parse(json.dumps({"status": 200, "data": []}).encode())  # not the archived form
    with pytest.raises(PayloadError, match="not JSON"):
        aal.parse(b"<html>rate limited</html>")
    with pytest.raises(PayloadError, match="no `data` list"):
        aal.parse(json.dumps({"pages": [{"meta": {}}]}).encode())


# -- modes and names ---------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "name", "expected"), [
    ("gpt-oss-20b-low", "gpt-oss-20B (low)", ("gpt-oss-20b", "low")),
    ("gpt-oss-20b", "gpt-oss-20B (high)", ("gpt-oss-20b", "high")),  # the mode only in the name
    ("o3-mini-high", "o3-mini (high)", ("o3-mini", "high")),
    ("o3-mini", "o3-mini", ("o3-mini", "")),
    ("claude-4-sonnet-thinking", "Claude 4 Sonnet (Reasoning)", ("claude-4-sonnet", "thinking")),
    ("gpt-5-4-mini-non-reasoning", "GPT-5.4 mini (Non-Reasoning)", ("gpt-5-4-mini", "non-reasoning")),
    ("gpt-5-minimal", "GPT-5 (minimal)", ("gpt-5", "minimal")),
    ("nova-2-0-lite-reasoning-medium", "Nova 2.0 Lite (medium)", ("nova-2-0-lite", "reasoning-medium")),
    ("claude-sonnet-4-6-non-reasoning-low-effort", "Claude Sonnet 4.6 (Non-reasoning, Low Effort)",
     ("claude-sonnet-4-6", "non-reasoning-low-effort")),
    ("claude-opus-4-6", "Claude Opus 4.6 (Non-reasoning, High Effort)", ("claude-opus-4-6", "non-reasoning-high-effort")),
    # A mode word before a date: the date stays with the model.
    ("deepseek-v3-2-reasoning-0925", "DeepSeek V3.2 Exp (Reasoning)", ("deepseek-v3-2-0925", "reasoning")),
    ("gemini-2-5-flash-reasoning-04-2025", "Gemini 2.5 Flash Preview (Reasoning)", ("gemini-2-5-flash-04-2025", "reasoning")),
    # Model names that end in a mode word: the name states no mode, nothing is split.
    ("sonar-reasoning", "Sonar Reasoning", ("sonar-reasoning", "")),
    ("kimi-k2-thinking", "Kimi K2 Thinking", ("kimi-k2-thinking", "")),
    ("devstral-medium", "Devstral Medium", ("devstral-medium", "")),
    ("qwen3-max-thinking-preview", "Qwen3 Max Thinking (Preview)", ("qwen3-max-thinking-preview", "")),
    ("llama-3-2-instruct-90b-vision", "Llama 3.2 Instruct 90B (Vision)", ("llama-3-2-instruct-90b-vision", "")),
])
def test_split_variant(slug, name, expected):
    assert aa.split_variant(slug, name) == expected


@pytest.mark.parametrize(("slug", "name", "expected"), [
    ("qwen3-5-0-8b", "Qwen3.5 0.8B (Reasoning)", "qwen3.5-0.8b"),
    ("lfm2-5-1-2b-instruct", "LFM2.5-1.2B-Instruct", "lfm2.5-1.2b-instruct"),
    ("gpt-5-4-mini", "GPT-5.4 mini (xhigh)", "gpt-5.4-mini"),
    ("claude-35-sonnet", "Claude 3.5 Sonnet (Oct '24)", "claude-3.5-sonnet"),
    ("gpt-35-turbo", "GPT-3.5 Turbo", "gpt-3.5-turbo"),
    ("gemini-2-5-flash-lite-preview-09-2025", "Gemini 2.5 Flash-Lite Preview (Sep '25)", "gemini-2.5-flash-lite-preview-09-2025"),
    ("magistral-small-2509", "Magistral Small 1.2", "magistral-small-2509"),  # no 1-2 in the slug
    ("QwQ-32B-Preview", "QwQ 32B-Preview", "qwq-32b-preview"),
])
def test_restore_decimals_from_the_display_name(slug, name, expected):
    assert aa.restore_decimals(slug, name) == expected


def _record(slug: str, name: str, creator: str) -> dict:
    return {"slug": slug, "name": name, "model_creator": {"slug": creator, "name": creator}}


def test_identities_read_the_creator_as_namespace_and_aas_spellings():
    found = aa.record_identities([
        _record("llama-3-1-instruct-70b", "Llama 3.1 Instruct 70B", "meta"),
        _record("llama-2-chat-7b", "Llama 2 Chat 7B", "meta"),
        _record("qwen3-32b-instruct-reasoning", "Qwen3 32B (Reasoning)", "alibaba"),
        _record("llama-nemotron-super-49b-v1-5", "Llama Nemotron Super 49B v1.5 (Non-reasoning)", "nvidia"),
        _record("nova-2-0-lite-reasoning-low", "Nova 2.0 Lite (low)", "aws"),
        _record("kimi-k2-5", "Kimi K2.5 (Reasoning)", "kimi"),
        _record("olmo-3-7b-think", "Olmo 3 7B Think", "ai2"),
        _record("claude-4-5-haiku-reasoning", "Claude 4.5 Haiku (Reasoning)", "anthropic"),
        _record("exaone-4-0-32b", "EXAONE 4.0 32B (Non-reasoning)", "lg"),
    ])
    keys = {slug: (i.provider_id, i.model_key) for slug, i in found.items()}
    assert keys == {
        "llama-3-1-instruct-70b": ("meta", "meta/llama-3.1-70b-instruct"),
        "llama-2-chat-7b": ("meta", "meta/llama-2-7b-chat"),
        "qwen3-32b-instruct-reasoning": ("alibaba", "alibaba/qwen3-32b"),
        # AA's creator decides, not the `llama` pattern (Meta's).
        "llama-nemotron-super-49b-v1-5": ("nvidia", "nvidia/llama-3.3-nemotron-super-49b-v1.5"),
        "nova-2-0-lite-reasoning-low": ("amazon-bedrock", "amazon/nova-2-lite"),
        "kimi-k2-5": ("moonshotai", "moonshotai/kimi-k2.5"),
        "olmo-3-7b-think": ("ai2", "allenai/olmo-3-7b-think"),
        "claude-4-5-haiku-reasoning": ("anthropic", "anthropic/claude-haiku-4-5"),
        "exaone-4-0-32b": ("lg", "lg/exaone-4.0-32b"),  # a creator no other source knows: still placed
    }
    assert all(i.method != UNMATCHED for i in found.values())


# -- normalise: the older endpoint -------------------------------------------------------------


def test_legacy_records_normalise():
    batch = legacy_batch()
    assert batch.entries == 14
    assert batch.reject_reasons == {
        "no model slug": 1, "no model creator": 1, "unparseable evaluations.gpqa: 'n/a'": 1,
        "same model and variant as gpt-5-minimal": 1,
    }
    assert set(batch.rejects.source_id) == {"e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9", "orphan-7b", "deepseek-v3-2", "gpt-5-minimal"}
    # An unusable record yields nothing at all.
    assert "deepseek/deepseek-v3.2" not in set(batch.benchmarks.model_key)

    # Benchmarks: each mode of a model is a variant; null scores are not stored.
    high = scores(batch, "openai/gpt-oss-20b", "high")
    low = scores(batch, "openai/gpt-oss-20b", "low")
    assert len(high) == len(low) == 13  # 15 keys, math_500 and aime null
    assert low["artificial_analysis_intelligence_index"] == 20.8 and low["tau2"] == 0.503
    assert high["artificial_analysis_intelligence_index"] == 24.5 and "math_500" not in high
    assert scores(batch, "anthropic/claude-sonnet-4", "thinking")["math_500"] == 0.991
    assert scores(batch, "anthropic/claude-sonnet-4", "non-reasoning") == {
        "artificial_analysis_intelligence_index": 33.0, "mmlu_pro": 0.837, "gpqa": 0.683}
    assert scores(batch, "openai/o3-mini", "high")["aime"] == 0.86
    assert scores(batch, "meta/llama-3.1-70b-instruct", "") == {"artificial_analysis_intelligence_index": 12.0, "mmlu_pro": 0.676}
    assert scores(batch, "perplexity/sonar-reasoning", "") == {"artificial_analysis_intelligence_index": 20.1}
    assert scores(batch, "openai/gpt-5", "minimal") == {"artificial_analysis_intelligence_index": 23.7}  # the first of the twins
    b = batch.benchmarks
    assert set(b[b.benchmark.str.startswith("artificial_analysis_")].unit) == {"index"}
    assert set(b[~b.benchmark.str.startswith("artificial_analysis_")].unit) == {"fraction"}
    assert set(b.as_of) == {date(2026, 3, 25)} and set(b.source) == {"artificial_analysis"}
    assert set(b[b.model_key == "openai/gpt-oss-20b"].source_id) == {"gpt-oss-20b"}  # the slug without its mode

    # Performance: per AA slug (with its mode), under the creator; a 0 is "not measured".
    assert measured(batch, "gpt-oss-20b-low") == {"throughput": 268.297, "time_to_first_token": 0.484, "time_to_first_answer_token": 7.939}
    assert measured(batch, "gemini-2-5-pro") == {} and measured(batch, "grok-1") == {}
    p = batch.performance
    assert set(p.percentile) == {"p50"}
    assert set(p[p.metric == "throughput"].unit) == {"tokens_per_s"} and set(p[p.metric != "throughput"].unit) == {"s"}
    assert set(p[p.provider_model_id == "claude-4-sonnet-thinking"].model_key) == {"anthropic/claude-sonnet-4"}
    assert len(p) == 7 * 3  # 10 usable records, 3 of them never measured (all zeros)

    # Prices: one offering per model, from its mode-less record when there is one.
    assert sorted(batch.offerings.provider_model_id) == sorted(
        ["gpt-oss-20b", "claude-4-sonnet", "o3-mini", "gemini-2-5-pro", "llama-3-1-instruct-70b", "sonar-reasoning", "gpt-5"])
    assert offering(batch, "claude-4-sonnet")["name"] == "Claude 4 Sonnet (Non-reasoning)"
    assert prices(batch, "gpt-oss-20b") == {"input": 0.06, "output": 0.2}
    assert prices(batch, "gemini-2-5-pro") == {"input": 1.25, "output": 10.0}
    # A 0 price is unknown: no row (Sonar Reasoning's output), no offering at all (Grok-1).
    assert prices(batch, "sonar-reasoning") == {"input": 1.0}
    assert "grok-1" not in set(batch.offerings.provider_model_id)
    row = offering(batch, "llama-3-1-instruct-70b")
    # AA's prices are offerings of AA itself; the model key joins them to the creator's model.
    assert (row.provider_id, row.model_key, row.provider_name, row.release_date) == (
        "artificial_analysis", "meta/llama-3.1-70b-instruct", "Artificial Analysis", date(2024, 7, 23))
    assert set(batch.offerings.source_kind) == {"aggregator"}


# -- normalise: the newer paged endpoint -------------------------------------------------------


def test_language_records_normalise():
    batch = language_batch()
    assert batch.entries == 8 and batch.rejects.empty
    assert scores(batch, "openai/gpt-5.4-mini", "xhigh") == {
        "artificial_analysis_intelligence_index": 48.1, "artificial_analysis_coding_index": 44.0,
        "artificial_analysis_agentic_index": 51.2, "gpqa": 0.82}  # any evaluation key AA sends
    assert scores(batch, "openai/gpt-5.4-mini", "medium") == {"artificial_analysis_intelligence_index": 44.3, "gpqa": 0.79}
    # The newer API may name the creator only by name: "Kimi" is Moonshot's.
    assert scores(batch, "moonshotai/kimi-k2.5", "non-reasoning") == {"artificial_analysis_intelligence_index": 37.2}
    assert scores(batch, "deepseek/deepseek-v3.2-exp", "reasoning") == {"artificial_analysis_intelligence_index": 32.9}
    assert scores(batch, "anthropic/claude-opus-4-6", "adaptive")["artificial_analysis_agentic_index"] == 62.4
    assert scores(batch, "alibaba/qwen3.5-0.8b", "reasoning") == {"artificial_analysis_intelligence_index": 9.4}

    # performance{...}: the three medians; end-to-end time is not a stored metric; 0 dropped.
    assert measured(batch, "gpt-5-4-mini-medium") == {"throughput": 211.221, "time_to_first_token": 3.2, "time_to_first_answer_token": 14.8}
    assert measured(batch, "qwen3-5-0-8b") == {}
    assert set(batch.performance.metric) == {"throughput", "time_to_first_token", "time_to_first_answer_token"}
    assert len(batch.performance) == 7 * 3

    # Cache prices; a null price is unknown; all-zero prices make no offering.
    assert prices(batch, "claude-opus-4-6") == {"input": 5.0, "output": 25.0, "cached_input": 0.5, "cache_write": 6.25}
    assert prices(batch, "gpt-5-4-mini") == {"input": 0.75, "output": 4.5, "cached_input": 0.075}
    assert prices(batch, "llama-4-maverick") == {"input": 0.31, "output": 0.91}
    assert sorted(batch.offerings.provider_model_id) == sorted(
        ["gpt-5-4-mini", "kimi-k2-5", "deepseek-v3-2-0925", "claude-opus-4-6", "llama-4-maverick"])
    kimi = offering(batch, "kimi-k2-5")
    assert (kimi.provider_id, kimi.model_key) == ("artificial_analysis", "moonshotai/kimi-k2.5")
    assert offering(batch, "llama-4-maverick").model_key.startswith("meta/")  # creator "Meta" made a slug


# -- fetched through the real fetch ------------------------------------------------------------


@pytest.fixture
def server():
    with ReplayServer() as s:
        yield s


@pytest.fixture
def archive(tmp_path):
    return RawArchive(tmp_path)


def http() -> HttpClientResource:
    return HttpClientResource(max_attempts=1, backoff_initial_s=0.01)


def test_both_endpoints_fetch_with_the_key_header_and_archive_no_key(server, archive, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_URL", server.url + "/aa")
    require = {"x-api-key": KEY}
    server.add("/aa/api/v2/data/llms/models", AA_FIXTURES / "llms_models.json", require=require)
    for n, fixture in enumerate(LANGUAGE_PAGES, 1):
        server.add(f"/aa/api/v2/language/models?page={n}", AA_FIXTURES / fixture, require=require)

    legacy = fetch_source(aa, http(), archive, KEY)
    assert (legacy.status, legacy.badge, legacy.pages, len(legacy.entries)) == ("ok", "aggregator", 1, 14)
    language = fetch_source(aal, http(), archive, KEY)
    assert (language.status, language.badge, language.pages, len(language.entries)) == ("ok", "aggregator", 3, 8)
    assert [r.target for r in server.requests] == ["/aa/api/v2/data/llms/models"] + [
        f"/aa/api/v2/language/models?page={n}" for n in (1, 2, 3)]
    assert all(r.headers.get("x-api-key") == KEY for r in server.requests)
    for outcome in (legacy, language):
        assert KEY.encode() not in archive.load(outcome.sha256)

    # A rejected key fails the source (no payload before: nothing to fall back on).
    rejected = fetch_source(aal, http(), RawArchive(archive.root / "other"), "aa-wrong")
    assert rejected.status == "failed" and "key rejected" in str(rejected.error) and "aa-wrong" not in str(rejected.error)


def test_without_a_key_the_source_is_skipped(server, archive, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_URL", server.url)
    outcome = fetch_source(aa, http(), archive, None)
    assert outcome.status == "skipped" and "ARTIFICIAL_ANALYSIS_API_KEY" in str(outcome.error)
    assert server.requests == []


# -- the real reference data (450 models) ------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _catalog_keys(reference: Path) -> frozenset[str]:
    from core.catalog.identity_report import load_batches

    return frozenset(k for batch in load_batches(reference).values() for k in batch.offerings.model_key)


def _reference(reference: Path):
    document = json.loads((reference / REFERENCE_FILE).read_text())
    models = document["models"]
    payload = json.dumps({"pages": [{"status": 200, "data": models}]}).encode()  # as the fetch archives it
    fetched = datetime.fromisoformat(document["fetched_at"])
    entries = aa.parse(payload)
    return models, entries, aa.normalise(entries, Provenance("artificial_analysis", "aggregator", document["source"], fetched))


@pytest.mark.reference
def test_reference_models_parse_completely(reference):
    models, entries, batch = _reference(reference)
    assert len(models) == len(entries) == batch.entries == 450
    assert batch.rejects.empty  # every record used

    # Every non-null evaluation is a benchmark row; every non-zero speed or latency a measure.
    assert len(batch.benchmarks) == sum(v is not None for m in models for v in m["evaluations"].values()) == 5049
    legacy_keys = ("median_output_tokens_per_second", "median_time_to_first_token_seconds", "median_time_to_first_answer_token")
    assert len(batch.performance) == sum(bool(m[k]) for m in models for k in legacy_keys) == 822
    # Records with a known price collapse to one offering per model (modes share prices).
    assert len(batch.offerings) == 216 and len(batch.prices) == 432
    assert batch.offerings.duplicated(["provider_id", "provider_model_id"]).sum() == 0
    assert not batch.benchmarks.duplicated(["model_key", "benchmark", "variant"]).any()
    assert set(batch.benchmarks.as_of) == {date(2026, 3, 25)}

    # Known values, as in the file: gpt-oss-20B (low) and (high), Claude 4 Sonnet (Reasoning).
    low = next(m for m in models if m["slug"] == "gpt-oss-20b-low")
    assert low["evaluations"]["artificial_analysis_intelligence_index"] == 20.8
    assert low["pricing"] == {"price_1m_blended_3_to_1": 0.094, "price_1m_input_tokens": 0.06, "price_1m_output_tokens": 0.2}
    assert scores(batch, "openai/gpt-oss-20b", "low")["artificial_analysis_intelligence_index"] == 20.8
    assert scores(batch, "openai/gpt-oss-20b", "low")["gpqa"] == 0.611
    assert scores(batch, "openai/gpt-oss-20b", "high")["artificial_analysis_math_index"] == 89.3
    assert prices(batch, "gpt-oss-20b") == {"input": 0.06, "output": 0.2}
    assert measured(batch, "gpt-oss-20b-low") == {"throughput": 268.297, "time_to_first_token": 0.484, "time_to_first_answer_token": 7.939}
    assert scores(batch, "anthropic/claude-sonnet-4", "thinking")["artificial_analysis_intelligence_index"] == 38.7
    assert prices(batch, "claude-4-sonnet") == {"input": 3.0, "output": 15.0}
    assert scores(batch, "openai/gpt-5.4", "xhigh")["artificial_analysis_intelligence_index"] == 57.2
    assert scores(batch, "google/gemini-3.1-pro-preview", "")["gpqa"] == 0.941
    assert scores(batch, "meta/llama-3.1-405b-instruct", "")  # AA's llama-3-1-instruct-405b
    # Grok-1: scored, never measured (0), no known price.
    assert scores(batch, "xai/grok-1", "") == {"artificial_analysis_intelligence_index": 11.7}
    assert measured(batch, "grok-1") == {} and "grok-1" not in set(batch.offerings.provider_model_id)


@pytest.mark.reference
def test_reference_identity_shares(reference):
    models, entries, batch = _reference(reference)
    identities = aa.record_identities(entries)
    assert len(identities) == 450
    unmatched = [slug for slug, i in identities.items() if i.method == UNMATCHED]
    keys = _catalog_keys(reference)
    in_catalog = [slug for slug, i in identities.items() if i.model_key in keys]
    unmatched_share = len(unmatched) / len(identities)
    catalog_share = len(in_catalog) / len(identities)
    print(f"\nartificial_analysis: {len(identities)} models, {len(unmatched)} unmatched ({unmatched_share:.1%}), "
          f"{len(in_catalog)} with a model key in the catalog ({catalog_share:.1%}; "
          f"{len(keys)} catalog keys from models.dev + LiteLLM + OpenRouter)", end="")
    assert unmatched_share < 0.05
    assert catalog_share >= 0.75
    # The rows carry the same identities.
    assert (batch.benchmarks.identity_method != UNMATCHED).all() and (batch.offerings.identity_method != UNMATCHED).all()
