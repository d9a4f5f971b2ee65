"""The HTTP client as a Dagster resource: the core's ``HttpClient`` (deadlines, bounded retries,
safe redirects, conditional requests), configurable per deployment (``AISI_HTTP_*``)."""

from __future__ import annotations

from dagster import ConfigurableResource

from core.http.client import HttpClient


class HttpClientResource(ConfigurableResource, HttpClient):
    """Fetches source URLs within a deadline, with bounded retries and safe redirects."""
