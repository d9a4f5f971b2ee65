"""The official pricing pages' pure parsers, on rendered HTML in the structure of each real page.

``tests/fixtures/pages``: ``openai_pricing.html`` (tables per model family, Batch / Flex /
Priority tiers, image and fine-tuning items), its cosmetic redesign ``.changed.html`` (CSS
classes renamed, ARIA grids of divs instead of tables) and its broken redesign
``.broken.html`` (the price columns lost their labels); ``anthropic_pricing.html`` builds its
tables with JavaScript after load, and ``anthropic_pricing.rendered.html`` is what headless
Chromium made of it (``chromium --headless --dump-dom``).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.parsing.html_tables import read_page
from core.records import PayloadError, Provenance
from core.sources import anthropic_pricing, openai_pricing
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
URL = "http://replay/pricing"


def batch_of(module, fixture: str):
    entries = module.parse((PAGES / fixture).read_bytes())
    return module.normalise(entries, Provenance(module.SPEC.name, module.SPEC.kind, URL, NOW))


def prices_of(batch, provider_model_id: str) -> dict[str, float]:
    rows = batch.prices[batch.prices.provider_model_id == provider_model_id]
    return dict(zip(rows.price_type, rows.usd_per_mtok))


def structure_error(module, html: bytes | str) -> str:
    with pytest.raises(PayloadError) as error:
        module.parse(html.encode() if isinstance(html, str) else html)
    message = str(error.value)
    assert message.startswith("page structure changed:")
    return message


# -- specs ---------------------------------------------------------------------------------


def test_specs_are_scraped_rendered_pages_with_overridable_urls(monkeypatch):
    assert openai_pricing.SPEC.url() == "https://openai.com/api/pricing/"
    assert anthropic_pricing.SPEC.url() == "https://www.anthropic.com/pricing"
    for module in (openai_pricing, anthropic_pricing):
        assert module.SPEC.kind == "scraped" and module.SPEC.rendered and module.SPEC.priority == 1
    monkeypatch.setenv("AISI_SOURCE_OPENAI_PRICING_URL", "http://127.0.0.1:8000/")
    monkeypatch.setenv("AISI_SOURCE_ANTHROPIC_PRICING_URL", "http://127.0.0.1:8000")
    assert openai_pricing.SPEC.url() == "http://127.0.0.1:8000/api/pricing/"
    assert anthropic_pricing.SPEC.url() == "http://127.0.0.1:8000/pricing"


# -- OpenAI --------------------------------------------------------------------------------


def test_openai_page_standard_and_batch_prices():
    batch = batch_of(openai_pricing, "openai_pricing.html")
    assert prices_of(batch, "gpt-4o") == {
        "input": 2.5, "cached_input": 1.25, "output": 10.0, "batch_input": 1.25, "batch_output": 5.0,
    }
    assert prices_of(batch, "gpt-4o-mini") == {
        "input": 0.15, "cached_input": 0.075, "output": 0.6, "batch_input": 0.075, "batch_output": 0.3,
    }
    assert prices_of(batch, "gpt-4.1") == {
        "input": 2.0, "cached_input": 0.5, "output": 8.0, "batch_input": 1.0, "batch_output": 4.0,
    }
    assert prices_of(batch, "gpt-4.1-nano") == {"input": 0.1, "cached_input": 0.025, "output": 0.4}
    # Flex (o3 $1.00) and Priority (gpt-4o $4.25) are other tiers, not the list price.
    assert prices_of(batch, "o3") == {"input": 2.0, "cached_input": 0.5, "output": 8.0, "batch_input": 1.0, "batch_output": 4.0}
    assert prices_of(batch, "o4-mini") == {"input": 1.1, "cached_input": 0.275, "output": 4.4}
    # "-" is unknown: no row, never 0.
    assert prices_of(batch, "o1-pro") == {"input": 150.0, "output": 600.0}
    # Image tokens are per 1M tokens too, of another modality; per-image prices are not read.
    assert prices_of(batch, "gpt-image-1") == {"image_input": 10.0, "image_output": 40.0}
    assert batch.rejects.empty


def test_openai_page_ignores_per_image_fine_tuning_and_tool_items():
    batch = batch_of(openai_pricing, "openai_pricing.html")
    assert sorted(batch.offerings.provider_model_id) == [
        "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "gpt-image-1", "o1-pro", "o3", "o4-mini",
    ]
    # The fine-tuning table's gpt-4o-2024-08-06 ($3.75 input) is a fine-tuned model's price.
    assert "gpt-4o-2024-08-06" not in set(batch.prices.provider_model_id)
    assert "dall-e-3" not in set(batch.prices.provider_model_id)
    assert "whisper-1" not in set(batch.prices.provider_model_id)
    assert batch.entries == 13  # 8 standard rows, 4 batch rows, 1 image-token row


def test_openai_offerings_carry_provider_model_keys_and_provenance():
    batch = batch_of(openai_pricing, "openai_pricing.html")
    offerings = batch.offerings.set_index("provider_model_id")
    assert offerings.loc["gpt-4o", "model_key"] == "openai/gpt-4o"
    assert offerings.loc["gpt-4o-mini", "model_key"] == "openai/gpt-4o-mini"
    assert offerings.loc["o3", "model_key"] == "openai/o3"
    assert offerings.loc["gpt-4.1", "model_key"] == "openai/gpt-4.1"
    assert set(offerings.provider_id) == {"openai"} and set(offerings.creator) == {"openai"}
    assert offerings.loc["gpt-4o", "name"] == "gpt-4o"  # not "gpt-4o gpt-4o-2024-08-06"
    assert set(batch.prices.source_kind) == {"scraped"} and set(batch.prices.source_url) == {URL}
    assert set(batch.prices.source) == {"openai_pricing"}


def test_openai_cosmetic_redesign_parses_identically():
    changed = (PAGES / "openai_pricing.changed.html").read_text()
    assert "<table" not in changed and 'role="cell"' in changed  # really another markup
    assert openai_pricing.parse(changed.encode()) == openai_pricing.parse((PAGES / "openai_pricing.html").read_bytes())
    original = batch_of(openai_pricing, "openai_pricing.html").prices
    redesigned = batch_of(openai_pricing, "openai_pricing.changed.html").prices
    assert redesigned.equals(original)


def test_openai_broken_redesign_reports_page_structure_changed():
    message = structure_error(openai_pricing, (PAGES / "openai_pricing.broken.html").read_bytes())
    assert "no table with model, input and output price columns" in message
    assert "'GPT-4o family'" in message  # says where it looked and what it found


def test_openai_model_ids_from_cells():
    assert openai_pricing.model_id("gpt-4o gpt-4o-2024-08-06") == "gpt-4o"
    assert openai_pricing.model_id("GPT-4o mini") == "gpt-4o-mini"
    assert openai_pricing.model_id("o3 (reasoning)") == "o3"
    assert openai_pricing.model_id("") is None
    assert openai_pricing.model_id("$2.50") is None


# -- Anthropic -----------------------------------------------------------------------------


def test_anthropic_plain_get_has_no_prices_the_browser_is_needed():
    raw = (PAGES / "anthropic_pricing.html").read_bytes()
    assert read_page(raw).tables == []  # the table is built by the inline script
    assert b"<script>" in raw and b"Claude Sonnet 4" in raw  # the data is only in JavaScript
    message = structure_error(anthropic_pricing, raw)
    assert "rendered" in message


def test_anthropic_rendered_page_prices():
    rendered = (PAGES / "anthropic_pricing.rendered.html").read_bytes()
    assert b"<script>" in rendered and b"<table>" in rendered  # the same page, after its script ran
    batch = batch_of(anthropic_pricing, "anthropic_pricing.rendered.html")
    assert prices_of(batch, "claude-sonnet-4-0") == {
        "input": 3.0, "output": 15.0, "cache_write": 3.75, "cached_input": 0.3, "batch_input": 1.5, "batch_output": 7.5,
    }
    assert prices_of(batch, "claude-opus-4-1") == {
        "input": 15.0, "output": 75.0, "cache_write": 18.75, "cached_input": 1.5, "batch_input": 7.5, "batch_output": 37.5,
    }
    assert prices_of(batch, "claude-3-5-haiku") == {
        "input": 0.8, "output": 4.0, "cache_write": 1.0, "cached_input": 0.08, "batch_input": 0.4, "batch_output": 2.0,
    }
    # 1-hour cache writes ($6) and the > 200K long-context tier ($6 / $22.50) are not list prices.
    assert prices_of(batch, "claude-sonnet-4-5")["input"] == 3.0
    assert 6.0 not in set(batch.prices[batch.prices.provider_model_id.str.startswith("claude-sonnet-4")].usd_per_mtok)
    assert 22.5 not in set(batch.prices.usd_per_mtok)
    assert batch.rejects.empty


def test_anthropic_offerings_resolve_to_model_keys():
    batch = batch_of(anthropic_pricing, "anthropic_pricing.rendered.html")
    keys = dict(zip(batch.offerings.provider_model_id, batch.offerings.model_key))
    assert keys == {
        "claude-opus-4-1": "anthropic/claude-opus-4-1",
        "claude-opus-4-0": "anthropic/claude-opus-4",
        "claude-sonnet-4-5": "anthropic/claude-sonnet-4-5",
        "claude-sonnet-4-0": "anthropic/claude-sonnet-4",
        "claude-3-7-sonnet": "anthropic/claude-3-7-sonnet",
        "claude-haiku-4-5": "anthropic/claude-haiku-4-5",
        "claude-3-5-haiku": "anthropic/claude-3-5-haiku",
        "claude-3-opus": "anthropic/claude-3-opus",
        "claude-3-haiku": "anthropic/claude-3-haiku",
    }
    offerings = batch.offerings.set_index("provider_model_id")
    assert set(offerings.provider_id) == {"anthropic"} and set(offerings.provider_name) == {"Anthropic"}
    assert offerings.loc["claude-3-opus", "name"] == "Claude Opus 3"
    assert offerings.loc["claude-3-opus", "deprecated"] is True  # "(deprecated)" on the page
    assert offerings.loc["claude-sonnet-4-0", "deprecated"] is None


@pytest.mark.parametrize(
    "name, api_id",
    [
        ("Claude Opus 4.1", "claude-opus-4-1"),
        ("Claude Sonnet 4", "claude-sonnet-4-0"),
        ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
        ("Claude Haiku 3.5", "claude-3-5-haiku"),
        ("Claude 3.5 Haiku", "claude-3-5-haiku"),
        ("Claude Sonnet 3.7 (deprecated)", "claude-3-7-sonnet"),
        ("Claude Haiku 3", "claude-3-haiku"),
        ("Claude\u00a0Opus\u00a04", "claude-opus-4-0"),
        ("Claude Instant 1.2", "claude-instant-1-2"),  # outside the pattern: the plain rule
        ("", None),
    ],
)
def test_anthropic_model_id_rule(name, api_id):
    assert anthropic_pricing.model_id(name) == api_id


# -- structure checks on small pages --------------------------------------------------------


def _page(header: str, rows: str, note: str = "Prices per 1M tokens.", heading: str = "Standard") -> str:
    return (
        f"<html><body><h1>Pricing</h1><p>{note}</p><h2>{heading}</h2>"
        f"<table><tr>{header}</tr>{rows}</table></body></html>"
    )


def test_prices_in_other_units_are_never_read_as_per_million():
    html = _page("<th>Model</th><th>Input</th><th>Output</th>", "<tr><td>gpt-4o</td><td>$2.50</td><td>$10</td></tr>",
                 note="Prices per 1K tokens.")
    assert "not stated per 1M tokens" in structure_error(openai_pricing, html)
    html = _page("<th>Model</th><th>Input (per 1K tokens)</th><th>Output (per 1K tokens)</th>",
                 "<tr><td>gpt-4o</td><td>$0.0025</td><td>$0.01</td></tr>")
    assert "not stated per 1M tokens" in structure_error(openai_pricing, html)


def test_a_cell_in_another_unit_is_rejected_not_read():
    html = _page("<th>Model</th><th>Input</th><th>Output</th>",
                 "<tr><td>gpt-4o</td><td>$2.50 / 1M tokens</td><td>$0.02 / image</td></tr>")
    batch = openai_pricing.normalise(openai_pricing.parse(html.encode()), Provenance("openai_pricing", "scraped", URL, NOW))
    assert prices_of(batch, "gpt-4o") == {"input": 2.5}
    assert batch.reject_reasons == {"price not per 1M tokens: '$0.02 / image'": 1}


def test_a_price_without_its_model_or_out_of_line_is_rejected():
    rows = (
        "<tr><td>gpt-4o</td><td>$2.50</td><td>$10.00</td></tr>"
        "<tr><td></td><td>$9.99</td><td>$9.99</td></tr>"  # no model
        "<tr><td>$1.00</td><td>$4.00</td></tr>"  # the model cell spans from the row above
        "<tr><td colspan='3'>GPT-4.1 family</td></tr>"  # a group row: no prices, skipped
    )
    entries = openai_pricing.parse(_page("<th>Model</th><th>Input</th><th>Output</th>", rows).encode())
    batch = openai_pricing.normalise(entries, Provenance("openai_pricing", "scraped", URL, NOW))
    assert list(batch.offerings.provider_model_id) == ["gpt-4o"]
    assert prices_of(batch, "gpt-4o") == {"input": 2.5, "output": 10.0}
    assert batch.reject_reasons == {
        "price without a model": 1,
        "row does not line up with the header ['Model', 'Input', 'Output']": 1,
    }


def test_a_long_context_column_is_ignored():
    html = _page("<th>Model</th><th>Input (≤ 200K tokens)</th><th>Input (&gt; 200K tokens)</th><th>Output</th>",
                 "<tr><td>Claude Sonnet 4</td><td>$3 / MTok</td><td>$6 / MTok</td><td>$15 / MTok</td></tr>")
    assert anthropic_pricing.parse(html.encode())[0]["prices"] == {"input": 3.0, "output": 15.0}


def test_a_batch_table_alone_is_not_enough():
    html = _page("<th>Model</th><th>Input</th><th>Output</th>", "<tr><td>gpt-4o</td><td>$1.25</td><td>$5</td></tr>",
                 heading="Batch API")
    assert "no standard price table" in structure_error(openai_pricing, html)


def test_conflicting_prices_keep_the_first_and_report():
    html = (
        "<h1>Prices per 1M tokens</h1>"
        "<h2>GPT-4o</h2><table><tr><th>Model</th><th>Input</th><th>Output</th></tr>"
        "<tr><td>gpt-4o</td><td>$2.50</td><td>$10</td></tr></table>"
        "<h2>Legacy</h2><table><tr><th>Model</th><th>Input</th><th>Output</th></tr>"
        "<tr><td>gpt-4o</td><td>$5.00</td><td>$10</td></tr></table>"
    )
    batch = openai_pricing.normalise(openai_pricing.parse(html.encode()), Provenance("openai_pricing", "scraped", URL, NOW))
    assert prices_of(batch, "gpt-4o") == {"input": 2.5, "output": 10.0}
    assert batch.reject_reasons == {"conflicting input on the page: 2.5 and 5.0 ('Legacy')": 1}
