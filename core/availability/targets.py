"""What the monitor watches: each provider's status page and probe, from ``config/monitor.yaml``
merged with the user's file (``AISI_MONITOR_CONFIG``) and the ``AISI_STATUS_<PROVIDER>_URL``
overrides. Pure configuration: no I/O beyond reading the YAML files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from core.paths import CONFIG_DIR
from core.settings import settings
from core.yaml_files import load_yaml

DEFAULT_CONFIG = CONFIG_DIR / "monitor.yaml"


class MonitorConfigError(ValueError):
    """The monitor configuration cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class ProbeTarget:
    """One cheap call that tells whether a provider answers."""

    provider_id: str
    url: str
    source: str | None  # the catalog source it reuses (its key and headers), None for a plain URL
    key_variables: tuple[str, ...] = ()

    def headers(self, key: str | None) -> dict[str, str]:
        """The request headers, with the key when one is given (never put in the URL)."""
        if not key or self.source is None:
            return {}
        return dict(_source_module(self.source).auth_headers(key))


@dataclass(frozen=True)
class MonitoredProvider:
    provider_id: str
    name: str
    status_page: str | None  # base URL of a Statuspage v2 (or compatible) page
    probe: ProbeTarget | None

    @property
    def summary_url(self) -> str | None:
        return f"{self.status_page.rstrip('/')}/api/v2/summary.json" if self.status_page else None

    @property
    def incidents_url(self) -> str | None:
        return f"{self.status_page.rstrip('/')}/api/v2/incidents.json" if self.status_page else None


def _source_module(name: str) -> Any:
    from core.sources.registry import HTTP_SOURCES

    for module in HTTP_SOURCES:
        if module.SPEC.name == name:
            return module
    known = ", ".join(m.SPEC.name for m in HTTP_SOURCES if m.SPEC.kind in ("api", "aggregator"))
    raise MonitorConfigError(f"probe_source {name!r} is not a catalog source (known: {known})")


def _read(path: Path) -> dict[str, Any]:
    import yaml

    try:
        document = load_yaml(path) or {}
    except OSError as exc:
        raise MonitorConfigError(f"cannot read monitor config {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise MonitorConfigError(f"monitor config {path} is not valid YAML: {exc}") from None
    providers = document.get("providers") if isinstance(document, dict) else None
    if not isinstance(providers, dict):
        raise MonitorConfigError(f"monitor config {path} has no `providers:` mapping")
    return providers


def _provider(provider_id: str, entry: Mapping[str, Any], environ: Mapping[str, str]) -> MonitoredProvider:
    if not isinstance(entry, Mapping):
        raise MonitorConfigError(f"monitor provider {provider_id!r}: expected a mapping, got {type(entry).__name__}")
    status_page = settings(environ).status_url(provider_id) or entry.get("status_page") or None
    probe: ProbeTarget | None = None
    if entry.get("probe_source"):
        module = _source_module(str(entry["probe_source"]))
        # SPEC.url() reads AISI_SOURCE_<NAME>_URL from the process environment.
        probe = ProbeTarget(provider_id, module.SPEC.url(), module.SPEC.name, tuple(module.SPEC.key_env))
    elif entry.get("probe_url"):
        probe = ProbeTarget(provider_id, str(entry["probe_url"]), None)
    if status_page is None and probe is None:
        raise MonitorConfigError(f"monitor provider {provider_id!r} has neither a status_page nor a probe")
    return MonitoredProvider(provider_id, str(entry.get("name") or provider_id), status_page, probe)


def load_targets(environ: Mapping[str, str] | None = None) -> list[MonitoredProvider]:
    """The monitored providers, in configuration order (the user's additions last)."""
    env = os.environ if environ is None else environ
    entries = dict(_read(DEFAULT_CONFIG))
    extra = settings(env).monitor_config
    if extra:
        for provider_id, entry in _read(Path(extra)).items():
            base = entries.get(provider_id)
            entries[provider_id] = {**base, **entry} if isinstance(base, dict) and isinstance(entry, dict) else entry
    return [_provider(str(pid), entry, env) for pid, entry in entries.items()
            if not (isinstance(entry, Mapping) and entry.get("enabled") is False)]


def provider_key(provider: MonitoredProvider, environ: Mapping[str, str] | None = None) -> str | None:
    """The probe's key from the first of its source's variables that is set."""
    env = os.environ if environ is None else environ
    if provider.probe is None:
        return None
    for name in provider.probe.key_variables:
        if env.get(name):
            return env[name]
    return None
