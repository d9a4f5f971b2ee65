"""Artificial Analysis's public models page (``artificial_analysis_page``), the fallback when no
API key is set: the rendered models table read by meaning into the API's record shape and
normalised by the API module's shared code.

``tests/fixtures/pages``: ``artificial_analysis_models.html`` builds its table with JavaScript
after load (a plain GET has no figures), ``artificial_analysis_models.rendered.html`` is what
headless Chromium made of it (``chromium --headless --dump-dom``), and
``artificial_analysis_models.broken.html`` is a redesign without the Intelligence Index column.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.records import PayloadError, Provenance
from core.sources import artificial_analysis as aa
from core.sources import artificial_analysis_page as aap
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
NOW = datetime(2026, 3, 25, 19, 8, 46, tzinfo=timezone.utc)


def page_batch(html: bytes | None = None):
    html = html if html is not None else (PAGES / "artificial_analysis_models.rendered.html").read_bytes()
    return aap.normalise(aap.parse(html), Provenance(aap.SPEC.name, aap.SPEC.kind, aap.SPEC.url(), NOW))


def scores(batch, model_key: str, variant: str) -> dict[str, float]:
    b = batch.benchmarks
    rows = b[(b.model_key == model_key) & (b.variant == variant)]
    return dict(zip(rows.benchmark, rows.score))


def measured(batch, provider_model_id: str) -> dict[str, float]:
    p = batch.performance
    rows = p[p.provider_model_id == provider_model_id]
    return dict(zip(rows.metric, rows.value))


def prices(batch, model_key: str) -> dict[str, float]:
    p = batch.prices
    rows = p[p.model_key == model_key]
    return dict(zip(rows.price_type, rows.usd_per_mtok))


def structure_error(html: bytes | str) -> str:
    with pytest.raises(PayloadError) as error:
        aap.parse(html.encode() if isinstance(html, str) else html)
    message = str(error.value)
    assert message.startswith("page structure changed:")
    return message


def table_page(header: list[str], *rows: list[str]) -> str:
    cells = lambda tag, row: "".join(f"<{tag}>{c}</{tag}>" for c in row)  # noqa: E731
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<html><body><h2>Models</h2><table><tr>{cells('th', header)}</tr>{body}</table></body></html>"


# -- spec ----------------------------------------------------------------------------------------


def test_spec_is_a_rendered_aggregator_page_skipped_when_the_key_is_set(monkeypatch):
    spec = aap.SPEC
    assert (spec.name, spec.kind, spec.priority, spec.rendered) == ("artificial_analysis_page", "aggregator", 4, True)
    assert spec.url() == "https://artificialanalysis.ai/models" and spec.timeout_s == 45.0
    assert aap.SKIP_WHEN_KEY == "ARTIFICIAL_ANALYSIS_API_KEY" == aa.SPEC.key_env[0]
    assert aap.ATTRIBUTION == aa.ATTRIBUTION
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_PAGE_URL", "http://127.0.0.1:8000/")
    assert spec.url() == "http://127.0.0.1:8000/models"


# -- the rendered page ---------------------------------------------------------------------------


def test_rendered_page_rows_in_the_api_record_shape():
    rendered = (PAGES / "artificial_analysis_models.rendered.html").read_bytes()
    assert b"<script>" in rendered and b"<table" in rendered  # the same page, after its script ran
    records = {r["slug"]: r for r in aap.parse(rendered)}
    assert list(records) == ["gpt-5-high", "gpt-5-low", "gpt-oss-20b-low", "claude-4-sonnet-thinking",
                             "gemini-2-5-pro", "llama-3-1-instruct-70b", "deepseek-v3-2"]
    gpt5 = records["gpt-5-high"]
    assert gpt5["name"] == "GPT-5 (high)"
    assert gpt5["model_creator"] == {"slug": "openai", "name": "OpenAI"}  # from the logo's alt text
    assert gpt5["evaluations"] == {
        "artificial_analysis_intelligence_index": 44.6, "artificial_analysis_coding_index": 36.0,
        "artificial_analysis_math_index": 94.3, "mmlu_pro": 0.871, "gpqa": 0.854,
    }
    assert gpt5["pricing"] == {"price_1m_blended_3_to_1": 3.44, "price_1m_input_tokens": 1.25, "price_1m_output_tokens": 10.0}
    assert gpt5["median_output_tokens_per_second"] == 76.7
    assert gpt5["median_time_to_first_token_seconds"] == 90.55
    # "—" is absent, not 0: Llama's Math Index and DeepSeek's latency.
    assert "artificial_analysis_math_index" not in records["llama-3-1-instruct-70b"]["evaluations"]
    assert "median_time_to_first_token_seconds" not in records["deepseek-v3-2"]
    for record in records.values():
        assert aa.read_record(record).slug == record["slug"]  # the API module reads every row


def test_rendered_page_benchmarks_per_variant():
    batch = page_batch()
    assert batch.rejects.empty
    assert scores(batch, "openai/gpt-5", "high") == {
        "artificial_analysis_intelligence_index": 44.6, "artificial_analysis_coding_index": 36.0,
        "artificial_analysis_math_index": 94.3, "mmlu_pro": 0.871, "gpqa": 0.854,
    }
    assert scores(batch, "openai/gpt-5", "low")["artificial_analysis_intelligence_index"] == 39.2
    assert scores(batch, "openai/gpt-oss-20b", "low")["artificial_analysis_math_index"] == 62.3
    assert scores(batch, "anthropic/claude-sonnet-4", "thinking")["artificial_analysis_coding_index"] == 34.1
    assert scores(batch, "google/gemini-2.5-pro", "")["gpqa"] == 0.844
    assert scores(batch, "deepseek/deepseek-v3.2", "")["artificial_analysis_intelligence_index"] == 32.1
    llama = scores(batch, "meta/llama-3.1-70b-instruct", "")
    assert llama == {"artificial_analysis_intelligence_index": 12.5, "artificial_analysis_coding_index": 10.9,
                     "mmlu_pro": 0.676, "gpqa": 0.409}  # its "—" Math Index is no row
    units = dict(zip(batch.benchmarks.benchmark, batch.benchmarks.unit))
    assert units["artificial_analysis_intelligence_index"] == "index" and units["mmlu_pro"] == "fraction"
    assert len(batch.benchmarks) == 6 * 5 + 4


def test_rendered_page_speed_and_latency_with_0_and_dash_dropped():
    batch = page_batch()
    assert measured(batch, "gpt-oss-20b-low") == {"throughput": 268.3, "time_to_first_token": 0.48}
    assert measured(batch, "claude-4-sonnet-thinking") == {"throughput": 50.0, "time_to_first_token": 10.78}
    assert measured(batch, "gemini-2-5-pro") == {"throughput": 123.4, "time_to_first_token": 23.33}
    assert measured(batch, "deepseek-v3-2") == {}  # speed 0: not measured; latency "—": absent
    assert set(batch.performance.percentile) == {"p50"}


def test_rendered_page_prices_one_offering_per_model_under_aa():
    batch = page_batch()
    assert prices(batch, "openai/gpt-5") == {"input": 1.25, "output": 10.0}  # blended: derived, not stored
    assert prices(batch, "anthropic/claude-sonnet-4") == {"input": 3.0, "output": 15.0}
    assert prices(batch, "deepseek/deepseek-v3.2") == {"input": 0.28, "output": 0.42}
    assert len(batch.offerings) == 6  # GPT-5's two modes: one offering
    assert set(batch.offerings.provider_id) == {aa.PRICE_PROVIDER}
    assert set(batch.prices.provider_id) == {aa.PRICE_PROVIDER}


def test_page_and_api_resolve_the_same_model_keys():
    import json

    api = aa.normalise_records(
        json.loads((FIXTURES / "aa" / "llms_models.json").read_text())["data"],
        Provenance("artificial_analysis", "aggregator", "https://aa/legacy", NOW),
    )
    b = api.benchmarks
    api_keys = set(zip(b.model_key, b.variant))
    page_keys = set(zip(page_batch().benchmarks.model_key, page_batch().benchmarks.variant))
    assert ("openai/gpt-oss-20b", "low") in api_keys & page_keys


# -- page structure changed ----------------------------------------------------------------------


def test_plain_get_of_the_javascript_page_has_no_figures_the_browser_is_needed():
    raw = (PAGES / "artificial_analysis_models.html").read_bytes()
    assert b"44.6" in raw  # the figures are in the script ...
    message = structure_error(raw)  # ... but no table holds them before it runs
    assert "rendered" in message and "intelligence" in message


def test_broken_page_without_the_intelligence_column():
    message = structure_error((PAGES / "artificial_analysis_models.broken.html").read_bytes())
    assert "no intelligence index column" in message and "'Coding Index'" in message


def test_a_table_without_a_model_column():
    message = structure_error(table_page(["Name", "Intelligence Index"], ["GPT-5 (high)", "44.6"]))
    assert "no model column" in message


def test_rows_without_any_creator_are_a_structure_change():
    message = structure_error(table_page(["Model", "Intelligence Index"], ["GPT-5 (high)", "44.6"]))
    assert "creator" in message


def test_creator_from_a_text_column_or_a_logo_in_the_model_cell():
    html = table_page(
        ["Model", "Model Creator", "Intelligence", "Median Tokens/s", "TTFT (ms)"],
        ["Gemini 2.5 Pro", "Google", "34.6", "123.4", "450"],
        ['<img alt="Amazon logo">Nova Pro', "", "18.0", "n/a", "—"],
    )
    records = aap.parse(html.encode())
    assert records[0]["model_creator"] == {"slug": "google", "name": "Google"}
    assert records[0]["median_time_to_first_token_seconds"] == 0.45  # ms -> s
    assert records[1]["name"] == "Nova Pro"
    assert records[1]["model_creator"] == {"slug": "aws", "name": "Amazon"}  # AA's slug for the creator
    assert "median_output_tokens_per_second" not in records[1]


def test_a_row_out_of_line_is_rejected_never_read():
    html = table_page(
        ["Model", "Creator", "Intelligence Index"],
        ["GPT-5 (high)", "OpenAI", "44.6"],
        ["Broken row 12.3"],  # a spanning cell: figures that cannot be placed
        ["Frontier models", "", ""],  # no figures: nothing to read, nothing to reject
    )
    batch = page_batch(html.encode())
    assert len(batch.benchmarks) == 1
    assert list(batch.rejects.reason) == ["row does not line up with the header ['Model', 'Creator', 'Intelligence Index']"]


def test_text_where_a_figure_belongs_rejects_the_row():
    html = table_page(["Model", "Creator", "Intelligence Index"], ["GPT-5 (high)", "OpenAI", "44.6 / 51.2"],
                      ["GPT-5 (low)", "OpenAI", "39.2"])
    batch = page_batch(html.encode())
    assert scores(batch, "openai/gpt-5", "low") == {"artificial_analysis_intelligence_index": 39.2}
    assert "unparseable evaluations.artificial_analysis_intelligence_index" in batch.rejects.reason.iloc[0]


@pytest.mark.parametrize(
    "header, role",
    [
        ("Artificial Analysis Intelligence Index", ("evaluations", "artificial_analysis_intelligence_index")),
        ("Cost to Run Artificial Analysis Intelligence Index", None),
        ("Output Speed (tokens/s)", ("top", "median_output_tokens_per_second")),
        ("Output price (USD/1M Tokens)", ("pricing", "price_1m_output_tokens")),
        ("Price (Blended, USD/1M Tokens)", ("pricing", "price_1m_blended_3_to_1")),
        ("Latency (First Chunk, s)", ("top", "median_time_to_first_token_seconds")),
        ("Time to First Answer Token", ("top", "median_time_to_first_answer_token")),
        ("MATH-500", ("evaluations", "math_500")),
        ("Math Index", ("evaluations", "artificial_analysis_math_index")),
        ("Context Window", None),
        ("Model Creator", ("creator", "")),
        ("Model", ("model", "")),
    ],
)
def test_column_roles_by_their_words(header, role):
    assert aap.column_role(header) == role
