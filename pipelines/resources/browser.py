"""Browser resource: Playwright (Python) driving the system Chromium for pages that only
render their prices with JavaScript. One browser per run, started on first use; one page
per render with a timeout. ``playwright install`` is never used: the executable is
``/usr/bin/chromium`` (Debian's package), or ``AISI_CHROMIUM``."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from core.http.client import FetchError, HttpResult

# Without the background-networking flags Chromium tries Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


class Browser:
    """A started Chromium; ``render`` loads a URL and returns the rendered HTML."""

    def __init__(self, executable_path: str, settle_ms: int):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS, headless=True)
        except Exception:
            self._playwright.stop()
            raise
        self.settle_ms = settle_ms

    def render(self, url: str, timeout_s: float) -> HttpResult:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        started = time.monotonic()
        context = self._browser.new_context(java_script_enabled=True)
        try:
            page = context.new_page()
            page.set_default_timeout(timeout_s * 1000)
            try:
                response = page.goto(url, wait_until="networkidle", timeout=timeout_s * 1000)
            except PlaywrightTimeout:
                raise FetchError("timeout", f"page did not load within {timeout_s:.0f} s") from None
            except PlaywrightError as exc:
                raise FetchError("browser", f"page could not be loaded: {str(exc).splitlines()[0]}") from None
            status = response.status if response is not None else 0
            if self.settle_ms:
                page.wait_for_timeout(self.settle_ms)  # late scripts that build tables after load
            html = page.content()
            headers = {k.lower(): v for k, v in (response.headers.items() if response is not None else [])}
        finally:
            context.close()
        return HttpResult(
            url=url,
            status=status,
            body=html.encode("utf-8"),
            headers=headers,
            attempts=1,
            elapsed_s=time.monotonic() - started,
            fetched_at=datetime.now(timezone.utc),
        )

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()


class BrowserResource(dg.ConfigurableResource):
    """Headless Chromium for scraped sources; the browser starts on the first page of a run
    and closes when the run's step ends."""

    executable_path: str = Field(default="/usr/bin/chromium", description="Chromium binary (AISI_CHROMIUM).")
    settle_ms: int = Field(default=300, description="Extra wait after the network is idle, for late scripts.")
    _browser: Any = PrivateAttr(default=None)

    def render(self, url: str, timeout_s: float) -> HttpResult:
        if self._browser is None:
            try:
                self._browser = Browser(self.executable_path, self.settle_ms)
            except Exception as exc:  # no Chromium here: a clear failure, the source falls back
                raise FetchError("browser", f"Chromium could not start ({self.executable_path}): {str(exc).splitlines()[0]}") from None
        return self._browser.render(url, timeout_s)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
