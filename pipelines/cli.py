"""The ``aisi`` command: refresh the catalog, serve the read API, export a table, open the Dagster UI,
and the operator's commands (sources, sync, snapshots, rollback: ``pipelines/operations.py``)."""

from __future__ import annotations

import atexit
import gc
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn

import click

from core.paths import CONFIG_DIR, REPO_ROOT, aisi_home, dagster_home, published
from core.run_lock import CatalogBusy, LockHolder, catalog_lock
from core.settings import settings

if TYPE_CHECKING:
    import dagster as dg


def prepare_instance() -> Path:
    """Points DAGSTER_HOME at ``$AISI_HOME/dagster`` with this project's instance config:
    SQLite storage there by default, PostgreSQL when ``AISI_DAGSTER_PG_URL`` is set."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    template = CONFIG_DIR / "dagster-postgres.yaml" if settings().dagster_pg_url else REPO_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    text = instance_config(template, home)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def instance_config(template: Path, home: Path) -> str:
    """``template`` for the instance in ``home``: an event log storage configured without a
    directory (``PooledSqliteEventLogStorage``) gets this instance's own (``home/history/runs``,
    Dagster's default place), so whoever opens the instance, by DAGSTER_HOME or by its path,
    reads the same files."""
    import yaml

    from core.yaml_files import SafeLoader

    text = template.read_text(encoding="utf-8")
    config = yaml.load(text, Loader=SafeLoader) or {}  # noqa: S506 - a safe loader
    storage = config.get("event_log_storage")
    if not isinstance(storage, dict) or (storage.get("config") or {}).get("base_dir"):
        return text
    storage["config"] = {**(storage.get("config") or {}), "base_dir": str(home / "history" / "runs")}
    header = f"# Written by `aisi` from {template.name} for the instance in this directory; edit the template.\n"
    return header + yaml.safe_dump(config, sort_keys=False)


@click.group()
def main() -> None:
    """AI Server Information: every AI model, its prices and where each value came from."""


# Exit code of a refresh that found another one running and did not (or no longer) wait:
# EX_TEMPFAIL, "try again later", so a scheduler can tell it from a failed refresh (1).
BUSY_EXIT_CODE = 75


@main.command()
@click.option("--source", "sources", multiple=True, metavar="NAME",
              callback=lambda ctx, param, value: _checked_sources(value),
              help="Refresh only this source (repeatable); `aisi sources` lists all 21 with their state.")
@click.option("--force", is_flag=True, help="With --source: fetch without a conditional request and let a payload the "
                                            "drop guard would hold back through, once (recorded as forced); as `aisi sync --force`.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="When another refresh holds this AISI_HOME (or a catalog run launched from the Dagster UI "
                   "is in progress), wait for it to end; --no-wait exits at once with code 75 naming it.")
@click.option("--wait-timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Wait at most this long, then exit with code 75 (default: as long as it takes).")
def refresh(sources: tuple[str, ...], wait: bool, wait_timeout: float | None, force: bool = False) -> None:
    """Materialise the catalog graph once, in this process, and print a summary.

    One refresh at a time per AISI_HOME: a second one waits for the first (it says which one
    it waits for), or with --no-wait exits with code 75. Before it starts, runs left
    unfinished by a killed refresh are marked failed and the pool slots they held are freed.
    At the end, its runs' notifications go to the configured alert channels (Slack, PagerDuty,
    a JSON webhook) with whatever else the outbox holds, each message once.
    With --source, the summary lists those sources and the exit code is 1 when one failed.
    """
    if force and not sources:
        raise click.UsageError("--force needs --source (or use `aisi sync SOURCE --force`)")
    home = aisi_home()
    budget: bool | float = False if not wait else (True if wait_timeout is None else wait_timeout)
    deadline = None if budget is True else time.monotonic() + float(budget)

    def waiting(holder: LockHolder) -> None:
        limit = "" if wait_timeout is None else f" (at most {wait_timeout:g} s)"
        click.echo(f"another refresh ({holder.describe()}) holds {home}; waiting{limit}", err=True)

    try:
        with catalog_lock(home, budget, on_wait=waiting), _validating(first=not published(home)):
            prepare_instance()
            instance = _settle_instance(deadline, no_wait=not wait)
            gc.freeze()  # Dagster and its instance live as long as the process: out of the collector's scans
            from pipelines.refresh_alerts import run_refresh_with_alerts

            started = time.monotonic()
            summary = run_refresh_with_alerts(list(sources), progress=lambda line: click.echo(line, err=True), force=force,
                                              instance=instance)
    except CatalogBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(BUSY_EXIT_CODE)
    click.echo(summary.render(time.monotonic() - started))
    sys.exit(0 if summary.success and not summary.sources_failed else 1)


@contextmanager
def _validating(first: bool) -> Iterator[None]:
    """A first refresh (nothing published yet) validates everything it fetches: its validation
    worker starts now, importing Great Expectations on the other core while this process imports
    Dagster (``pipelines/catalog/refresh.py`` starts it later for a refresh that turns out to need
    it). The worker is stopped before the catalog lock is let go: it shares the lock's file."""
    from core.quality import validation_worker

    if first:
        from core.quality import expectations

        validation_worker.start(expectations.warm)
    try:
        yield
    finally:
        validation_worker.stop()


def _checked_sources(names: tuple[str, ...]) -> tuple[str, ...]:
    from pipelines.operations import check_source_names

    return check_source_names(names)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the table.")
def sources(as_json: bool) -> None:
    """Every source: kind, cadence, URL variable and the URL in use, key variable and whether it
    is set (never its value), last run, status, badge, payload age and rows contributed."""
    from pipelines.operations import show_sources

    show_sources(as_json)


@main.command()
@click.argument("source", callback=lambda ctx, param, value: _checked_sources((value,))[0])
@click.option("--force", is_flag=True, help="Fetch without If-None-Match / If-Modified-Since and let a payload the drop "
                                            "guard would hold back (a shrink) through, once; recorded as forced.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="As for refresh: wait for a refresh in progress.")
@click.pass_context
def sync(ctx: click.Context, source: str, force: bool, wait: bool) -> None:
    """Refresh one SOURCE now (`aisi refresh --source SOURCE`); exit 1 when it did not deliver fresh data."""
    ctx.invoke(refresh, sources=(source,), wait=wait, wait_timeout=None, force=force)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the table.")
def snapshots(as_json: bool) -> None:
    """The published snapshots (id, published at, counts), which one the API serves, and rollbacks."""
    from pipelines.operations import show_snapshots

    show_snapshots(as_json)


@main.command()
@click.argument("snapshot", required=False)
def rollback(snapshot: str | None) -> None:
    """Serve the previous (or the named) published SNAPSHOT again: latest.duckdb and, with
    AISI_DATABASE_URL, PostgreSQL curated (one transaction); recorded in the publish history.
    The next `aisi refresh` publishes again. Exit 1 when there is nothing to roll back to."""
    from pipelines.operations import roll_back

    home = aisi_home()
    try:
        with catalog_lock(home, False):
            code = roll_back(snapshot, "aisi rollback" + (f" {snapshot}" if snapshot else ""))
    except CatalogBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(BUSY_EXIT_CODE)
    sys.exit(code)


def _settle_instance(deadline: float | None, no_wait: bool) -> dg.DagsterInstance:
    """Before a refresh, with the catalog lock held: ends the runs a dead process left behind
    (freeing their pool slots) and waits for catalog runs launched from Dagster to finish.
    Returns the instance, for the refresh to run on."""
    import dagster as dg

    from pipelines.run_sweep import DagsterRunsBusy, SweepReport, sweep_dead_runs, wait_for_catalog_runs

    def report(sweep: SweepReport) -> None:
        for line in sweep.lines():
            click.echo(line, err=True)

    def waiting(runs: list[dg.DagsterRun]) -> None:
        ids = ", ".join(f"{r.run_id} ({r.status.value})" for r in runs)
        click.echo(f"a catalog run launched from Dagster is in progress: {ids}; waiting", err=True)

    instance = dg.DagsterInstance.get()
    report(sweep_dead_runs(instance, lock_held=True))
    try:
        wait_for_catalog_runs(instance, deadline=deadline, no_wait=no_wait, on_wait=waiting, on_sweep=report)
    except DagsterRunsBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(BUSY_EXIT_CODE)
    return instance


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Start the read API (reads latest.duckdb, or PostgreSQL when AISI_DATABASE_URL is set)."""
    import uvicorn

    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


@main.command()
def mcp() -> None:
    """Serve the MCP tools for AI agents over stdin / stdout (for a client that spawns it, e.g. Claude Desktop).

    The same answers as the read API (the tools call its routes in-process); logs go to stderr only."""
    import anyio

    from api.app import create_app
    from api.mcp_server import serve_stdio

    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    anyio.run(serve_stdio, create_app())


@main.command()
@click.option("--once", is_flag=True, help="Run one status + probe cycle, print it and exit (1 when a provider is down).")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(min=1), help="Seconds between cycles.")
def monitor(once: bool, interval: float) -> None:
    """Read status pages and probe every provider, every minute, without the Dagster daemon."""
    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    from pipelines.monitor.loop import run_cycle, run_forever

    if once:
        report = run_cycle()
        click.echo(report.render())
        sys.exit(1 if any(h.down for h in report.health.values()) else 0)
    run_forever(interval, click.echo)


@main.command("export")
@click.argument("table")
@click.option("--format", "fmt", default="csv", show_default=True, metavar="csv|json|parquet", help="csv, json or parquet.")
@click.option("--out", default=None, metavar="PATH",
              help="Where to write; '-' for standard output. Default: aisi-<table>-<snapshot id>.<format> in the current directory.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on standard error (default: only when it is a terminal).")
def export_table(table: str, fmt: str, out: str | None, progress: bool | None) -> None:
    """Write a whole published TABLE (models, offerings, prices, price_history, changes, benchmarks,
    performance, availability, ...) from the snapshot served now, as the API's /api/v1/export does.

    Reads the store directly (the snapshot file, or PostgreSQL when AISI_DATABASE_URL is set), one
    snapshot for the whole export, streamed batch by batch. A file is written aside and renamed into
    place when complete."""
    from core import export

    try:
        chosen = export.export_table(table)
        export.check_format(fmt)
    except (export.UnknownTable, export.UnknownFormat) as exc:
        raise click.BadParameter(str(exc), param_hint="'--format'" if isinstance(exc, export.UnknownFormat) else "'TABLE'")
    try:
        summary = export.write_export(chosen, fmt, out, aisi_home(), settings().database_url, progress)
    except export.NothingToExport as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(summary, err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list (check, status, message, hint).")
@click.option("--notify-test", is_flag=True, help="Post a real test message to each configured alert channel.")
@click.option("--only", multiple=True, metavar="GROUP",
              type=click.Choice(["keys", "postgres", "warehouse", "snapshot", "sources", "chromium", "alerts", "disk", "runs"]),
              help="Run only this group of checks (repeatable): keys, postgres, warehouse, snapshot, sources, chromium, "
                   "alerts, disk, runs.")
def doctor(as_json: bool, notify_test: bool, only: tuple[str, ...]) -> None:
    """Check this installation: API keys, PostgreSQL, warehouse and snapshot, each source's health,
    Chromium, the alert channels, disk space, recent run failures. One line per check (ok / warn /
    fail / skip) with what to do; exit 0 when all is well, 1 with warnings, 2 with failures."""
    import json

    from core.doctor import exit_code, render
    from pipelines.doctor import run_checks

    if (dagster_home() / "dagster.yaml").is_file():
        prepare_instance()
    results = run_checks(notify_test=notify_test, only=only)
    click.echo(json.dumps([r.as_dict() for r in results], indent=2) if as_json else render(results))
    sys.exit(exit_code(results))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=int)
def ui(host: str, port: int) -> None:
    """Start the Dagster UI and daemon (dagster dev) on this project.

    The daemon launches the runs the UI, schedules and sensors queue (one catalog run at a
    time), runs the schedules and sensors, and monitors runs (dagster.yaml)."""
    prepare_instance()
    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]
    raise SystemExit(subprocess.call(command, cwd=REPO_ROOT))


def exit_now(code: object) -> NoReturn:
    """Ends the process as ``sys.exit(code)`` would, less the interpreter's teardown.

    What must happen at exit still does: other non-daemon threads are waited for, the ``atexit``
    handlers run (logging's flush among them) and the standard streams are flushed. What is skipped
    is freeing every module and object one by one, which the kernel does at once: after a refresh
    (Dagster, pandas, the catalog in memory) that took about 0.5 s of CPU, a fifth of an unchanged
    refresh. Every file the commands write is closed (or committed) before they return.

    Under a profiler, a tracer or a debugger (pyinstrument, coverage, pdb: ``sys.getprofile`` or
    ``sys.gettrace`` is set) the exit is the usual one: they write their reports at the end."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message goes to stderr, the status is 1
        print(code, file=sys.stderr)
        status = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # noqa: SLF001 - CPython's own exit sequence runs these; os._exit would not
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or its reader went away
            pass
    os._exit(status)


# Container allocations between two young-generation collections of the cyclic garbage collector
# (Python's default: 700). Importing Dagster and pandas and building a catalog allocate millions of
# objects that live as long as the process; at 700 the collector ran about 1,150 times in a first
# refresh and spent 1.4 s of its CPU (8 full collections over the whole heap among them); at this
# threshold, with the long-lived objects frozen out of its scans (``gc.freeze`` once Dagster and
# its instance are loaded, again before the validation worker forks), 0.26 s.
GC_YOUNG_THRESHOLD = 10_000


def run() -> NoReturn:
    """The ``aisi`` console script and ``python -m pipelines.cli``: the command (``main``, which
    ends with ``SystemExit``), then ``exit_now``. Tests call ``main`` itself, in their process.
    The garbage collector runs less often (``GC_YOUNG_THRESHOLD``): most of what a command
    allocates (modules, definitions, the catalog) lives as long as the command does."""
    _, *older = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *older)
    try:
        main()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


if __name__ == "__main__":
    run()
