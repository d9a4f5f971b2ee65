"""Which notification kinds go to which alert channel (``config/alert-routing.yaml``, or the file
``AISI_ALERT_ROUTING`` names).

``routes`` maps a channel (``slack``, ``pagerduty``, ``webhook``) to ``all``, ``none`` or a list of
kinds. A channel left out takes its default: every kind, except PagerDuty, which pages for
provider down / recovered and failed runs only. The log (no channel configured) takes every kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from core.paths import CONFIG_DIR
from core.settings import settings
from core.yaml_files import load_yaml

KINDS = ("provider_down", "provider_recovered", "run_failure", "check_failed", "source_degraded", "changes_digest", "daily_report")
ROUTES = ("slack", "pagerduty", "webhook", "log")
DEFAULTS: dict[str, frozenset[str]] = {
    "slack": frozenset(KINDS),
    "webhook": frozenset(KINDS),
    "pagerduty": frozenset({"provider_down", "provider_recovered", "run_failure"}),
    "log": frozenset(KINDS),
}
DEFAULT_FILE = CONFIG_DIR / "alert-routing.yaml"


class RoutingError(ValueError):
    """The routing file names an unknown channel or kind, or is not the expected shape."""


@dataclass(frozen=True)
class Routing:
    """Per channel, the kinds it takes."""

    routes: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULTS))

    def takes(self, route: str, kind: str) -> bool:
        """Whether channel ``route`` gets notifications of ``kind`` (an unknown kind goes wherever ``all`` goes)."""
        kinds = self.routes.get(route, DEFAULTS.get(route, frozenset(KINDS)))
        return kind in kinds or (kind not in KINDS and kinds >= frozenset(KINDS))


def parse(data: Any, where: str = "routing") -> Routing:
    """A routing from the YAML's data: ``{"routes": {channel: all | none | [kinds]}}``."""
    if data is None:
        return Routing()
    if not isinstance(data, Mapping) or not isinstance(data.get("routes", {}), Mapping):
        raise RoutingError(f"{where}: expected a mapping `routes: {{channel: all | none | [kinds]}}`")
    routes = dict(DEFAULTS)
    for route, value in (data.get("routes") or {}).items():
        if route not in ROUTES:
            raise RoutingError(f"{where}: unknown channel {route!r}; channels: {', '.join(ROUTES)}")
        if value in ("all", "*"):
            kinds = frozenset(KINDS)
        elif value in ("none", None) or value == []:
            kinds = frozenset()
        elif isinstance(value, list) and all(isinstance(k, str) for k in value):
            if unknown := sorted(set(value) - set(KINDS)):
                raise RoutingError(f"{where}: channel {route!r} names unknown kind(s) {', '.join(unknown)}; kinds: {', '.join(KINDS)}")
            kinds = frozenset(value)
        else:
            raise RoutingError(f"{where}: channel {route!r} takes `all`, `none` or a list of kinds, got {value!r}")
        routes[route] = kinds
    return Routing(routes)


def load_routing(path: Path | None = None) -> Routing:
    """The routing in ``path`` (default: ``AISI_ALERT_ROUTING``, else ``config/alert-routing.yaml``)."""
    import yaml

    chosen = path or settings().alert_routing or DEFAULT_FILE
    if not chosen.exists():
        if path is None and settings().alert_routing is None:
            return Routing()
        raise RoutingError(f"alert routing file {chosen} does not exist")
    try:
        data = load_yaml(chosen)
    except yaml.YAMLError as exc:
        raise RoutingError(f"{chosen}: not valid YAML ({exc})") from None
    return parse(data, str(chosen))
