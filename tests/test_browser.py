"""The browser resource: real headless Chromium against pages on a local server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.http.client import FetchError
from pipelines.resources.browser import BrowserResource
from tests.conftest import unavailable
from tests.replay import ReplayServer

CHROMIUM = "/usr/bin/chromium"
JS_PAGE = b"""<!doctype html><html><head><title>Prices</title></head><body>
<h1>Pricing</h1><div id="prices"></div>
<script>
  window.addEventListener("load", () => {
    const rows = [["gpt-4o", "$2.50"], ["gpt-4o-mini", "$0.15"]];
    const table = document.createElement("table");
    table.innerHTML = "<tr><th>Model</th><th>Input / 1M tokens</th></tr>" +
      rows.map(([m, p]) => `<tr><td>${m}</td><td>${p}</td></tr>`).join("");
    document.getElementById("prices").appendChild(table);
  });
</script></body></html>"""


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


def test_the_browser_sees_what_scripts_build_and_plain_http_does_not(chromium):
    with ReplayServer() as server:
        server.add("/pricing", JS_PAGE, content_type="text/html")
        plain = httpx.get(server.url + "/pricing").text
        assert "$2.50" not in plain.split("<script>")[0] and "<table" not in plain.split("<script>")[0]

        browser = BrowserResource(executable_path=chromium)
        try:
            first = browser.render(server.url + "/pricing", timeout_s=20)
            second = browser.render(server.url + "/pricing", timeout_s=20)  # the same browser, a new page
        finally:
            browser.teardown_after_execution(None)  # type: ignore[arg-type]
        html = first.body.decode()
        assert first.status == 200 and "<td>gpt-4o</td><td>$2.50</td>" in html
        assert second.body == first.body
        assert browser._browser is None


def test_http_errors_and_missing_chromium_are_clear_failures(chromium, tmp_path):
    with ReplayServer() as server:
        browser = BrowserResource(executable_path=chromium)
        try:
            missing = browser.render(server.url + "/nothing-here", timeout_s=20)
        finally:
            browser.teardown_after_execution(None)  # type: ignore[arg-type]
        assert missing.status == 404

    broken = BrowserResource(executable_path=str(tmp_path / "no-chromium"))
    with pytest.raises(FetchError) as failure:
        broken.render("http://127.0.0.1:9/", timeout_s=5)
    assert failure.value.kind == "browser" and "Chromium could not start" in str(failure.value)
