"""The seven provider-API modules' pure parts on hand-written fixtures in each API's documented
shape (tests/fixtures/api): page URLs, auth headers, parse of the archived ``{"pages": [...]}``
payload, and normalise (ids, limits, modalities, deprecation, rejects with their reasons)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from core.records import PayloadError, Provenance
from core.sources import anthropic, cohere, google, huggingface, mistral, openai, replicate
from tests.conftest import API_FIXTURES, PROVIDER_APIS

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
MODULES = {m.SPEC.name: m for m in (openai, anthropic, google, mistral, cohere, replicate, huggingface)}
FINE_TUNED = "fine-tuned model of the key's organisation: not published"


def page(fixture: str) -> dict:
    return json.loads((API_FIXTURES / fixture).read_text())


def archived(source: str) -> bytes:
    """The payload the fetch archives for ``source``: every page of its fixture, in order."""
    api = next(a for a in PROVIDER_APIS if a.source == source)
    return json.dumps({"pages": [page(f) for _, f in api.pages]}).encode()


def batch_of(source: str):
    module = MODULES[source]
    entries = module.parse(archived(source))
    return module.normalise(entries, Provenance(source, "api", f"https://replay/{source}", NOW))


def row(batch, provider_model_id: str, provider_id: str | None = None):
    rows = batch.offerings[batch.offerings.provider_model_id == provider_model_id]
    if provider_id is not None:
        rows = rows[rows.provider_id == provider_id]
    assert len(rows) == 1, (provider_model_id, provider_id, rows)
    return rows.iloc[0]


def price(batch, provider_id: str, provider_model_id: str, price_type: str) -> float | None:
    p = batch.prices
    rows = p[(p.provider_id == provider_id) & (p.provider_model_id == provider_model_id) & (p.price_type == price_type)]
    return None if rows.empty else float(rows.usd_per_mtok.iloc[0])


# -- page URLs and auth ---------------------------------------------------------------------


def test_page_urls_follow_each_apis_documented_cursor():
    base = "https://api.example.test"
    first = anthropic.first_url(base + "/v1/models")
    assert first == base + "/v1/models?limit=1000"
    second = anthropic.next_url(page("anthropic_models_page1.json"), first)
    assert second == base + "/v1/models?limit=1000&after_id=claude-opus-4-20250514"
    # The next cursor replaces the previous one; it does not pile up.
    assert anthropic.next_url(page("anthropic_models_page2.json"), second) == base + "/v1/models?limit=1000&after_id=claude-3-7-sonnet-20250219"
    assert anthropic.next_url(page("anthropic_models_page3.json"), second) is None  # has_more false

    first = google.first_url(base + "/v1beta/models")
    assert first == base + "/v1beta/models?pageSize=1000"
    second = google.next_url(page("gemini_models_page1.json"), first)
    assert second == base + "/v1beta/models?pageSize=1000&pageToken=Cg9nZW1pbmktMi41LWZsYXNo"
    assert google.next_url(page("gemini_models_page2.json"), second) == base + "/v1beta/models?pageSize=1000&pageToken=ChZnZW1tYS0zLTI3Yi1pdA"
    assert google.next_url(page("gemini_models_page3.json"), second) is None  # no nextPageToken

    first = cohere.first_url(base + "/v1/models")
    assert first == base + "/v1/models?page_size=1000"
    second = cohere.next_url(page("cohere_models_page1.json"), first)
    assert second == base + "/v1/models?page_size=1000&page_token=c2Vjb25kLXBhZ2U"
    assert cohere.next_url(page("cohere_models_page2.json"), second) == base + "/v1/models?page_size=1000&page_token=dGhpcmQtcGFnZQ"
    assert cohere.next_url(page("cohere_models_page3.json"), second) is None

    # Replicate's cursor is the absolute `next` URL, taken as it is.
    assert replicate.next_url(page("replicate_models_page1.json"), "x") == "https://api.replicate.com/v1/models?cursor=cD0yMDI0LTA0LTE4"
    assert replicate.next_url(page("replicate_models_page3.json"), "x") is None
    # One-page listings.
    for module, fixture in ((openai, "openai_models.json"), (mistral, "mistral_models.json"), (huggingface, "huggingface_router_models.json")):
        assert module.next_url(page(fixture), "https://x/v1/models") is None


def test_keys_travel_only_in_each_apis_auth_header():
    key = "k-123"
    assert openai.auth_headers(key) == {"authorization": "Bearer k-123"}
    assert anthropic.auth_headers(key) == {"x-api-key": "k-123", "anthropic-version": "2023-06-01"}
    assert google.auth_headers(key) == {"x-goog-api-key": "k-123"}  # never the `key=` query parameter
    for module in (mistral, cohere, replicate, huggingface):
        assert module.auth_headers(key) == {"authorization": "Bearer k-123"}
    assert google.SPEC.key_env == ("GOOGLE_AI_API_KEY", "GEMINI_API_KEY")
    assert cohere.SPEC.key_env == ("COHERE_API_KEY", "CO_API_KEY")
    assert huggingface.SPEC.key_required is False  # the router's listing is public
    assert all(m.SPEC.kind == "api" for m in MODULES.values())


@pytest.mark.parametrize("source", sorted(MODULES))
def test_a_page_without_the_listing_is_a_payload_error(source):
    module = MODULES[source]
    with pytest.raises(PayloadError, match="page 2 has no"):
        module.parse(json.dumps({"pages": [json.loads(archived(source))["pages"][0], {"error": "x"}]}).encode())
    with pytest.raises(PayloadError, match="no pages"):
        module.parse(b'{"pages": []}')
    with pytest.raises(PayloadError, match="not JSON"):
        module.parse(b"<html>maintenance</html>")


# -- each API's normalise -------------------------------------------------------------------


def test_openai_lists_models_without_prices_and_rejects_fine_tunes():
    batch = batch_of("openai")
    assert batch.entries == 6
    assert list(batch.offerings.provider_model_id) == ["gpt-4o", "gpt-4o-2024-08-06", "o3-mini", "text-embedding-3-small", "dall-e-3"]
    assert set(batch.offerings.provider_id) == {"openai"}
    assert batch.prices.empty  # /v1/models has no prices: none invented
    assert batch.rejects.to_dict("records") == [{"source": "openai", "source_id": "ft:gpt-4o-mini:acme::abc", "reason": FINE_TUNED}]
    gpt = row(batch, "gpt-4o")
    assert gpt.model_key == "openai/gpt-4o" and gpt.provider_name == "OpenAI"
    assert gpt.release_date == date(2024, 5, 10)  # created 1715367049
    assert gpt.context_window is None and gpt.input_modalities == []  # not in this API
    assert gpt.source == "openai" and gpt.source_kind == "api" and gpt.fetched_at == NOW
    # A dated snapshot is its own model, not folded into the family alias.
    assert row(batch, "gpt-4o-2024-08-06").model_key == "openai/gpt-4o-2024-08-06"


def test_anthropic_concatenates_three_pages_with_capabilities_as_modalities():
    batch = batch_of("anthropic")
    assert batch.entries == 5 and batch.rejects.empty and batch.prices.empty
    assert list(batch.offerings.provider_model_id) == [
        "claude-opus-4-1-20250805",  # page 1
        "claude-opus-4-20250514",
        "claude-sonnet-4-20250514",  # page 2
        "claude-3-7-sonnet-20250219",
        "claude-3-5-haiku-20241022",  # page 3
    ]
    opus = row(batch, "claude-opus-4-1-20250805")
    assert opus["name"] == "Claude Opus 4.1" and opus.provider_id == "anthropic"
    assert opus.release_date == date(2025, 8, 5)
    assert opus.input_modalities == ["text", "image", "pdf"] and opus.output_modalities == ["text"]
    haiku = row(batch, "claude-3-5-haiku-20241022")
    assert haiku.input_modalities == ["text", "image"]  # pdf_input not supported
    assert row(batch, "claude-sonnet-4-20250514").model_key == "anthropic/claude-sonnet-4-20250514"
    assert set(batch.offerings.creator) == {"anthropic"}


def test_gemini_strips_the_models_prefix_and_keeps_token_limits():
    batch = batch_of("google")
    assert batch.entries == 6 and batch.rejects.empty and batch.prices.empty
    assert list(batch.offerings.provider_model_id) == [
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash-001", "gemma-3-27b-it", "text-embedding-004", "imagen-3.0-generate-002",
    ]
    pro = row(batch, "gemini-2.5-pro")
    assert pro.model_key == "google/gemini-2.5-pro" and pro.provider_id == "google"
    assert pro["name"] == "Gemini 2.5 Pro"
    assert (pro.context_window, pro.max_output) == (1048576, 65536)
    assert pro.output_modalities == ["text"]  # generateContent
    assert (row(batch, "gemini-2.0-flash-001").context_window, row(batch, "gemini-2.0-flash-001").max_output) == (1048576, 8192)
    embedding = row(batch, "text-embedding-004")
    assert embedding.output_modalities == ["embedding"] and (embedding.context_window, embedding.max_output) == (2048, 1)
    assert row(batch, "imagen-3.0-generate-002").output_modalities == []  # `predict` only: no claim
    assert set(batch.offerings.provider_id) == {"google"}


def test_mistral_keeps_context_capabilities_and_deprecation_and_rejects_fine_tunes():
    batch = batch_of("mistral")
    assert batch.entries == 6
    assert list(batch.offerings.provider_model_id) == [
        "mistral-large-2411", "mistral-large-latest", "mistral-small-latest", "voxtral-mini-latest", "mistral-embed",
    ]
    assert batch.rejects.to_dict("records") == [
        {"source": "mistral", "source_id": "ft:open-mistral-7b:587a6b29:20240514:7e773925", "reason": FINE_TUNED}
    ]
    large = row(batch, "mistral-large-latest")
    assert large.model_key == "mistral/mistral-large-latest" and large["name"] == "mistral-large-2411"
    assert large.context_window == 131072
    assert large.deprecation_date == date(2026, 5, 31)
    assert large.input_modalities == ["text"] and large.output_modalities == ["text"]
    # The dated id the alias points at is listed (and published) too, with the same deprecation.
    assert row(batch, "mistral-large-2411").deprecation_date == date(2026, 5, 31)
    assert row(batch, "mistral-small-latest").deprecation_date is None
    assert row(batch, "mistral-small-latest").input_modalities == ["text", "image"]  # vision
    assert row(batch, "voxtral-mini-latest").input_modalities == ["text", "audio"]  # audio
    embed = row(batch, "mistral-embed")
    assert embed.output_modalities == [] and embed.context_window == 8192  # not a chat model
    assert batch.prices.empty


def test_cohere_reads_deprecation_endpoints_and_context_over_three_pages():
    batch = batch_of("cohere")
    assert batch.entries == 6
    assert list(batch.offerings.provider_model_id) == [
        "command-a-03-2025", "command-r-plus-08-2024", "command-r-08-2024", "embed-english-v3.0", "rerank-v3.5",
    ]
    assert batch.rejects.to_dict("records") == [{"source": "cohere", "source_id": "acme-support-command-r-ft", "reason": FINE_TUNED}]
    plus = row(batch, "command-r-plus-08-2024")
    assert bool(plus.deprecated) is True and plus.context_window == 128000
    assert plus.model_key == "cohere/command-r-plus-08-2024" and plus.output_modalities == ["text"]
    assert bool(row(batch, "command-a-03-2025").deprecated) is False
    embed = row(batch, "embed-english-v3.0")
    assert embed.output_modalities == ["embedding"] and embed.context_window == 512 and bool(embed.deprecated) is False
    assert row(batch, "rerank-v3.5").output_modalities == []
    assert set(batch.offerings.provider_id) == {"cohere"} and batch.prices.empty


def test_replicate_keeps_public_models_by_owner_and_rejects_private_ones():
    batch = batch_of("replicate")
    assert batch.entries == 5
    assert list(batch.offerings.provider_model_id) == [
        "meta/meta-llama-3-70b-instruct", "black-forest-labs/flux-schnell", "stability-ai/sdxl", "openai/whisper",
    ]
    assert batch.rejects.to_dict("records") == [
        {"source": "replicate", "source_id": "acme/internal-classifier", "reason": "private model: not published"}
    ]
    assert set(batch.offerings.provider_id) == {"replicate"}
    # A host's listing: the creator is the owner namespace, not Replicate.
    assert row(batch, "meta/meta-llama-3-70b-instruct").creator == "meta"
    assert row(batch, "openai/whisper").model_key == "openai/whisper"
    assert row(batch, "black-forest-labs/flux-schnell")["name"] == "flux-schnell"
    assert batch.prices.empty  # Replicate prices by time, not by token


def test_huggingface_router_gives_one_offering_per_serving_provider_with_usd_per_million_prices():
    batch = batch_of("huggingface")
    assert batch.entries == 7 and batch.rejects.empty  # one entry per (model, provider)
    qwen = batch.offerings[batch.offerings.provider_model_id == "Qwen/Qwen3-235B-A22B"]
    llama = batch.offerings[batch.offerings.provider_model_id == "meta-llama/Llama-3.1-70B-Instruct"]
    assert len(qwen) == 4 and len(llama) == 3
    assert set(qwen.model_key) == {"alibaba/qwen3-235b-a22b"}
    assert set(llama.model_key) == {"meta/llama-3.1-70b-instruct"}  # the same key models.dev's id resolves to
    # The router's provider names mapped to our provider ids (models.dev's).
    assert "novita-ai" in set(qwen.provider_id) and "novita" not in set(batch.offerings.provider_id)
    assert {"fireworks-ai", "nebius"} <= set(qwen.provider_id)
    assert {"sambanova", "novita-ai", "featherless-ai"} == set(llama.provider_id)
    together = qwen[~qwen.provider_id.isin(["fireworks-ai", "novita-ai", "nebius"])]
    assert len(together) == 1 and together.provider_id.iloc[0]  # together (models.dev: togetherai)
    together_id = together.provider_id.iloc[0]
    # Prices are already USD per 1M tokens: taken as they are.
    assert price(batch, "novita-ai", "Qwen/Qwen3-235B-A22B", "input") == 0.2
    assert price(batch, "novita-ai", "Qwen/Qwen3-235B-A22B", "output") == 0.8
    assert price(batch, "novita-ai", "meta-llama/Llama-3.1-70B-Instruct", "input") == 0.51
    assert price(batch, together_id, "Qwen/Qwen3-235B-A22B", "output") == 0.6
    assert price(batch, "sambanova", "meta-llama/Llama-3.1-70B-Instruct", "output") == 1.2
    # An offline provider without pricing: no price rows (never 0), no context.
    assert price(batch, "nebius", "Qwen/Qwen3-235B-A22B", "input") is None
    assert price(batch, "featherless-ai", "meta-llama/Llama-3.1-70B-Instruct", "output") is None
    assert len(batch.prices) == 10  # 5 live providers x input, output
    assert row(batch, "Qwen/Qwen3-235B-A22B", "fireworks-ai").context_window == 131072
    assert row(batch, "Qwen/Qwen3-235B-A22B", "novita-ai").context_window == 40960
    assert row(batch, "meta-llama/Llama-3.1-70B-Instruct", "sambanova").input_modalities == ["text"]
