"""Each source's pure parser on small fixtures in the source's real shape."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from core.records import PayloadError, Provenance
from core.sources import litellm, model_defaults, models_dev, openrouter
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def batch_of(module, fixture: str):
    entries = module.parse((FIXTURES / fixture).read_bytes())
    return module.normalise(entries, Provenance(module.SPEC.name, module.SPEC.kind, "http://replay/x", NOW))


def price(batch, provider_model_id: str, price_type: str) -> float | None:
    rows = batch.prices[(batch.prices.provider_model_id == provider_model_id) & (batch.prices.price_type == price_type)]
    return None if rows.empty else float(rows.usd_per_mtok.iloc[0])


def test_openrouter_prices_are_converted_from_usd_per_token_strings():
    batch = batch_of(openrouter, "openrouter_models.json")
    assert batch.entries == 7
    assert len(batch.offerings) == 5
    assert price(batch, "openai/gpt-4o", "input") == 2.5
    assert price(batch, "openai/gpt-4o", "output") == 10.0
    assert price(batch, "openai/gpt-4o", "cached_input") == 1.25
    assert price(batch, "anthropic/claude-sonnet-4", "cache_write") == 3.75
    # A free variant is a real price of 0; a router's "-1" is unknown: no row at all.
    assert price(batch, "openai/gpt-oss-20b:free", "input") == 0.0
    assert price(batch, "openrouter/auto", "input") is None
    assert batch.reject_reasons == {"no model id": 1, "unparseable field: could not convert string to float: 'two dollars'": 1}
    gpt = batch.offerings.set_index("provider_model_id").loc["openai/gpt-4o"]
    assert gpt.model_key == "openai/gpt-4o" and gpt.provider_id == "openrouter"
    assert gpt.context_window == 128000 and gpt.max_output == 16384
    assert gpt["name"] == "GPT-4o" and gpt.input_modalities == ["file", "image", "text"]
    assert gpt.source == "openrouter" and gpt.source_kind == "aggregator" and gpt.fetched_at == NOW
    free = batch.offerings.set_index("provider_model_id").loc["openai/gpt-oss-20b:free"]
    assert free.model_key == "openai/gpt-oss-20b"  # a variant is an offering, not a new model


def test_models_dev_keeps_per_million_prices_and_reports_bad_records():
    batch = batch_of(models_dev, "models_dev_api.json")
    assert batch.entries == 6
    assert price(batch, "gpt-4o", "input") == 2.5
    assert price(batch, "gpt-4o", "cached_input") == 1.25
    assert price(batch, "claude-sonnet-4-20250514", "cache_write") == 3.75
    assert list(batch.rejects.source_id) == ["groq/mystery-model"]
    assert "could not convert string to float: 'free'" in batch.rejects.reason.iloc[0]
    keys = dict(zip(batch.offerings.provider_model_id, batch.offerings.model_key))
    assert keys["llama-3.1-8b-instant"] == "meta/llama-3.1-8b-instruct"  # Groq's name for Llama 3.1 8B Instruct
    assert keys["meta-llama/llama-3.1-70b-instruct"] == "meta/llama-3.1-70b-instruct"
    providers = dict(zip(batch.offerings.provider_model_id, batch.offerings.provider_name))
    assert providers["gpt-4o"] == "OpenAI"


def test_litellm_strips_provider_prefixes_and_skips_what_is_not_a_model():
    batch = batch_of(litellm, "litellm_prices.json")
    assert batch.entries == 9  # last_updated is file metadata, not an entry
    assert price(batch, "gpt-4o", "input") == 2.5
    assert price(batch, "gpt-4o", "batch_output") == 5.0
    assert price(batch, "gpt-4o", "output") == 10.0
    bedrock = batch.offerings.set_index("provider_model_id").loc["us-east-1/anthropic.claude-sonnet-4-20250514-v1:0"]
    assert bedrock.provider_id == "amazon-bedrock"
    assert bedrock.model_key == "anthropic/claude-sonnet-4-20250514"
    assert str(bedrock.deprecation_date) == "2026-05-14"
    assert dict(batch.rejects.groupby("reason").size()) == {
        "documentation placeholder, not a model": 1,
        "not a model (mode search)": 1,
        "no litellm_provider": 1,
        "unparseable field: could not convert string to float: 'cheap'": 1,
    }
    # An embedding model's output price of 0 is a real 0, its input price is tiny, not lost.
    assert price(batch, "text-embedding-3-small", "input") == pytest.approx(0.02)


def test_model_defaults_entries_carry_their_pricing_page_and_check_date():
    batch = model_defaults.normalise(model_defaults.parse(model_defaults.read()), Provenance("model_defaults", "config", "file:", NOW))
    assert batch.rejects.empty
    assert len(batch.offerings) >= 30
    creators = set(batch.offerings.creator)
    assert {"openai", "anthropic", "google", "mistral", "meta", "cohere"} <= creators
    assert batch.offerings.source_url.str.startswith("https://").all()
    assert (batch.offerings.fetched_at < NOW).all()  # the check date, not "now"
    assert price(batch, "gpt-4o", "input") == 2.5


@pytest.mark.parametrize("module", [openrouter, models_dev, litellm, model_defaults])
@pytest.mark.parametrize("payload", [b"<html>down for maintenance</html>", b"[1, 2, 3]", b"{}", b""])
def test_garbage_payloads_raise_payload_error(module, payload):
    with pytest.raises(PayloadError):
        module.parse(payload)


def test_spec_base_url_is_overridable_and_the_path_appended(monkeypatch):
    assert openrouter.SPEC.url() == "https://openrouter.ai/api/v1/models"
    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", "http://127.0.0.1:8000/openrouter/")
    assert openrouter.SPEC.url() == "http://127.0.0.1:8000/openrouter/api/v1/models"
    monkeypatch.setenv("AISI_SOURCE_LITELLM_URL", "http://127.0.0.1:9/x")
    assert litellm.SPEC.url() == "http://127.0.0.1:9/x/model_prices_and_context_window.json"
    assert models_dev.SPEC.url() == "https://models.dev/api.json"


def test_model_defaults_file_is_well_formed():
    document = json.loads(model_defaults.read())
    for entry in document["models"]:
        assert entry["model_key"].count("/") == 1, entry
        assert datetime.fromisoformat(entry["checked"])
        assert all(v is not None and v >= 0 for v in entry["prices"].values()), entry
        assert {"input", "output"} <= set(entry["prices"]), entry
