"""The text of each notification (Slack mrkdwn) and its dedup key. Pure: no I/O.

Dedup keys name the event, so the same event is one message however often it is seen:
``run_failure:<run>``, ``check_failed:<run>:<asset>:<check>``,
``source_degraded:<source>:<first run of the degraded streak>``, ``changes_digest:<run>``,
``daily_report:<YYYY-MM-DD>``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from core.notify.outbox import Notification

SAMPLE_ROWS = 5
MAX_ERROR_CHARS = 600
MAX_VALUE_CHARS = 300
MAX_BLOCK_LINES = 12
MAX_LINE_CHARS = 160


def _clip(text: Any, limit: int = MAX_VALUE_CHARS) -> str:
    value = " ".join(str(text).split()) if text is not None else ""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _escape(text: Any) -> str:
    """Slack mrkdwn control characters (&, <, >) as entities: a value never becomes a link or a mention."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NaT / pd.NA
    except (TypeError, ValueError):
        return False


def _link(url: str, label: str) -> str:
    return f"<{url}|{_escape(label)}>"


# -- run failures and blocking checks -----------------------------------------------------


def run_failure(job_name: str, run_id: str, errors: Sequence[str], run_url: str, now: datetime) -> Notification:
    lines = [f":rotating_light: *Run failed*: `{_escape(job_name)}` (run {_link(run_url, run_id[:8])})"]
    for error in list(errors)[:3] or ["no error message recorded"]:
        lines.append(f"> {_escape(_clip(error, MAX_ERROR_CHARS))}")
    if len(errors) > 3:
        lines.append(f"…and {len(errors) - 3} more failed step(s)")
    lines.append(_link(run_url, "Open the run in Dagster"))
    return Notification(f"run_failure:{run_id}", "run_failure", "\n".join(lines), now, job_name)


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check_name: str
    severity: str
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def _rows_of(value: Any) -> list[Any] | None:
    """The sample rows a metadata value holds, if it holds rows."""
    records = getattr(value, "records", None)
    if records is not None and not isinstance(value, (str, bytes)):  # TableMetadataValue
        return [getattr(r, "data", r) for r in records]
    data = getattr(value, "data", value)
    if isinstance(data, list):
        return data
    return None


def _row_text(row: Any) -> str:
    if isinstance(row, Mapping):
        return _clip(", ".join(f"{k}={v}" for k, v in row.items()), 200)
    return _clip(json.dumps(row, default=str) if isinstance(row, (list, tuple)) else row, 200)


def render_metadata(metadata: Mapping[str, Any], sample_rows: int = SAMPLE_ROWS) -> list[str]:
    """Each metadata entry as Slack lines: rows (a table, a JSON list, a JSON object's lists) as
    up to ``sample_rows`` sample rows, everything else as ``key: value``."""
    lines: list[str] = []
    for key, value in metadata.items():
        rows = _rows_of(value)
        data = getattr(value, "data", None)
        if rows is None and isinstance(data, Mapping):
            scalars = {k: v for k, v in data.items() if not isinstance(v, (list, dict))}
            if scalars:
                lines.append(f"• {_escape(key)}: `{_escape(_clip(json.dumps(scalars, default=str)))}`")
            for sub, items in data.items():
                if isinstance(items, list):
                    lines.extend(_sample(f"{key}.{sub}", items, sample_rows))
            continue
        if rows is not None:
            lines.extend(_sample(key, rows, sample_rows))
            continue
        raw = getattr(value, "value", value)
        if isinstance(raw, str) and "\n" in raw.strip():
            # Markdown or text over several lines (a GX sample table): its first lines, verbatim.
            body = [line[:MAX_LINE_CHARS] for line in raw.strip().splitlines() if line.strip()]
            shown = body[:MAX_BLOCK_LINES] + ([f"…({len(body) - MAX_BLOCK_LINES} more lines)"] if len(body) > MAX_BLOCK_LINES else [])
            lines.append(f"• {_escape(key)}:")
            lines.append("```" + _escape("\n".join(shown)) + "```")
            continue
        lines.append(f"• {_escape(key)}: {_escape(_clip(raw))}")
    return lines


def _sample(key: str, rows: list[Any], limit: int) -> list[str]:
    shown = rows[:limit]
    head = f"• {_escape(key)}: {len(rows)} row(s)" + (f", first {len(shown)}:" if len(rows) > len(shown) else ":")
    return [head, *(f"    `{_escape(_row_text(r))}`" for r in shown)]


def check_failed(job_name: str, run_id: str, check: FailedCheck, run_url: str, now: datetime) -> Notification:
    lines = [
        f":no_entry: *Blocking check failed*: `{_escape(check.check_name)}` on `{_escape(check.asset)}` "
        f"(severity {check.severity}; job `{_escape(job_name)}`, run {_link(run_url, run_id[:8])})",
    ]
    if check.description:
        lines.append(f"> {_escape(_clip(check.description, MAX_ERROR_CHARS))}")
    lines.extend(render_metadata(check.metadata))
    return Notification(f"check_failed:{run_id}:{check.asset}:{check.check_name}", "check_failed", "\n".join(lines), now,
                        f"{check.asset}/{check.check_name}")


# -- sources degraded ("API Failure Alert") ----------------------------------------------


def source_degraded(row: Mapping[str, Any], now: datetime) -> Notification:
    """One per degraded streak of a source: a row of ``sql/notify/degraded_sources.sql``."""
    source = str(row["source"])
    if row["status"] == "cached":
        fallback = (f"degraded to *cached*: serving its last good payload (fetched {_when(row.get('payload_fetched_at'))})")
    else:
        fallback = ("degraded to *config*: it failed with nothing archived to serve, so it contributes nothing "
                    "and the catalog keeps `config/model-defaults.json` and the other sources")
    runs = int(row.get("streak_runs") or 1)
    healthy = row.get("last_healthy_at")
    lines = [
        f":warning: *API Failure Alert*: source `{_escape(source)}` {fallback}",
        f"Error: {_escape(_clip(row.get('error') or 'no error recorded', MAX_ERROR_CHARS))}",
        f"Since: {_when(row.get('degraded_since'))} ({runs} run{'s' if runs != 1 else ''} in a row; "
        f"last healthy: {'never' if _missing(healthy) else _when(healthy)})",
    ]
    return Notification(f"source_degraded:{source}:{row['streak_run_id']}", "source_degraded", "\n".join(lines), now, source)


# -- price changes and new models --------------------------------------------------------


def _usd(value: Any) -> str:
    try:
        return f"${float(value):g}"
    except (TypeError, ValueError):
        return "none" if _missing(value) else str(value)


def _price_line(row: Mapping[str, Any]) -> str:
    pct = row.get("pct_change")
    move = "" if _missing(pct) else f" ({float(pct):+.1f} %)"
    where = f" @ {row['provider_id']}" if not _missing(row.get("provider_id")) else ""
    field_ = f" {row['field']}" if not _missing(row.get("field")) else ""
    source = f" [{row['source']}]" if not _missing(row.get("source")) else ""
    return _escape(f"• {row['model_key']}{where}{field_}: {_usd(row.get('old'))} → {_usd(row.get('new'))}/1M{move}{source}")


def changes_digest(run_id: str, rows: Sequence[Mapping[str, Any]], run_url: str, top: int, now: datetime) -> Notification | None:
    """The digest of one catalog run's price changes and new models (top ``top`` of each); None without any."""
    prices = [r for r in rows if r["kind"] == "price_changed"]
    added = [r for r in rows if r["kind"] == "model_added"]
    if not prices and not added:
        return None
    counts = [f"{len(prices)} price change{'s' if len(prices) != 1 else ''}"] if prices else []
    counts += [f"{len(added)} new model{'s' if len(added) != 1 else ''}"] if added else []
    lines = [f":chart_with_upwards_trend: *Catalog changes* in run {_link(run_url, run_id[:8])}: {', '.join(counts)}"]
    if prices:
        lines.append(f"*Price changes* (USD per 1M tokens{', biggest first' if len(prices) > 1 else ''}):")
        lines.extend(_price_line(r) for r in prices[:top])
        if len(prices) > top:
            lines.append(f"…and {len(prices) - top} more")
    if added:
        lines.append("*New models*:")
        for r in added[:top]:
            source = f" ({r['source']})" if not _missing(r.get("source")) else ""
            lines.append(_escape(f"• {r['model_key']}{source}"))
        if len(added) > top:
            lines.append(f"…and {len(added) - top} more")
    return Notification(f"changes_digest:{run_id}", "changes_digest", "\n".join(lines), now)


# -- daily report ---------------------------------------------------------------------------


@dataclass
class ReportData:
    day: date
    counts: Mapping[str, Any] | None = None
    sources: Sequence[Mapping[str, Any]] = ()
    changes: Sequence[Mapping[str, Any]] | None = None  # None: the snapshot has no changes feed
    failed_runs: Mapping[str, int] = field(default_factory=dict)  # job -> failed runs in 24 h
    uptime: Sequence[Mapping[str, Any]] = ()  # availability_uptime rows of period 24h
    notes: list[str] = field(default_factory=list)


def _source_line(row: Mapping[str, Any]) -> str:
    badge = row.get("badge")
    text = f"• {row['source']}: {row['status']}" + ("" if _missing(badge) else f", badge {badge}")
    degraded, runs = int(row.get("degraded_runs_24h") or 0), int(row.get("runs_24h") or 0)
    if degraded:
        text += f" ({degraded}/{runs} runs degraded in 24 h)"
    if row["status"] in ("cached", "failed") and not _missing(row.get("error")):
        text += f": {_clip(row['error'], 160)}"
    return _escape(text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def daily_report(data: ReportData, now: datetime) -> Notification:
    lines = [f":bar_chart: *AI Server Information: daily report for {data.day.isoformat()}*"]
    c = data.counts
    if c:
        lines.append(
            f"*Catalog*: {c['models']} models, {c['offerings']} offerings, {c['prices']} current prices, "
            f"{c['providers']} providers (snapshot `{c.get('snapshot_id') or '?'}`, published {_when(c.get('published_at'))}; "
            f"{int(c.get('publishes_24h') or 0)} publish(es) in 24 h)"
        )
    else:
        lines.append("*Catalog*: no snapshot published yet")
    if data.sources:
        ok = sum(1 for s in data.sources if s["status"] == "ok")
        lines.append(f"*Sources* ({ok} of {len(data.sources)} ok on their newest run):")
        lines.extend(_source_line(s) for s in data.sources if s["status"] != "skipped")
        skipped = [str(s["source"]) for s in data.sources if s["status"] == "skipped"]
        if skipped:
            lines.append(_escape(f"• skipped (no key): {', '.join(skipped)}"))
    if data.changes is None:
        lines.append("*Changes in 24 h*: not available (this snapshot has no changes feed)")
    elif not data.changes:
        lines.append("*Changes in 24 h*: none")
    else:
        lines.append("*Changes in 24 h*: " + ", ".join(f"{int(r['n'])} {r['kind']}" for r in data.changes))
    degraded = [s for s in data.sources if int(s.get("degraded_runs_24h") or 0)]
    failures = []
    if data.failed_runs:
        total = sum(data.failed_runs.values())
        failures.append(f"{_plural(total, 'failed run')} (" + ", ".join(f"{job} ×{n}" for job, n in sorted(data.failed_runs.items())) + ")")
    if degraded:
        failures.append(f"{_plural(len(degraded), 'source')} degraded at least once")
    lines.append("*Failures in 24 h*: " + ("; ".join(failures) if failures else "none"))
    if data.uptime:
        parts = []
        for u in data.uptime:
            pct = "n/a" if _missing(u.get("uptime_pct")) else f"{float(u['uptime_pct']):.2f} %"
            p50 = "" if _missing(u.get("p50_ms")) else f", p50 {float(u['p50_ms']):.0f} ms"
            parts.append(f"{u['provider_id']} {pct}{p50}")
        lines.append("*Uptime 24 h* (our probes): " + "; ".join(parts))
    else:
        lines.append("*Uptime 24 h*: no probes recorded (the availability monitor is not running)")
    lines.extend(f"_{_escape(note)}_" for note in data.notes)
    return Notification(f"daily_report:{data.day.isoformat()}", "daily_report", "\n".join(lines), now)


def rows_of(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts with None for missing values."""
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def keep_run(rows: Iterable[Mapping[str, Any]], run_id: str) -> list[Mapping[str, Any]]:
    return [r for r in rows if r.get("run_id") == run_id]
