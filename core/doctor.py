"""``aisi doctor``'s Dagster-free checks: API keys, PostgreSQL, the warehouse and the latest
snapshot, each source's health, the disk of ``$AISI_HOME``. Each check is a small function
returning :class:`CheckResult` lines (ok / warn / fail / skip, with what to do);
``pipelines/doctor.py`` adds the Dagster-side ones (Chromium, the alert channel, recent runs).

Secrets never reach the output: a key is sent only in the headers its source uses, messages name
the variable and the host, never the value, and :func:`redact` removes every configured secret
value from whatever is printed, as a last guard.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import httpx

from core.http.client import FetchError, HttpClient
from core.parsing.paging import bearer
from core.paths import WAREHOUSE_FILE, read_sql, snapshots_dir
from core.settings import settings
from core.sources import cadence as cadences
from core.sources.health import SourceHealth, assess_source
from core.sources.registry import ALL_SOURCES, HTTP_SOURCES
from core.sources.spec import SourceModule, is_chosen
from core.stores.warehouse import PostgresWarehouse, SnapshotStore, migration_files

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
STATUSES = (OK, WARN, FAIL, SKIP)
# One cheap call per key: no retry, and at most this long whatever the source's own timeout.
KEY_TIMEOUT_S = 10.0
PG_CONNECT_TIMEOUT_S = 5
# Variables whose values are secrets, besides the sources' keys.
SECRET_VARIABLES = ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "AISI_DATABASE_URL", "AISI_DAGSTER_PG_URL", "AISI_API_TOKEN",
                    "AISI_BACKFILL_GITHUB_TOKEN", "GITHUB_TOKEN", "PAGERDUTY_ROUTING_KEY", "AISI_ALERT_WEBHOOK_URL",
                    "AISI_ALERT_WEBHOOK_SECRET", "AISI_ALERT_WEBHOOK_HEADER")


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: ``check`` (``key:openai``, ``postgres``, ``source:litellm``...),
    its ``status``, what was found and, unless all is well, what to do."""

    check: str
    status: str
    message: str
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "message": self.message, "hint": self.hint}


def exit_code(results: Iterable[CheckResult]) -> int:
    """2 when a check failed, 1 when one warned, else 0 (skipped checks are fine)."""
    statuses = {r.status for r in results}
    return 2 if FAIL in statuses else 1 if WARN in statuses else 0


def render(results: Sequence[CheckResult]) -> str:
    """The report as an operator reads it: one line per check, its hint under it, a tally."""
    width = max((len(r.check) for r in results), default=0)
    lines = []
    for r in results:
        lines.append(f"{r.status:<5} {r.check:<{width}}  {r.message}")
        if r.hint and r.status in (WARN, FAIL):
            lines.append(f"{'':<5} {'':<{width}}  -> {r.hint}")
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    lines.append(f"{counts[FAIL]} failed, {counts[WARN]} warnings, {counts[OK]} ok, {counts[SKIP]} skipped")
    return "\n".join(lines)


# -- secrets -----------------------------------------------------------------------------------

def secret_values() -> list[str]:
    """Every configured secret value: the sources' keys, the Slack webhook and token, the
    database URLs (and their passwords), the API token."""
    env = settings()
    names = {name for module in HTTP_SOURCES for name in module.SPEC.key_env} | set(SECRET_VARIABLES)
    values: set[str] = set()
    for name in names:
        value = env.raw(name)
        if not value:
            continue
        values.add(value)
        password = _password(value) if name.endswith("_URL") else None
        if password:
            values.add(password)
    return sorted(values, key=len, reverse=True)


def _password(url: str) -> str | None:
    """The password a connection URL (or ``key=value`` string) carries, if any."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(url).get("password") or (httpx.URL(url).password if "://" in url else None)
    except Exception:
        return None


def redact(text: str | None, secrets: Sequence[str]) -> str | None:
    """``text`` with every secret value replaced by ``***``."""
    if text is None:
        return None
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def redacted(results: Iterable[CheckResult], secrets: Sequence[str]) -> list[CheckResult]:
    return [CheckResult(r.check, r.status, redact(r.message, secrets) or "", redact(r.hint, secrets)) for r in results]


def _host(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- API keys ----------------------------------------------------------------------------------

def keyed_sources() -> list[SourceModule]:
    """One source per distinct set of key variables (Artificial Analysis's two APIs share a key)."""
    seen: set[tuple[str, ...]] = set()
    chosen = []
    for module in HTTP_SOURCES:
        variables = module.SPEC.key_env
        if variables and variables not in seen:
            seen.add(variables)
            chosen.append(module)
    return chosen


def key_check(module: SourceModule, client: HttpClient) -> CheckResult:
    """The source's key tried with one request for its listing's first page: 2xx accepted,
    401/403 rejected; unset is "not configured" (skipped, not a failure)."""
    spec = module.SPEC
    check = f"key:{spec.name}"
    env = settings()
    variable = next((name for name in spec.key_env if env.raw(name)), None)
    if variable is None:
        names = " or ".join(spec.key_env)
        if not spec.key_required:
            return CheckResult(check, SKIP, f"not configured ({names} unset): optional, {spec.name} is read without a key")
        return CheckResult(check, SKIP, f"not configured ({names} unset): source {spec.name} is skipped")
    key = env.raw(variable) or ""
    url = module.first_url(spec.url()) if hasattr(module, "first_url") else spec.url()  # type: ignore[attr-defined]
    headers = getattr(module, "auth_headers", bearer)(key)
    host = _host(url)
    try:
        answer = client.get(url, headers=headers, timeout_s=min(spec.timeout(), KEY_TIMEOUT_S))
    except FetchError as exc:
        return CheckResult(check, WARN, f"{variable}: could not be tried, {host} did not answer ({_first_line(exc)})",
                           f"check the network to {host} (or {spec.url_variable}); the key itself was not judged")
    if answer.status in (401, 403):
        return CheckResult(check, FAIL, f"{variable} rejected by {host} (HTTP {answer.status}): key rejected",
                           f"put a valid key in {variable} (or unset it: source {spec.name} is then skipped)")
    if 200 <= answer.status < 300:
        return CheckResult(check, OK, f"{variable} accepted by {host} (HTTP {answer.status}, {answer.elapsed_s:.1f} s)")
    return CheckResult(check, WARN, f"{variable}: {host} answered HTTP {answer.status} to {spec.path}",
                       f"the key may be fine; see {spec.docs_url} and {spec.url_variable}")


def key_checks() -> list[CheckResult]:
    """Every keyed source's key, tried at once (one request each, no retry)."""
    client = HttpClient(max_attempts=1)
    modules = keyed_sources()
    with ThreadPoolExecutor(max_workers=max(1, len(modules))) as pool:
        return list(pool.map(lambda m: key_check(m, client), modules))


# -- PostgreSQL, the warehouse and the latest snapshot -----------------------------------------

def _pg_where(url: str) -> str:
    """``host:port/database`` of a connection URL or string (never its credentials)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "AISI_DATABASE_URL"
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def postgres_check(url: str | None) -> CheckResult:
    """Reachable, and every migration of ``sql/migrations`` applied to schema ``curated``."""
    if not url:
        return CheckResult("postgres", SKIP, "not configured (AISI_DATABASE_URL unset): the warehouse is the embedded DuckDB file")
    import psycopg

    where = _pg_where(url)
    try:
        with psycopg.connect(url, connect_timeout=PG_CONNECT_TIMEOUT_S) as conn:
            state = conn.execute(read_sql("doctor/pg_migrated.sql")).fetchone()
            applied = {r[0] for r in conn.execute(read_sql("doctor/pg_migrations.sql")).fetchall()} if state and state[1] else set()
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.ProgrammingError:  # its text would quote the string back: not shown
        return CheckResult("postgres", FAIL, "AISI_DATABASE_URL is not a connection URL PostgreSQL can read",
                           "set it as postgresql://user@host:port/database")
    except psycopg.Error as exc:
        return CheckResult("postgres", FAIL, f"PostgreSQL at {where} unreachable: {_first_line(exc)}",
                           "start PostgreSQL, or fix AISI_DATABASE_URL (host, port, database, credentials)")
    wanted = [m.stem for m in migration_files()]
    pending = [m for m in wanted if m not in applied]
    server = f"PostgreSQL {str(version[0]).split()[0]}" if version else "PostgreSQL"
    if pending:
        what = "schema curated missing" if not (state and state[0]) else f"{len(pending)} of {len(wanted)} migrations pending"
        return CheckResult("postgres", FAIL, f"{server} at {where} reachable, not migrated: {what} ({', '.join(pending)})",
                           "run `aisi refresh` (it applies the migrations before it writes)")
    return CheckResult("postgres", OK, f"{server} at {where} reachable, schema curated migrated ({len(wanted)} migrations)")


def _counts_line(row: dict[str, Any]) -> str:
    published = None if _missing(row.get("last_published_at")) else _when(row.get("last_published_at"))
    when = f", last publish {row.get('snapshot_id')} at {published:%Y-%m-%d %H:%M}Z" if published else ", never published"
    return f"{int(row['models'])} models{when}"


def warehouse_check(home: Path, url: str | None) -> CheckResult:
    """The system of record opened read-only (PostgreSQL ``curated`` or ``warehouse.duckdb``), its models counted."""
    if url:
        try:
            frame = PostgresWarehouse(url).query("doctor/catalog_counts.sql")
        except Exception as exc:
            return CheckResult("warehouse", FAIL, f"PostgreSQL schema curated not readable: {_first_line(exc)}",
                               "see the postgres line above; `aisi refresh` creates and fills the schema")
        row = frame.iloc[0].to_dict()
        status = OK if int(row["models"]) > 0 else WARN
        return CheckResult("warehouse", status, f"PostgreSQL schema curated readable: {_counts_line(row)}",
                           None if status == OK else "run `aisi refresh`: the warehouse holds no model")
    path = home / WAREHOUSE_FILE
    if not path.exists():
        return CheckResult("warehouse", WARN, f"no warehouse yet ({path})", "run `aisi refresh` to build the catalog")
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(read_sql("doctor/catalog_counts.sql")).df().iloc[0].to_dict()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return CheckResult("warehouse", WARN, f"{path} is in use by a refresh writing it (DuckDB lock)",
                               "run `aisi doctor` again when the refresh has ended")
        return CheckResult("warehouse", FAIL, f"{path} not readable: {_first_line(exc)}", "restore it from the latest snapshot's history")
    except duckdb.Error as exc:
        return CheckResult("warehouse", FAIL, f"{path} not readable: {_first_line(exc)}",
                           "move it aside: the next `aisi refresh` imports the history from the latest snapshot")
    status = OK if int(row["models"]) > 0 else WARN
    return CheckResult("warehouse", status, f"{path} readable: {_counts_line(row)}",
                       None if status == OK else "run `aisi refresh`: the warehouse holds no model")


def snapshot_check(home: Path) -> CheckResult:
    """The snapshot the API serves (``snapshots/latest.duckdb``) opened read-only, its models counted."""
    store = SnapshotStore(snapshots_dir(home))
    path = store.latest_path()
    if path is None:
        return CheckResult("snapshot", WARN, f"no snapshot published yet ({store.latest})", "run `aisi refresh`: the API has nothing to serve")
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(read_sql("doctor/catalog_counts.sql")).df().iloc[0].to_dict()
    except duckdb.Error as exc:
        return CheckResult("snapshot", FAIL, f"{path.name} not readable: {_first_line(exc)}",
                           "run `aisi refresh` to publish a new one (the warehouse keeps everything)")
    status = OK if int(row["models"]) > 0 else WARN
    return CheckResult("snapshot", status, f"latest.duckdb -> {path.name} readable: {_counts_line(row)}",
                       None if status == OK else "the published snapshot holds no model: run `aisi refresh`")


# -- sources -----------------------------------------------------------------------------------

def source_rows(home: Path, url: str | None) -> list[dict[str, Any]] | None:
    """Each source's newest run as the API reads it (``sql/api/status_sources.sql``): from
    PostgreSQL when configured, else from the latest snapshot; None when there is nothing."""
    if url:
        frame = PostgresWarehouse(url).query("api/status_sources.sql")
    else:
        frame = SnapshotStore(snapshots_dir(home)).read_table("api/status_sources.sql")
    if frame is None:
        return None
    return [{k: (None if _missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    try:
        return bool(value != value) or value is None  # NaN / NaT
    except (TypeError, ValueError):
        return False


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if hasattr(value, "to_pydatetime"):
        return _when(value.to_pydatetime())
    return None


def source_check(row: dict[str, Any], spec_by_name: dict[str, Any], now: datetime) -> CheckResult:
    """One source's last run judged by ``assess_source`` (what ``/api/v1/status`` and the
    ``source_health`` checks say): a source whose fetch fails (``failed``, or ``cached`` on its
    last good payload) is a failure; a payload held back by the drop guard or stale, a warning."""
    name = str(row["source"])
    spec = spec_by_name.get(name)
    cadence = spec.schedule() if spec is not None else ""
    verdict: SourceHealth = assess_source(
        name, str(row["status"]), badge=row.get("badge"), error=row.get("error"), http_status=_int(row.get("http_status")),
        payload_fetched_at=_when(row.get("payload_fetched_at")), cadence=cadence, now=now,
    )
    last = _when(row.get("last_run_at"))
    ran = f"last run {cadences.describe_age(now - last)} ago" if last else "never ran"
    age = ""
    if verdict.payload_age is not None:
        allowed = f", {cadences.describe_age(verdict.allowed_age)} allowed at cadence {cadence}" if verdict.allowed_age else ""
        age = f", payload {cadences.describe_age(verdict.payload_age)} old{allowed}"
    rows = _int(row.get("rows"))
    head = f"{verdict.status}, {f'badge {verdict.badge}' if verdict.badge else 'no badge'}, {rows or 0} rows, {ran}{age}"
    message = f"{head}: {verdict.description}"
    check = f"source:{name}"
    where = f" (its URL: {spec.url_variable})" if spec is not None else ""
    if verdict.status == "failed":
        return CheckResult(check, FAIL, message, f"no data from {name}: fix what the error names{where}, then `aisi refresh --source {name}`")
    if verdict.held_back:
        return CheckResult(check, WARN, message, "its fresh payload shrank suddenly and was held back: check the source; "
                                                 "a later run lets a confirmed change through")
    if verdict.status == "cached":
        return CheckResult(check, FAIL, message, f"{name} fails and serves its last good payload (badge cached): fix what the "
                                                 f"error names{where}, then `aisi refresh --source {name}`")
    if verdict.stale:
        return CheckResult(check, WARN, message,
                           "the source has not refreshed within its cadence: are the schedules running (`aisi ui`) or the cron job?")
    if verdict.status == "skipped":
        return CheckResult(check, SKIP, verdict.error or "skipped")
    if not verdict.healthy:
        return CheckResult(check, WARN, message, f"`aisi refresh --source {name}`")
    return CheckResult(check, OK, message)


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def source_checks(home: Path, url: str | None, now: datetime | None = None) -> list[CheckResult]:
    """Every source's last status, badge and age against its cadence; a chosen source that never
    ran is a warning."""
    now = now or datetime.now(timezone.utc)
    try:
        rows = source_rows(home, url)
    except Exception as exc:
        return [CheckResult("sources", FAIL, f"source runs not readable: {_first_line(exc)}", "see the warehouse and snapshot lines")]
    if rows is None:
        return [CheckResult("sources", WARN, "no source run recorded yet (nothing published)", "run `aisi refresh`")]
    specs = {m.SPEC.name: m.SPEC for m in ALL_SOURCES}
    results = [source_check(row, specs, now) for row in rows if row.get("source") in specs]
    ran = {row.get("source") for row in rows}
    for name in specs:
        if name not in ran and is_chosen(name):
            results.append(CheckResult(f"source:{name}", WARN, "never ran: no run of it in the published catalog",
                                       f"`aisi refresh --source {name}`"))
    return [r for r in results if r.status != SKIP] + skipped_sources([r for r in results if r.status == SKIP])


def skipped_sources(skipped: list[CheckResult]) -> list[CheckResult]:
    """The skipped sources (no key, not in ``AISI_SOURCES``) as one line, grouped by reason."""
    if not skipped:
        return []
    reasons: dict[str, list[str]] = {}
    for result in skipped:
        reasons.setdefault(result.message.removeprefix("skipped: "), []).append(result.check.removeprefix("source:"))
    text = "; ".join(f"{reason}: {', '.join(names)}" for reason, names in reasons.items())
    return [CheckResult("sources:skipped", SKIP, f"{len(skipped)} skipped (not configured: not a failure): {text}")]


# -- disk --------------------------------------------------------------------------------------

def disk_check(home: Path, warn_gb: float | None = None, fail_gb: float | None = None) -> CheckResult:
    """Free space on the disk holding ``home``: a warning under ``AISI_DOCTOR_DISK_WARN_GB``, a
    failure under ``AISI_DOCTOR_DISK_FAIL_GB``."""
    env = settings()
    warn_gb = env.doctor_disk_warn_gb if warn_gb is None else warn_gb
    fail_gb = env.doctor_disk_fail_gb if fail_gb is None else fail_gb
    where = home
    while not where.exists() and where != where.parent:
        where = where.parent
    usage = shutil.disk_usage(where)
    free, total = usage.free / 1e9, usage.total / 1e9
    message = f"{free:.1f} GB free of {total:.0f} GB on the disk of {home}"
    if free < fail_gb:
        return CheckResult("disk", FAIL, f"{message} (under {fail_gb:g} GB)",
                           "free space now: refreshes and snapshots will fail (AISI_SNAPSHOT_KEEP, AISI_RAW_RETENTION_DAYS prune)")
    if free < warn_gb:
        return CheckResult("disk", WARN, f"{message} (under {warn_gb:g} GB)",
                           "free some space, or keep fewer snapshots / raw payloads (AISI_SNAPSHOT_KEEP, AISI_RAW_RETENTION_DAYS)")
    return CheckResult("disk", OK, message)
