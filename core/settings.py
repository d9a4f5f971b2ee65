"""Every setting of the platform in one place: its variable, default, meaning and type.

``SETTINGS`` lists them; ``settings()`` reads them from the environment into one typed object,
``Settings``, whose properties are the only place an ``AISI_*`` variable is read. The environment
is read when a property is asked for, not at import: the CLI, the tests and a long-running daemon
see the value of the moment. A malformed value raises ValueError naming the variable and what it
must be.

Families of variables (``AISI_SOURCE_<NAME>_URL``) are read by the methods that take the name.
README's settings table is generated from this module (``python -m core.settings``), and a test
fails when the two differ.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Mapping, TypeVar

N = TypeVar("N", int, float)
Kind = Literal["text", "path", "url", "secret", "int", "float", "flag", "list", "date"]


@dataclass(frozen=True)
class Setting:
    """One variable (or family of variables, ``<NAME>`` standing for a name) and what it means."""

    name: str
    default: str | None  # None: unset by default
    meaning: str
    section: str
    kind: Kind = "text"
    minimum: float | None = None
    maximum: float | None = None
    shown: str | None = None  # how README shows the default, when not the value itself


STORAGE, SOURCES, QUALITY, MONITOR, NOTIFY, MAINTENANCE, BACKFILL, SERVICE, TESTS = (
    "storage", "sources", "quality", "monitor", "notify", "maintenance", "backfill", "service", "tests")
AREAS = ("catalog", "monitor", "notify", "maintenance")

PRICE_CEILING_VARIABLE = "AISI_PRICE_CEILING_USD_PER_MTOK"

SETTINGS: tuple[Setting, ...] = (
    # Where things are kept
    Setting("AISI_HOME", "data", "warehouse (`warehouse.duckdb`), raw archive, snapshots, Dagster instance (`$AISI_HOME/dagster`), "
            "sync logs; relative to the working directory", STORAGE, "path", shown="`./data`"),
    Setting("AISI_DATABASE_URL", None, "`postgresql://...`: the warehouse is PostgreSQL schema `curated` (instead of "
            "`warehouse.duckdb`), the monitor schema `monitor`; the API then reads PostgreSQL (a secret: resolved by Dagster "
            "at run time)", STORAGE, "secret"),
    Setting("AISI_DAGSTER_PG_URL", None, "`postgresql://...`: Dagster instance storage in PostgreSQL instead of SQLite", STORAGE, "secret"),
    # Sources
    Setting("AISI_SOURCES", None, "comma-separated source names to run (`openrouter,models_dev,litellm`); the others are "
            "`skipped` (no request, no browser) and contribute nothing; `model_defaults` always runs", SOURCES, "list",
            shown="unset (every source)"),
    Setting("AISI_SOURCE_<NAME>_URL", None, "a source's base URL (its path is appended); the table below lists each", SOURCES, "url",
            shown="the source's"),
    Setting("AISI_SOURCE_<NAME>_TIMEOUT", None, "seconds per request (or page load) for that source", SOURCES, "float", 0.001,
            shown="15-45 s by source"),
    Setting("AISI_SOURCE_<NAME>_CADENCE", None, "a source's cadence instead of its own, `<NAME>` being its name upper-cased "
            "(`AISI_SOURCE_OPENROUTER_ENDPOINTS_CADENCE`): a five-field cron string (UTC, `*/15 * * * *`); its schedule, "
            "staleness and freshness policy follow (read when the code location loads)",
            SOURCES, shown="the source's"),
    Setting("AISI_CHROMIUM", "/usr/bin/chromium", "the Chromium Playwright drives (Debian's `chromium` package; Playwright's own "
            "browser download is never used)", SOURCES, "path"),
    Setting("AISI_OPENROUTER_ENDPOINTS_PER_RUN", "60", "OpenRouter `/models/{id}/endpoints` requests per run: new models first, "
            "then the least recently asked", SOURCES, "int", 0),
    Setting("AISI_OPENROUTER_ENDPOINTS_CONCURRENCY", "4", "of those, how many at a time", SOURCES, "int", 1),
    Setting("AISI_HTTP_MAX_ATTEMPTS", "3", "tries per request (first included) for timeouts, refused, 5xx, 429", SOURCES, "int", 1),
    Setting("AISI_HTTP_BACKOFF_S", "0.5", "first backoff, doubling, capped at 4 s (`Retry-After` too)", SOURCES, "float", 0),
    # Trust rules
    Setting(PRICE_CEILING_VARIABLE, "1000", "text token prices above this (USD per 1M tokens) are quarantined",
            QUALITY, "float", 0.000001),
    Setting("AISI_DROP_GUARD_SHARE", "0.2", "share of entries, accepted records or prices a payload may lose before it is held "
            "back; `1` turns the payload guard off", QUALITY, "float", 0, 1),
    Setting("AISI_REMOVED_AFTER_RUNS", "3", "healthy runs without a model before it is removed (until then it stays published, "
            "`listed = false`)", QUALITY, "int", 1),
    Setting("AISI_DISAGREEMENT_TOLERANCE", "0.01", "share two sources' prices may differ by before they disagree", QUALITY, "float", 0, 0.99),
    # Availability monitor
    Setting("AISI_MONITOR_CONFIG", None, "a YAML file like `config/monitor.yaml` merged over it: add a page (`status_page`, "
            "`probe_url`), change one, or `enabled: false`", MONITOR, "path"),
    Setting("AISI_STATUS_<PROVIDER>_URL", None, "a provider's status page base URL (`AISI_STATUS_OPENAI_URL`)", MONITOR, "url",
            shown="from the config"),
    Setting("AISI_PROBE_TIMEOUT", "10", "seconds before a probe gives up", MONITOR, "float", 0.001),
    Setting("AISI_STATUS_TIMEOUT", "10", "seconds before a status page read gives up", MONITOR, "float", 0.001),
    Setting("AISI_MONITOR_DOWN_AFTER", "3", "failed probes in a row that make a provider down", MONITOR, "int", 1),
    Setting("AISI_MONITOR_RETENTION_DAYS", "90", "days of probes and page reads kept", MONITOR, "int", 1),
    Setting("AISI_CANARY", None, "canary completions, `provider:model` pairs separated by commas (`openai:gpt-4o-mini`); "
            "unset: no canaries", MONITOR, "list"),
    Setting("AISI_CANARY_DAILY_TOKENS", "20000", "tokens the canaries may spend a day, all providers together", MONITOR, "int", 0),
    Setting("AISI_CANARY_MAX_TOKENS", "16", "tokens one canary completion asks for", MONITOR, "int", 1),
    # Notifications
    Setting("SLACK_WEBHOOK_URL", None, "Slack incoming webhook for alerts and digests (a secret: never logged or stored)", NOTIFY, "secret"),
    Setting("SLACK_BOT_TOKEN", None, "with `SLACK_CHANNEL`: post through a Slack app instead of (or besides) the webhook", NOTIFY, "secret"),
    Setting("SLACK_CHANNEL", None, "the channel the Slack app posts to", NOTIFY),
    Setting("AISI_SLACK_API_URL", None, "the Slack Web API base URL for `SLACK_BOT_TOKEN` (a local stand-in in tests)", NOTIFY, "url",
            shown="Slack's"),
    Setting("AISI_SLACK_DIGEST_TOP", "10", "price changes and new models listed in a run's Slack digest", NOTIFY, "int", 0),
    Setting("AISI_DAGSTER_URL", "http://127.0.0.1:3000", "the Dagster UI that Slack messages link to", NOTIFY, "url"),
    Setting("PAGERDUTY_ROUTING_KEY", None, "a PagerDuty Events API v2 integration (routing) key: provider down / recovered and "
            "failed runs trigger and resolve incidents (a secret: never logged or stored)", NOTIFY, "secret"),
    Setting("AISI_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue", "where PagerDuty events are sent (a local "
            "stand-in in tests)", NOTIFY, "url"),
    Setting("AISI_ALERT_WEBHOOK_URL", None, "a generic JSON webhook: every alert is POSTed there as JSON (a secret: never logged "
            "or stored)", NOTIFY, "secret"),
    Setting("AISI_ALERT_WEBHOOK_SECRET", None, "signs each webhook POST: `X-AISI-Signature: sha256=<HMAC-SHA256 of "
            "\"<X-AISI-Timestamp>.<body>\">`", NOTIFY, "secret"),
    Setting("AISI_ALERT_WEBHOOK_HEADER", None, "one header sent with each webhook POST, `Name: value` (a shared secret such as "
            "`Authorization: Bearer ...`)", NOTIFY, "secret"),
    Setting("AISI_ALERT_ROUTING", None, "a YAML file like `config/alert-routing.yaml`: which message kinds go to which channel",
            NOTIFY, "path", shown="`config/alert-routing.yaml`"),
    Setting("AISI_NOTIFY_RETRY_BACKOFF_S", "60", "after a channel failed twice, seconds before the next try, doubling (capped at "
            "1 h); the first retry is on the next flush", NOTIFY, "float", 0),
    # Schedules and sensors (pipelines/autostart.py)
    *(Setting(f"AISI_{area.upper()}_AUTOSTART", None, f"`1` starts the {area} area's schedules and sensors with the daemon "
              "(otherwise they wait to be switched on in the UI)", SERVICE, "flag") for area in AREAS),
    Setting("AISI_EXECUTOR", "in_process", "how a catalog run executes its steps: `in_process` (one process, least memory) "
            "or `multiprocess` (each step in a process of its own, sources fetched in parallel; read when the code "
            "location loads)", SERVICE),
    Setting("AISI_EXECUTOR_MAX_CONCURRENCY", None, "with `multiprocess`: steps of one run at a time", SERVICE, "int", 1,
            shown="unset (the number of CPUs)"),
    Setting("AISI_API_TOKEN", None, "bearer token for `POST /api/v1/sync/{source}`; unset disables that endpoint", SERVICE, "secret"),
    Setting("AISI_API_RATE_LIMIT", "50/second", "requests one client (IP address) may make to the API, in the `limits` notation "
            "(`50/second`, `1000/minute`); more get 429 with `Retry-After`; `off` disables it", SERVICE),
    Setting("AISI_API_RATE_LIMIT_LOOPBACK", None, "`1`: the rate limit applies to clients on this machine too (127.0.0.1, ::1), "
            "which it spares otherwise (behind a local proxy, every client looks local)", SERVICE, "flag"),
    Setting("AISI_EVENTS_POLL_INTERVAL", "2", "seconds between two looks of `GET /api/v1/events` for a new snapshot and new "
            "provider alerts (one look per API process, shared by every open stream)", SERVICE, "float", 0.01, 3600),
    Setting("AISI_EVENTS_KEEPALIVE", "15", "seconds between the keep-alive comments of an open event stream (proxies close idle "
            "connections)", SERVICE, "float", 0.1, 3600),
    Setting("AISI_EVENTS_MAX_STREAMS", "100", "event streams open at once per API process; one more gets 503 with `Retry-After`",
            SERVICE, "int", 1),
    # Maintenance
    Setting("AISI_RAW_RETENTION_DAYS", "30", "days of raw payloads kept (each URL's newest good one always)", MAINTENANCE, "int", 1),
    Setting("AISI_SNAPSHOT_KEEP", "30", "newest snapshot files kept", MAINTENANCE, "int", 0),
    Setting("AISI_SNAPSHOT_DAILY_DAYS", "90", "days for which the last snapshot of the day is kept", MAINTENANCE, "int", 0),
    Setting("AISI_DOCTOR_DISK_WARN_GB", "5", "`aisi doctor` warns when the disk of `AISI_HOME` has less free space than this "
            "(GB)", MAINTENANCE, "float", 0),
    Setting("AISI_DOCTOR_DISK_FAIL_GB", "1", "`aisi doctor` fails when it has less than this (GB)", MAINTENANCE, "float", 0),
    # Backfills
    Setting("AISI_BACKFILL_<NAME>_COMMITS_URL", None, "where the commit of a date is looked up (`{date}`); LiteLLM's default is "
            "GitHub's commits API for `model_prices_and_context_window.json`, `until={date}T23:59:59Z`", BACKFILL, "url",
            shown="GitHub's"),
    Setting("AISI_BACKFILL_<NAME>_RAW_URL", None, "the file at a commit (`{commit}`); LiteLLM's default is "
            "`https://raw.githubusercontent.com/BerriAI/litellm/{commit}/model_prices_and_context_window.json`", BACKFILL, "url",
            shown="GitHub's"),
    Setting("AISI_BACKFILL_GITHUB_TOKEN", None, "sent to api.github.com only (60 unauthenticated requests an hour); `GITHUB_TOKEN` "
            "is used when this is unset", BACKFILL, "secret"),
    Setting("AISI_BACKFILL_START", "2024-01-01", "first partition of the dated price snapshots", BACKFILL, "date"),
    # Tests and benchmarks
    Setting("AISI_REQUIRE_SERVICES", None, "`1` (CI): a test that needs PostgreSQL, Chromium or the reference data fails instead "
            "of skipping", TESTS, "flag"),
    Setting("AISI_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres", "where the tests create their throwaway "
            "databases", TESTS, "url"),
    Setting("AISI_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres", "where the benchmark creates its throwaway "
            "database", TESTS, "url"),
    Setting("AISI_REFERENCE_DATA", None, "the reference data directory the benchmark and reports read", TESTS, "path",
            shown="`../shared/reference/data`"),
    Setting("AISI_BENCH_STATIC_FILE", None, "internal: the file the benchmark's bare ASGI app serves", TESTS, "path"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def status_variable(provider_id: str) -> str:
    """``AISI_STATUS_<PROVIDER>_URL`` for ``provider_id`` (upper case, other characters as ``_``)."""
    return "AISI_STATUS_" + re.sub(r"[^A-Z0-9]+", "_", provider_id.upper()).strip("_") + "_URL"


class Settings:
    """The settings as the environment gives them now (``environ``, default ``os.environ``)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ: Mapping[str, str] = os.environ if environ is None else environ

    # -- reading -------------------------------------------------------------------------------
    def raw(self, name: str) -> str | None:
        """The variable's value stripped, or None when unset or empty."""
        value = (self.environ.get(name) or "").strip()
        return value or None

    def _text(self, name: str) -> str:
        value = self.raw(name)
        if value is not None:
            return value
        default = BY_NAME[name].default
        assert default is not None, f"{name} has no default"
        return default

    def _number(self, name: str, kind: Callable[[str], N], setting: Setting | None = None) -> N:
        spec = setting or BY_NAME[name]
        raw = self.raw(name)
        if raw is None:
            assert spec.default is not None, f"{name} has no default"
            return kind(spec.default)
        minimum = kind(str(spec.minimum)) if spec.minimum is not None else None
        maximum = kind(str(spec.maximum)) if spec.maximum is not None else None
        what = "a whole number" if kind is int else "a number"
        bounds = (f" between {minimum} and {maximum}" if maximum is not None else f" >= {minimum}") if minimum is not None else ""
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{name} must be {what}{bounds}, got {raw!r}") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ValueError(f"{name} must be {what}{bounds}, got {raw!r}")
        return value

    def flag(self, name: str) -> bool:
        """True when the variable is 1, true or yes (any case)."""
        return (self.raw(name) or "").lower() in ("1", "true", "yes")

    # -- storage -------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return Path(self._text("AISI_HOME")).resolve()

    @property
    def database_url(self) -> str | None:
        return self.raw("AISI_DATABASE_URL")

    @property
    def dagster_pg_url(self) -> str | None:
        return self.raw("AISI_DAGSTER_PG_URL")

    # -- sources -------------------------------------------------------------------------------
    @property
    def sources(self) -> set[str] | None:
        """The source names ``AISI_SOURCES`` lists, or None when it is unset (every source runs)."""
        raw = self.raw("AISI_SOURCES")
        return {name.strip() for name in raw.split(",") if name.strip()} if raw else None

    def source_url(self, env_name: str) -> str | None:
        """``AISI_SOURCE_<ENV_NAME>_URL``, or None (the source's own base URL)."""
        return self.raw(f"AISI_SOURCE_{env_name}_URL")

    def source_timeout(self, env_name: str) -> float | None:
        """``AISI_SOURCE_<ENV_NAME>_TIMEOUT`` in seconds, or None (the source's own timeout)."""
        name = f"AISI_SOURCE_{env_name}_TIMEOUT"
        return self._number(name, float, BY_NAME["AISI_SOURCE_<NAME>_TIMEOUT"]) if self.raw(name) else None

    def source_cadence(self, name: str) -> str | None:
        """``AISI_SOURCE_<NAME>_CADENCE`` (the source's name upper-cased), or None (its own cadence)."""
        return self.raw(f"AISI_SOURCE_{name}_CADENCE")

    @property
    def chromium(self) -> str:
        return self._text("AISI_CHROMIUM")

    @property
    def openrouter_endpoints_per_run(self) -> int:
        return self._number("AISI_OPENROUTER_ENDPOINTS_PER_RUN", int)

    @property
    def openrouter_endpoints_concurrency(self) -> int:
        return self._number("AISI_OPENROUTER_ENDPOINTS_CONCURRENCY", int)

    @property
    def http_max_attempts(self) -> int:
        return self._number("AISI_HTTP_MAX_ATTEMPTS", int)

    @property
    def http_backoff_s(self) -> float:
        return self._number("AISI_HTTP_BACKOFF_S", float)

    # -- trust rules ---------------------------------------------------------------------------
    @property
    def price_ceiling(self) -> float:
        return self._number(PRICE_CEILING_VARIABLE, float)

    @property
    def drop_guard_share(self) -> float:
        return self._number("AISI_DROP_GUARD_SHARE", float)

    @property
    def removed_after_runs(self) -> int:
        return self._number("AISI_REMOVED_AFTER_RUNS", int)

    @property
    def disagreement_tolerance(self) -> float:
        return self._number("AISI_DISAGREEMENT_TOLERANCE", float)

    # -- availability monitor ------------------------------------------------------------------
    @property
    def monitor_config(self) -> Path | None:
        raw = self.raw("AISI_MONITOR_CONFIG")
        return Path(raw) if raw else None

    def status_url(self, provider_id: str) -> str | None:
        """``AISI_STATUS_<PROVIDER>_URL`` (the provider id upper-cased, other characters as ``_``), or None."""
        return self.raw(status_variable(provider_id))

    @property
    def probe_timeout_s(self) -> float:
        return self._number("AISI_PROBE_TIMEOUT", float)

    @property
    def status_timeout_s(self) -> float:
        return self._number("AISI_STATUS_TIMEOUT", float)

    @property
    def monitor_down_after(self) -> int:
        return self._number("AISI_MONITOR_DOWN_AFTER", int)

    @property
    def monitor_retention_days(self) -> int:
        return self._number("AISI_MONITOR_RETENTION_DAYS", int)

    @property
    def canary(self) -> str | None:
        return self.raw("AISI_CANARY")

    @property
    def canary_daily_tokens(self) -> int:
        return self._number("AISI_CANARY_DAILY_TOKENS", int)

    @property
    def canary_max_tokens(self) -> int:
        return self._number("AISI_CANARY_MAX_TOKENS", int)

    # -- notifications -------------------------------------------------------------------------
    @property
    def slack_api_url(self) -> str | None:
        return self.raw("AISI_SLACK_API_URL")

    @property
    def slack_digest_top(self) -> int:
        return self._number("AISI_SLACK_DIGEST_TOP", int)

    @property
    def dagster_url(self) -> str:
        return self._text("AISI_DAGSTER_URL")

    @property
    def pagerduty_events_url(self) -> str:
        return self._text("AISI_PAGERDUTY_EVENTS_URL")

    @property
    def alert_webhook_url(self) -> str | None:
        return self.raw("AISI_ALERT_WEBHOOK_URL")

    @property
    def alert_webhook_secret(self) -> str | None:
        return self.raw("AISI_ALERT_WEBHOOK_SECRET")

    @property
    def alert_webhook_header(self) -> tuple[str, str] | None:
        """``AISI_ALERT_WEBHOOK_HEADER`` as (name, value), or None; the value is never shown in an error."""
        raw = self.raw("AISI_ALERT_WEBHOOK_HEADER")
        if raw is None:
            return None
        name, sep, value = raw.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()) or not value.strip():
            raise ValueError("AISI_ALERT_WEBHOOK_HEADER must be `Name: value` (a header name, a colon, a value)")
        return name.strip(), value.strip()

    @property
    def alert_routing(self) -> Path | None:
        raw = self.raw("AISI_ALERT_ROUTING")
        return Path(raw) if raw else None

    @property
    def notify_retry_backoff_s(self) -> float:
        return self._number("AISI_NOTIFY_RETRY_BACKOFF_S", float)

    # -- service -------------------------------------------------------------------------------
    def autostart(self, area: str) -> bool:
        """Whether ``area``'s schedules and sensors start with the daemon (``AISI_<AREA>_AUTOSTART``)."""
        if area not in AREAS:
            raise ValueError(f"unknown area {area!r}; areas: {', '.join(AREAS)}")
        return self.flag(f"AISI_{area.upper()}_AUTOSTART")

    @property
    def executor(self) -> Literal["in_process", "multiprocess"]:
        """How a catalog run executes its steps (``AISI_EXECUTOR``)."""
        value = self._text("AISI_EXECUTOR").lower().replace("-", "_")
        if value == "in_process":
            return "in_process"
        if value == "multiprocess":
            return "multiprocess"
        raise ValueError(f"AISI_EXECUTOR must be in_process or multiprocess, got {self.raw('AISI_EXECUTOR')!r}")

    @property
    def executor_max_concurrency(self) -> int | None:
        """Steps of one multiprocess run at a time, or None (Dagster's default: the number of CPUs)."""
        return self._number("AISI_EXECUTOR_MAX_CONCURRENCY", int) if self.raw("AISI_EXECUTOR_MAX_CONCURRENCY") else None

    @property
    def api_token(self) -> str | None:
        return self.raw("AISI_API_TOKEN")

    @property
    def api_rate_limit(self) -> str | None:
        """The API's per-client rate limit (``limits`` notation), or None when it is ``off``."""
        value = self._text("AISI_API_RATE_LIMIT")
        return None if value.lower() in ("off", "0", "none") else value

    @property
    def api_rate_limit_loopback(self) -> bool:
        return self.flag("AISI_API_RATE_LIMIT_LOOPBACK")

    @property
    def events_poll_interval_s(self) -> float:
        return self._number("AISI_EVENTS_POLL_INTERVAL", float)

    @property
    def events_keepalive_s(self) -> float:
        return self._number("AISI_EVENTS_KEEPALIVE", float)

    @property
    def events_max_streams(self) -> int:
        return self._number("AISI_EVENTS_MAX_STREAMS", int)

    # -- maintenance ---------------------------------------------------------------------------
    @property
    def raw_retention_days(self) -> int:
        return self._number("AISI_RAW_RETENTION_DAYS", int)

    @property
    def snapshot_keep(self) -> int:
        return self._number("AISI_SNAPSHOT_KEEP", int)

    @property
    def snapshot_daily_days(self) -> int:
        return self._number("AISI_SNAPSHOT_DAILY_DAYS", int)

    @property
    def doctor_disk_warn_gb(self) -> float:
        return self._number("AISI_DOCTOR_DISK_WARN_GB", float)

    @property
    def doctor_disk_fail_gb(self) -> float:
        return self._number("AISI_DOCTOR_DISK_FAIL_GB", float)

    # -- backfills -----------------------------------------------------------------------------
    def backfill_url(self, env_name: str, which: Literal["COMMITS", "RAW"]) -> str | None:
        """``AISI_BACKFILL_<ENV_NAME>_COMMITS_URL`` / ``..._RAW_URL``, or None (the source's own)."""
        return self.raw(f"AISI_BACKFILL_{env_name}_{which}_URL")

    @property
    def backfill_github_token(self) -> str | None:
        return self.raw("AISI_BACKFILL_GITHUB_TOKEN") or self.raw("GITHUB_TOKEN")

    @property
    def backfill_start(self) -> str:
        return self._text("AISI_BACKFILL_START")

    # -- tests and benchmarks ------------------------------------------------------------------
    @property
    def require_services(self) -> bool:
        return self.flag("AISI_REQUIRE_SERVICES")

    @property
    def test_pg_admin_url(self) -> str:
        return self._text("AISI_TEST_PG_ADMIN_URL")

    @property
    def bench_pg_url(self) -> str:
        return self._text("AISI_BENCH_PG_URL")

    @property
    def reference_data(self) -> Path | None:
        raw = self.raw("AISI_REFERENCE_DATA")
        return Path(raw) if raw else None


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings read from ``environ`` (default: the process environment, as it is now)."""
    return Settings(environ)
