"""Official pricing pages rendered in real headless Chromium, through the whole graph."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.test_browser import chromium  # noqa: F401  (fixture: fails in CI when Chromium is missing)

pytestmark = pytest.mark.slow

PAGES = FIXTURES / "pages"
# env name -> (prefix on the replay server, the page's own path, fixture)
PRICING_PAGES = {
    "OPENAI_PRICING": ("/pages/openai", "/api/pricing/", "openai_pricing.html"),
    "ANTHROPIC_PRICING": ("/pages/anthropic", "/pricing", "anthropic_pricing.html"),  # built by JavaScript
    "GOOGLE_PRICING": ("/pages/google", "/gemini-api/docs/pricing", "google_pricing.html"),
    "MISTRAL_PRICING": ("/pages/mistral", "/pricing", "mistral_pricing.html"),  # built by JavaScript
}
SOURCES = ("openai_pricing", "anthropic_pricing", "google_pricing", "mistral_pricing")


def query(home: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture
def pages(replay, monkeypatch, chromium):  # noqa: F811
    for env_name, (prefix, path, fixture) in PRICING_PAGES.items():
        replay.add(prefix + path, PAGES / fixture, content_type="text/html; charset=utf-8")
        monkeypatch.setenv(f"AISI_SOURCE_{env_name}_URL", replay.url + prefix)
        monkeypatch.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "20")
    return replay


def price(home: Path, provider_id: str, provider_model_id: str, price_type: str) -> tuple | None:
    rows = query(home, "SELECT usd_per_mtok, source, source_kind FROM current_prices WHERE provider_id = ? "
                       "AND provider_model_id = ? AND price_type = ?", provider_id, provider_model_id, price_type)
    return rows[0] if rows else None


def test_official_pages_are_scraped_and_win_over_aggregators(pages, home, refresh):
    summary = refresh()
    assert summary.success, summary.errors
    statuses = {s["source"]: (s["status"], s["badge"], s["rows"]) for s in summary.sources}
    for source in SOURCES:
        status, badge, rows = statuses[source]
        assert (status, badge) == ("ok", "scraped") and rows > 0, (source, statuses[source])
    # models.dev and LiteLLM also price openai/gpt-4o at 2.50: the official page's row wins.
    assert price(home, "openai", "gpt-4o", "input") == (2.5, "openai_pricing", "scraped")
    assert price(home, "openai", "gpt-4o", "output")[1:] == ("openai_pricing", "scraped")
    # Prices that exist only after the page's script ran (the browser was needed).
    anthropic = query(home, "SELECT count(*) FROM current_prices WHERE source = 'anthropic_pricing'")
    mistral = query(home, "SELECT count(*) FROM current_prices WHERE source = 'mistral_pricing'")
    assert anthropic[0][0] > 0 and mistral[0][0] > 0
    # The rendered HTML is archived like any payload, with the page URL as provenance.
    urls = {u for (u,) in query(home, "SELECT DISTINCT source_url FROM offerings WHERE source_kind = 'scraped'")}
    assert any(u.endswith("/pages/openai/api/pricing/") for u in urls)


def test_a_page_structure_change_is_reported_and_falls_back_to_cached(pages, home, refresh):
    assert refresh().success
    before = query(home, "SELECT provider_model_id, price_type, usd_per_mtok FROM current_prices WHERE source = 'openai_pricing' ORDER BY 1, 2")
    assert before

    # A cosmetic change (classes renamed, ARIA grid instead of <table>): same prices.
    route = pages.routes["/pages/openai/api/pricing/"]
    route.body = (PAGES / "openai_pricing.changed.html").read_bytes()
    cosmetic = refresh()
    assert {s["source"]: s["status"] for s in cosmetic.sources}["openai_pricing"] == "ok"
    assert query(home, "SELECT provider_model_id, price_type, usd_per_mtok FROM current_prices WHERE source = 'openai_pricing' ORDER BY 1, 2") == before

    # The price columns gone: no wrong rows, the last good page serves, badge cached.
    offered = "SELECT provider_model_id, price_type FROM current_prices WHERE provider_id = 'openai' ORDER BY 1, 2"
    published = query(home, offered)
    route.body = (PAGES / "openai_pricing.broken.html").read_bytes()
    broken = refresh()
    assert broken.success
    openai = next(s for s in broken.sources if s["source"] == "openai_pricing")
    assert openai["status"] == "cached" and openai["badge"] == "cached"
    assert "page structure changed" in openai["error"]
    assert query(home, offered) == published  # nothing disappeared
    # Cached ranks below a fresh aggregator (DESIGN: ... > aggregator > cached > config): where
    # models.dev or LiteLLM price the offering they now lead; the official page's other
    # prices stay, badged cached.
    kinds = {k for (k,) in query(home, "SELECT DISTINCT source_kind FROM current_prices WHERE source = 'openai_pricing'")}
    assert kinds <= {"cached"}
