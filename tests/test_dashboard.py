"""The dashboard at ``/`` in real headless Chromium (Playwright on /usr/bin/chromium) against a
real `aisi serve`: one refresh against the replay server (the sources not replayed fail), the
availability monitor's history seeded as the monitor writes it, then a snapshot published while
the page is open. Screenshots go to ``tests/output/dashboard/`` (not in git); their paths are printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from core.notify.outbox import Notification, record
from core.stores.monitor import open_monitor_store
from pipelines.resources.browser import CHROMIUM_ARGS
from tests.conftest import FIXTURES, REPO, SOURCE_ROUTES, isolate, unavailable
from tests.replay import ReplayServer
from tests.test_api import ApiServer, run_refresh, server_env
from tests.test_api_availability import probe, seed
from tests.test_api_events import publish

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "tests" / "output" / "dashboard"
TIMEOUT_MS = 30_000
UNKNOWN_MODEL = "no-such-model"  # asked for on purpose: the page must show that it is unknown

# Pixels of a chart's canvas in a saturated colour: drawn series (the axes and grid are grey).
DRAWN_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 80) count += 1;
  }
  return count;
}"""


@dataclass
class Dashboard:
    home: Path
    api: ApiServer
    page: Any
    problems: list[str] = field(default_factory=list)  # console errors and uncaught exceptions

    def console(self, message: ConsoleMessage) -> None:
        """Records a console error, with the URL it is about. The 404s of the model the tests
        ask for on purpose (``UNKNOWN_MODEL``) are expected: the browser logs one per request of
        its page, and they can arrive after the page shows its error."""
        url = str(message.location.get("url") or "")
        if message.type == "error" and UNKNOWN_MODEL not in url:
            self.problems.append(f"console {message.type}: {message.text} ({url})")

    def open(self, fragment: str) -> None:
        """Loads ``/`` afresh at ``fragment`` and waits for its view's data."""
        self.page.goto("about:blank")
        self.page.goto(f"{self.api.url}/{fragment}")
        self.wait_view(fragment)

    def go(self, fragment: str) -> None:
        """Moves to ``fragment`` within the loaded page (no reload) and waits for its data."""
        self.page.evaluate("f => { location.hash = f; }", fragment)
        self.wait_view(fragment)

    def wait_view(self, fragment: str) -> None:
        """Until the view rendered for ``fragment`` has its data."""
        self.page.wait_for_function("f => { const v = document.getElementById('view'); return v.dataset.route === f && v.dataset.state === 'ready'; }",
                                    arg=fragment, timeout=TIMEOUT_MS)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    def column(self, selector: str, attribute: str) -> list[str]:
        return self.page.eval_on_selector_all(selector, f"rows => rows.map(r => r.getAttribute({attribute!r}))")

    def api_json(self, path: str, **params: Any) -> Any:
        response = self.api.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A home with one refresh (replayed sources ok, the others failed) and a seeded monitor
    history, `aisi serve` on it with a fast event poll, and one Chromium page."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("dashboard")
    home = tmp / "data"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        replay = ReplayServer().start()
        try:
            for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
                replay.add(prefix + path, FIXTURES / fixture)
                mp.setenv(f"AISI_SOURCE_{env_name}_URL", replay.url + prefix)
                mp.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "2")
            # Leaderboard scores for a model the catalog lists (openai/gpt-4o).
            replay.add("/lmarena/data/leaderboard-text.json", FIXTURES / "lmarena" / "leaderboard-api.json")
            run_refresh()
        finally:
            replay.stop()
        monitor = open_monitor_store(home=home, database_url="")
        try:
            seed(monitor)
        finally:
            getattr(monitor, "close", lambda: None)()
        api = ApiServer(server_env(home, AISI_EVENTS_POLL_INTERVAL="0.1"), tmp / "api.log").wait_ready()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    board = Dashboard(home, api, page)
                    page.on("console", board.console)
                    page.on("pageerror", lambda e: board.problems.append(f"page error: {e}"))
                    yield board
                finally:
                    browser.close()
        finally:
            api.stop()


def test_served_at_root_beside_the_api_docs_and_mcp(dashboard: Dashboard):
    api = dashboard.api
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="dashboard/app.js"' in page.text and "http://" not in page.text and "https://" not in page.text  # no CDN
    head = api.client.head("/")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(page.content))
    assert api.get("/", params={"any": "thing"}).status_code == 200  # the page's state is in the fragment
    script = api.get("/dashboard/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"] and "EventSource" in script.text
    assert api.client.head("/dashboard/vendor/uplot/uPlot.iife.min.js").status_code == 200
    assert "MIT License" in api.get("/dashboard/vendor/uplot/LICENSE").text
    missing = api.get("/dashboard/nothing.js")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
    schema = api.get("/openapi.json").json()
    assert "/" not in schema["paths"] and not any(p.startswith("/dashboard") for p in schema["paths"])
    assert api.get("/docs").status_code == 200 and api.get("/api/v1/models").json()["total"] > 49
    assert api.get("/api/v1/models", params={"colour": "red"}).status_code == 422  # the API's rules unchanged
    assert api.post("/mcp", json={}).status_code != 404


def test_every_page_loads_without_console_errors(dashboard: Dashboard):
    for name, fragment in [("models", "#/models"), ("model", "#/model/gpt-4o"), ("changes", "#/changes"),
                           ("providers", "#/providers"), ("sources", "#/sources")]:
        dashboard.open(fragment)
        assert dashboard.page.eval_on_selector("#view", "v => v.dataset.view") == fragment.split("/")[1]
        dashboard.shot(name)
    snapshot = dashboard.api_json("/api/v1/status")["snapshot"]["snapshot_id"]
    assert dashboard.page.inner_text("#snapshot") == f"snapshot {snapshot}"
    dashboard.page.wait_for_selector("#live.ok", timeout=TIMEOUT_MS)  # the event stream is open
    assert dashboard.problems == []


def test_models_table_shows_the_snapshot_and_search_and_filters_narrow_it(dashboard: Dashboard):
    expected = [m["model_key"] for m in dashboard.api_json("/api/v1/models", limit=500)["items"]]
    dashboard.open("#/models")
    rows = "#models-table tbody tr"
    assert dashboard.column(rows, "data-model") == expected and len(expected) > 49
    gpt4o = dashboard.page.inner_text('#models-table tr[data-model="openai/gpt-4o"]')
    assert "GPT-4o" in gpt4o and "128K" in gpt4o and "$2.5" in gpt4o and "$10" in gpt4o and "aggregator" in gpt4o

    dashboard.page.fill("input[name=search]", "gpt-4o")
    searched = [m["model_key"] for m in dashboard.api_json("/api/v1/models", search="gpt-4o", limit=500)["items"]]
    assert "openai/gpt-4o" in searched and len(searched) < len(expected)
    dashboard.page.wait_for_function(f"n => document.querySelectorAll({rows!r}).length === n", arg=len(searched), timeout=TIMEOUT_MS)
    assert dashboard.column(rows, "data-model") == searched
    assert "search=gpt-4o" in dashboard.page.evaluate("location.hash")

    # Billing is read from /pricing: the free tier's only model.
    dashboard.page.fill("input[name=search]", "")
    dashboard.page.select_option("select[name=billing]", "free_tier")
    free = sorted({p["model_key"] for p in dashboard.api_json("/api/v1/pricing", billing="free_tier", limit=500)["items"]})
    assert free and len(free) < len(expected)
    dashboard.page.wait_for_function(f"n => document.querySelectorAll({rows!r}).length === n", arg=len(free), timeout=TIMEOUT_MS)
    assert sorted(dashboard.column(rows, "data-model")) == free

    dashboard.page.select_option("select[name=billing]", "")
    dashboard.page.select_option("select[name=provider]", "openai")
    dashboard.page.select_option("select[name=sort]", "-context")
    openai = [m["model_key"] for m in dashboard.api_json("/api/v1/models", provider="openai", sort="-context", limit=500)["items"]]
    dashboard.page.wait_for_function(f"keys => [...document.querySelectorAll({rows!r})].map(r => r.dataset.model).join() === keys.join()",
                                     arg=openai, timeout=TIMEOUT_MS)
    assert dashboard.problems == []


def test_model_page_shows_prices_across_providers_history_chart_and_benchmarks(dashboard: Dashboard):
    compare = dashboard.api_json("/api/v1/pricing/compare", model="gpt-4o")
    dashboard.open("#/models")
    dashboard.page.click('#models-table tr[data-model="openai/gpt-4o"] a')
    dashboard.wait_view("#/model/openai/gpt-4o")
    assert dashboard.page.inner_text("h1").startswith("GPT-4o") and dashboard.page.query_selector("#compare-table")

    dashboard.open("#/model/gpt-4o")  # a spelling the API resolves
    assert dashboard.page.inner_text("h1").startswith("GPT-4o")
    assert "resolves to openai/gpt-4o" in dashboard.page.inner_text("#view")
    providers = [o["provider_id"] for o in compare["items"]]
    assert dashboard.column("#compare-table tbody tr", "data-provider") == providers and len(providers) >= 2
    openai_row = dashboard.page.inner_text('#compare-table tr[data-provider="openai"]')
    assert "$2.5" in openai_row and "$10" in openai_row and "$1.25" in openai_row
    assert "consensus" in dashboard.page.inner_text("#reference-table")

    canvas = dashboard.page.wait_for_selector("#history-chart canvas", timeout=TIMEOUT_MS)
    assert canvas.evaluate(DRAWN_PIXELS) > 500  # the price lines, not just axes
    legend = dashboard.page.inner_text("#history-chart")
    assert all(f"{p} input" in legend and f"{p} output" in legend for p in providers)

    scores = dashboard.api_json("/api/v1/models/openai/gpt-4o")["benchmarks"]
    assert scores
    benchmarks = dashboard.page.inner_text("#benchmarks-table")
    assert all(b["benchmark"] in benchmarks for b in scores)
    dashboard.shot("model-gpt-4o")

    # Its requests' 404s are expected (Dashboard.console leaves them out).
    dashboard.page.goto(f"{dashboard.api.url}/#/model/{UNKNOWN_MODEL}")
    dashboard.page.wait_for_selector("#view[data-state=error] .error", timeout=TIMEOUT_MS)
    assert f"unknown model '{UNKNOWN_MODEL}'" in dashboard.page.inner_text("#view .error")


def test_providers_page_shows_uptime_charts_incidents_and_outages(dashboard: Dashboard):
    dashboard.open("#/providers")
    openai = dashboard.page.wait_for_selector('[data-chart="uptime-openai"] canvas', timeout=TIMEOUT_MS)
    assert openai.evaluate(DRAWN_PIXELS) > 50
    card = dashboard.page.inner_text('article[data-provider="openai"]')
    assert "degraded" in card and "90.00 %" in card and "Elevated API errors" in card and "Dashboard slow" in card
    assert card.count("5xx") == 2  # its two outages in 24 h
    assert "down" in dashboard.page.inner_text('article[data-provider="anthropic"] h2')
    assert "No probes" in dashboard.page.inner_text('article[data-provider="google"]')

    dashboard.page.click(".tabs a:text('7d')")
    dashboard.wait_view("#/providers?window=7d")
    dashboard.page.wait_for_selector('[data-chart="uptime-openai"] canvas', timeout=TIMEOUT_MS)
    assert "Old outage" in dashboard.page.inner_text('article[data-provider="openai"]')  # 3 days ago
    dashboard.shot("providers-7d")
    assert dashboard.problems == []


def test_sources_page_lists_the_failed_sources(dashboard: Dashboard):
    health = dashboard.api_json("/api/v1/status")["health"]
    assert health["failed"] > 0 and "openai_pricing" in health["unhealthy_sources"]
    dashboard.open("#/sources")
    bad = dashboard.column("#sources-table tr.bad", "data-source")
    assert sorted(bad) == sorted(health["unhealthy_sources"])
    assert "litellm" in dashboard.column("#sources-table tr.ok", "data-source")
    assert "failed" in dashboard.page.inner_text('#sources-table tr[data-source="openai_pricing"]')
    assert "openai_pricing" in dashboard.page.inner_text("#sources-summary")
    assert dashboard.problems == []


def test_a_provider_alert_updates_the_providers_page_without_reload(dashboard: Dashboard):
    """The monitor records a probe of google and then an alert, as its cycle does: the open page
    shows the alert and reloads the providers' figures."""
    dashboard.open("#/providers")
    dashboard.page.wait_for_selector("#live.ok", timeout=TIMEOUT_MS)
    dashboard.page.evaluate("() => { window.notReloaded = true; }")
    assert "unknown" in dashboard.page.inner_text('article[data-provider="google"] h2')

    now = datetime.now(timezone.utc)
    monitor = open_monitor_store(home=dashboard.home, database_url="")
    try:
        monitor.append_checks([probe("google", now - timedelta(seconds=5), True, 77.0)])
        record(monitor, [Notification(f"google:recovered:{now.isoformat()}", "provider_recovered",
                                      ":white_check_mark: Google AI is answering again", now)])
    finally:
        getattr(monitor, "close", lambda: None)()
    dashboard.page.wait_for_selector("#notice:has-text('Google AI is answering again')", timeout=TIMEOUT_MS)
    dashboard.page.wait_for_selector('[data-chart="uptime-google"] canvas', timeout=TIMEOUT_MS)
    assert "up" in dashboard.page.inner_text('article[data-provider="google"] h2')
    assert "100.00 %" in dashboard.page.inner_text('article[data-provider="google"]')
    assert dashboard.page.evaluate("() => window.notReloaded") is True
    dashboard.shot("providers-after-alert")
    assert dashboard.problems == []


def test_a_published_snapshot_updates_the_open_page_without_reload(dashboard: Dashboard):
    """Last in the module: it replaces the snapshot the other tests read."""
    dashboard.open("#/models")
    dashboard.page.wait_for_selector("#live.ok", timeout=TIMEOUT_MS)
    dashboard.page.evaluate("() => { window.notReloaded = true; }")
    before = len(dashboard.column("#models-table tbody tr", "data-model"))

    snapshot_id = publish(dashboard.home, ["openai/gpt-4o", "acme/live-model"], [
        {"kind": "model_added", "model_key": "acme/live-model"},
        {"kind": "price_changed", "model_key": "openai/gpt-4o", "provider_id": "openai", "provider_model_id": "gpt-4o",
         "field": "input", "old": "2.5", "new": "1", "pct_change": -60.0, "source": "litellm"}])
    dashboard.page.wait_for_selector('#models-table tr[data-model="acme/live-model"]', timeout=TIMEOUT_MS)
    dashboard.page.wait_for_function("n => document.querySelectorAll('#models-table tbody tr').length === n", arg=2, timeout=TIMEOUT_MS)
    assert before > 2
    assert dashboard.page.inner_text("#snapshot") == f"snapshot {snapshot_id}"
    assert snapshot_id in dashboard.page.inner_text("#notice")
    assert dashboard.page.evaluate("() => window.notReloaded") is True
    dashboard.shot("models-after-live-update")

    dashboard.go("#/changes")
    feed = dashboard.page.inner_text("#changes-table")
    assert "acme/live-model" in feed and "-60 %" in feed
    dashboard.shot("changes-after-live-update")
    assert dashboard.problems == []
