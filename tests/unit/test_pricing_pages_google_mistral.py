"""The Gemini API and Mistral pricing pages, read from their rendered HTML (pure parsers).

The pages in tests/fixtures/pages/ are in the structure of the real ones. Mistral's builds its
price list with JavaScript: the raw file has no price, its rendered form (what Chromium makes of
it, ``mistral_pricing.rendered.html``) has them all.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from core.parsing.html_tables import dollars, read_page
from core.parsing.page_sections import read_sections
from core.records import PayloadError, Provenance
from core.sources import google_pricing, mistral_pricing
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def batch_of(module, name: str):
    entries = module.parse(page(name))
    return module.normalise(entries, Provenance(module.SPEC.name, module.SPEC.kind, module.SPEC.url(), NOW))


def prices_of(batch) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for row in batch.prices.itertuples():
        table.setdefault(row.provider_model_id, {})[row.price_type] = row.usd_per_mtok
    return table


# -- specs ---------------------------------------------------------------------------------


def test_specs_are_rendered_scraped_sources(monkeypatch):
    monkeypatch.delenv("AISI_SOURCE_GOOGLE_PRICING_URL", raising=False)
    monkeypatch.delenv("AISI_SOURCE_MISTRAL_PRICING_URL", raising=False)
    assert google_pricing.SPEC.url() == "https://ai.google.dev/gemini-api/docs/pricing"
    assert mistral_pricing.SPEC.url() == "https://mistral.ai/pricing"
    for spec in (google_pricing.SPEC, mistral_pricing.SPEC):
        assert spec.kind == "scraped" and spec.rendered and spec.priority == 1
    monkeypatch.setenv("AISI_SOURCE_GOOGLE_PRICING_URL", "http://127.0.0.1:9/google/")
    assert google_pricing.SPEC.url() == "http://127.0.0.1:9/google/gemini-api/docs/pricing"
    assert google_pricing.SPEC.url_variable == "AISI_SOURCE_GOOGLE_PRICING_URL"
    assert mistral_pricing.SPEC.url_variable == "AISI_SOURCE_MISTRAL_PRICING_URL"


# -- Google ----------------------------------------------------------------------------------


def test_google_paid_tier_prices_base_tier_text_and_audio():
    batch = batch_of(google_pricing, "google_pricing.html")
    prices = prices_of(batch)
    # Tiered by prompt size: the <= 200k tier; storage per hour and grounding are not prices here.
    assert prices["gemini-2.5-pro"] == {
        "input": 1.25, "output": 10.0, "cached_input": 0.31, "batch_input": 0.625, "batch_output": 5.0,
    }
    # By modality: text / image / video is the input price, audio its own.
    assert prices["gemini-2.5-flash"] == {
        "input": 0.30, "audio_input": 1.00, "output": 2.50, "cached_input": 0.075,
        "batch_input": 0.15, "batch_output": 1.25,
    }
    assert prices["gemini-2.5-flash-lite"] == {
        "input": 0.10, "audio_input": 0.30, "output": 0.40, "cached_input": 0.025,
        "batch_input": 0.05, "batch_output": 0.20,
    }
    # "$0.025 / 1,000,000 tokens (text/image/video)"; the "(storage)" row and "per image" ignored.
    assert prices["gemini-2.0-flash"] == {
        "input": 0.10, "audio_input": 0.70, "output": 0.40, "cached_input": 0.025,
        "batch_input": 0.05, "batch_output": 0.20,
    }
    assert prices["gemini-embedding-001"] == {"input": 0.15}
    assert not (batch.prices.usd_per_mtok == 0).any()  # "Free of charge" is the free tier, never a 0


def test_google_rejects_free_tier_only_and_non_token_prices():
    batch = batch_of(google_pricing, "google_pricing.html")
    assert batch.entries == 7
    rejects = dict(zip(batch.rejects.source_id, batch.rejects.reason))
    assert rejects == {
        "gemma-3-27b-it": "free tier only: no paid price on the page",
        "imagen-4.0-generate-001": "standard table not priced per 1M tokens",
    }
    assert "gemma-3-27b-it" not in set(batch.offerings.provider_model_id)


def test_google_model_keys_from_the_identity_layer():
    batch = batch_of(google_pricing, "google_pricing.html")
    offerings = batch.offerings.set_index("provider_model_id")
    assert dict(offerings.model_key) == {
        "gemini-2.5-pro": "google/gemini-2.5-pro",
        "gemini-2.5-flash": "google/gemini-2.5-flash",
        "gemini-2.5-flash-lite": "google/gemini-2.5-flash-lite",
        "gemini-2.0-flash": "google/gemini-2.0-flash",
        "gemini-embedding-001": "google/gemini-embedding-001",
    }
    pro = offerings.loc["gemini-2.5-pro"]
    assert pro["name"] == "Gemini 2.5 Pro" and pro.provider_id == "google" and pro.creator == "google"
    assert pro.source == "google_pricing" and pro.source_kind == "scraped"
    assert pro.source_url == "https://ai.google.dev/gemini-api/docs/pricing" and pro.fetched_at == NOW
    assert set(batch.prices.source_kind) == {"scraped"}


def test_google_cosmetic_change_reads_the_same():
    changed = page("google_pricing.changed.html")
    assert b"<table" not in changed and b'role="grid"' in changed and b"pricing-table" not in changed
    assert google_pricing.parse(changed) == google_pricing.parse(page("google_pricing.html"))
    a = batch_of(google_pricing, "google_pricing.html")
    b = batch_of(google_pricing, "google_pricing.changed.html")
    assert prices_of(a) == prices_of(b)
    assert a.offerings.equals(b.offerings)


def test_google_broken_layout_reports_structure_change():
    broken = page("google_pricing.broken.html")
    assert dollars(read_page(broken).text) == 1.25  # the prices are there, their labels are not
    with pytest.raises(PayloadError, match=r"^page structure changed: .*'Input price'"):
        google_pricing.parse(broken)


@pytest.mark.parametrize(
    ("html", "missing"),
    [
        ("<h2>Gemini 2.5 Pro</h2><table><tr><th></th><th>Paid Tier, per 1M tokens in USD</th></tr>"
         "<tr><td>Input price</td><td>$1.25</td></tr></table>", "model API id"),
        ("<h2>Gemini 2.5 Pro</h2><p><code>gemini-2.5-pro</code></p><table><tr><th></th><th>Price</th></tr>"
         "<tr><td>Input price</td><td>$1.25</td></tr></table>", "Paid Tier, per 1M tokens"),
        ("<h2>Gemini 2.5 Pro</h2><p><code>gemini-2.5-pro</code></p><table><tr><th></th><th>Paid Tier, per 1M tokens in USD</th></tr>"
         "<tr><td>Input price</td><td>Not available</td></tr></table>", "no paid-tier dollar price"),
        ("<html><body><p>Loading…</p></body></html>", "model API id"),
    ],
)
def test_google_missing_pieces_are_named(html, missing):
    with pytest.raises(PayloadError, match=r"^page structure changed:") as raised:
        google_pricing.parse(html.encode())
    assert missing in str(raised.value)


def test_google_tiers_and_modalities_in_one_cell():
    prices, ambiguous = google_pricing._cell_prices(
        "$0.30 (text / image / video), prompts <= 200k tokens $0.60 (text / image / video), prompts > 200k tokens "
        "$1.00 (audio) $1.00 / 1,000,000 tokens per hour (storage price) then $35 / 1,000 grounded prompts"
    )
    assert prices == {"text": 0.30, "audio": 1.00} and ambiguous == []
    # Two untiered text prices: which is meant cannot be told, so neither is taken.
    assert google_pricing._cell_prices("$0.30 $0.40") == ({}, ["text"])


# -- Mistral ---------------------------------------------------------------------------------


MISTRAL_PRICES = {
    "mistral-medium-2505": {"input": 0.4, "output": 2.0},
    "magistral-medium-latest": {"input": 2.0, "output": 5.0},
    "codestral-latest": {"input": 0.3, "output": 0.9},
    "devstral-medium-latest": {"input": 0.4, "output": 2.0},
    "mistral-large-latest": {"input": 2.0, "output": 6.0},
    "pixtral-large-latest": {"input": 2.0, "output": 6.0},
    "mistral-small-2506": {"input": 0.1, "output": 0.3},
    "magistral-small-latest": {"input": 0.5, "output": 1.5},
    "ministral-8b-latest": {"input": 0.1, "output": 0.1},
    "ministral-3b-latest": {"input": 0.04, "output": 0.04},
    "open-mistral-nemo": {"input": 0.15, "output": 0.15},
    "mistral-embed": {"input": 0.1},
}


def test_mistral_raw_page_has_no_prices_without_a_browser():
    raw = page("mistral_pricing.html")
    # The prices exist only as numbers in the script: no "$<digits>" anywhere in the file.
    assert not re.search(rb"\$\s*[0-9]", raw)
    assert b"<script>" in raw and b"DOMContentLoaded" in raw
    assert dollars(read_page(raw).text) is None
    with pytest.raises(PayloadError, match=r"^page structure changed: no 'Input \(/M tokens\)'"):
        mistral_pricing.parse(raw)


def test_mistral_rendered_page_prices_and_rejects():
    batch = batch_of(mistral_pricing, "mistral_pricing.rendered.html")
    assert prices_of(batch) == MISTRAL_PRICES
    assert batch.entries == 14
    assert dict(zip(batch.rejects.source_id, batch.rejects.reason)) == {
        "Mistral OCR": "no input / output price per million tokens (priced in another unit)",
        "Voxtral Mini Transcribe": "no input / output price per million tokens (priced in another unit)",
    }
    medium = batch.offerings.set_index("provider_model_id").loc["mistral-medium-2505"]
    assert medium["name"] == "Mistral Medium 3" and medium.provider_id == "mistral"
    assert medium.source_kind == "scraped" and medium.source_url == "https://mistral.ai/pricing"


def test_mistral_model_keys_from_the_identity_layer():
    batch = batch_of(mistral_pricing, "mistral_pricing.rendered.html")
    keys = dict(zip(batch.offerings.provider_model_id, batch.offerings.model_key))
    assert keys["mistral-medium-2505"] == "mistral/mistral-medium-2505"
    assert keys["mistral-small-2506"] == "mistral/mistral-small-2506"
    assert keys["mistral-large-latest"] == "mistral/mistral-large-latest"
    assert keys["codestral-latest"] == "mistral/codestral-latest"
    assert keys["ministral-8b-latest"] == "mistral/ministral-8b-latest"
    assert keys["open-mistral-nemo"] == "mistral/mistral-nemo"  # the alias file's name for NeMo
    assert set(batch.offerings.creator) == {"mistral"}


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("Mistral Medium 3", "mistral-medium-2505"),  # versioned name: the dated snapshot
        ("Mistral Medium 3.1", "mistral-medium-2508"),
        ("Mistral Small 3.2", "mistral-small-2506"),
        ("Magistral Medium 1.2", "magistral-medium-2509"),
        ("Mistral NeMo", "open-mistral-nemo"),  # an API name of its own
        ("Mistral Large", "mistral-large-latest"),  # no version: the -latest alias
        ("Codestral", "codestral-latest"),
        ("Magistral  Small New", "magistral-small-latest"),  # badge and spacing ignored
        ("Ministral 8B", "ministral-8b-latest"),  # a size is not a version
        ("Devstral Medium", "devstral-medium-latest"),
        ("Mistral Medium 4", None),  # an unknown version: never guessed
        ("Mistral OCR", None),
        ("Premier models", None),
    ],
)
def test_mistral_name_to_api_id(name, model_id):
    assert mistral_pricing.api_id(name) == model_id


def test_mistral_unknown_versioned_name_is_rejected_not_guessed():
    html = (
        "<h3>Mistral Medium 4</h3><dl><dt>Input (/M tokens)</dt><dd>$0.5</dd><dt>Output (/M tokens)</dt><dd>$2.5</dd></dl>"
        "<h3>Codestral</h3><p>Input: $0.3 / M tokens</p><p>Output: $0.9 per million tokens</p>"
    )
    entries = mistral_pricing.parse(html.encode())
    batch = mistral_pricing.normalise(entries, Provenance("mistral_pricing", "scraped", "u", NOW))
    assert prices_of(batch) == {"codestral-latest": {"input": 0.3, "output": 0.9}}
    assert list(batch.rejects.source_id) == ["Mistral Medium 4"]
    assert "no API id known" in batch.rejects.reason.iloc[0]


def test_mistral_prices_not_under_their_own_heading_are_structure_change():
    # The card names lost their headings: all prices fall under one category heading.
    html = (
        "<h2>Premier models</h2>"
        "<div><b>Mistral Medium 3</b> Input (/M tokens) $0.4 Output (/M tokens) $2</div>"
        "<div><b>Mistral Large</b> Input (/M tokens) $2 Output (/M tokens) $6</div>"
    )
    with pytest.raises(PayloadError, match=r"^page structure changed:"):
        mistral_pricing.parse(html.encode())


def test_mistral_labels_gone_is_structure_change():
    rendered = page("mistral_pricing.rendered.html").decode()
    unlabelled = rendered.replace("Input (/M tokens)", "").replace("Output (/M tokens)", "")
    assert "$0.4" in unlabelled
    with pytest.raises(PayloadError, match=r"^page structure changed:"):
        mistral_pricing.parse(unlabelled.encode())


def test_sections_keep_text_and_code_under_each_heading():
    sections = read_sections(page("google_pricing.html"))
    pro = next(s for s in sections if s.heading == "Gemini 2.5 Pro")
    assert pro.codes == ["gemini-2.5-pro"] and pro.level == 2
    assert pro.path == ["Gemini Developer API pricing", "Gemini 2.5 Pro"]
    standard = sections[sections.index(pro) + 1]
    assert standard.heading == "Standard" and "$1.25, prompts <= 200k tokens" in standard.text
