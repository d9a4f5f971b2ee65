"""The operator's commands behind ``aisi sources``, ``aisi sync``, ``aisi snapshots`` and
``aisi rollback`` (``pipelines/cli.py`` holds only their options): checking source names, and the
tables they print (``rich`` on a terminal, plain aligned text otherwise, JSON with ``--json``)."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import click

from core.paths import aisi_home
from core.settings import settings


def check_source_names(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` when every one is a source the catalog knows; else a click error listing them all."""
    from core.sources.registry import source_names

    known = source_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(repr(n) for n in unknown)}; the {len(known)} sources are: {', '.join(known)} "
            "(`aisi sources` shows each one's configuration and last run)")
    return tuple(names)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}" if unit == "d" else f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def _key(line: Any) -> str:
    if line.key_set is None:
        return "-"
    return f"{' or '.join(line.key_variables)}: {'set' if line.key_set else 'not set'}"


def _status(line: Any) -> str:
    if line.status is None:
        return "never run"
    return line.status + (" (forced)" if line.forced else "") + ("" if line.chosen else " (not in AISI_SOURCES)")


FOLDED = ("url variable", "url", "key")
SOURCE_COLUMNS = ("source", "kind", "cadence", "url variable", "url", "key", "last run", "status", "badge", "age", "rows")
SNAPSHOT_COLUMNS = ("", "snapshot", "published at", "models", "offerings", "prices")


def _print_table(title: str, columns: Sequence[str], rows: list[list[str]], styles: list[str | None] | None = None) -> None:
    """A rich table on a terminal; tab-free aligned plain text when stdout is not one."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for column in columns:  # the long ones (URLs, variables) fold; names and figures stay whole
            table.add_column(column, overflow="fold", no_wrap=column not in FOLDED)
        for i, row in enumerate(rows):
            table.add_row(*row, style=(styles[i] if styles else None))
        Console().print(table)
        return
    click.echo(title)
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


@contextmanager
def store_errors() -> Iterator[None]:
    """PostgreSQL unreachable (AISI_DATABASE_URL set): a one-line error and exit 1, not a traceback."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "psycopg":
            raise
        click.echo(f"Error: PostgreSQL (AISI_DATABASE_URL) cannot be read: {str(exc).splitlines()[0]}", err=True)
        sys.exit(1)


def show_sources(as_json: bool) -> None:
    """``aisi sources``: every source, its configuration and its newest run."""
    from core.sources.overview import source_lines

    now = datetime.now(timezone.utc)
    with store_errors():
        lines, location = source_lines(aisi_home(), settings().database_url, now)
    if as_json:
        click.echo(json.dumps({"read_from": location or None, "sources": [line.as_dict() for line in lines]}, indent=2))
        return
    rows = [[
        line.name, line.kind, line.cadence or "-", line.url_variable, line.url, _key(line),
        f"{line.last_run:%Y-%m-%d %H:%M:%S}Z" if line.last_run else "-", _status(line), line.badge or "-",
        _age(line.payload_age_s), "-" if line.rows is None else str(line.rows),
    ] for line in lines]
    styles: list[str | None] = [None if l.healthy is None or l.healthy else ("red" if l.status == "failed" else "yellow") for l in lines]
    where = f"last runs from {location}" if location else "no run recorded yet: `aisi refresh`"
    _print_table(f"{len(lines)} sources ({where})", SOURCE_COLUMNS, rows, styles)


def show_snapshots(as_json: bool) -> None:
    """``aisi snapshots``: the published snapshot files, which one is served, and the rollbacks."""
    from core.stores.published import list_snapshots
    from core.stores.rollbacks import active_rollback, rollbacks

    home, url = aisi_home(), settings().database_url
    with store_errors():
        snapshots = list_snapshots(home, url)
        done = rollbacks(home, url)
        active = active_rollback(home, url)
    if as_json:
        click.echo(json.dumps({
            "snapshots": [s.as_dict() for s in snapshots], "rollbacks": [r.as_dict() for r in done],
            "rollback_in_effect": active.as_dict() if active else None,
        }, indent=2))
        return
    if not snapshots:
        click.echo("No published snapshot yet: `aisi refresh` publishes one.")
        return
    rows = [[
        "*" if s.served else "", s.snapshot_id, f"{s.published_at:%Y-%m-%d %H:%M:%S}Z" if s.published_at else "-",
        *("-" if n is None else str(n) for n in (s.models, s.offerings, s.prices)),
    ] for s in snapshots]
    served = "PostgreSQL curated and latest.duckdb" if url else "latest.duckdb"
    _print_table(f"{len(snapshots)} published snapshots (* = served: {served})", SNAPSHOT_COLUMNS, rows,
                 ["bold green" if s.served else None for s in snapshots])
    if active is not None:
        click.echo(f"In effect: {active.describe()}; the next `aisi refresh` publishes again and replaces it.")
    for r in done[:5]:
        click.echo(f"Rolled back: {r.rolled_back_at:%Y-%m-%d %H:%M:%S}Z {r.from_snapshot_id or '-'} -> {r.to_snapshot_id}"
                   + (" (PostgreSQL republished)" if r.postgres else ""))


def roll_back(snapshot: str | None, command: str) -> int:
    """``aisi rollback [SNAPSHOT]``: 0 when done, 1 when there is nothing to roll back to."""
    from core.stores.published import RollbackError, roll_back as do_roll_back

    try:
        with store_errors():
            done = do_roll_back(aisi_home(), settings().database_url, snapshot, command, datetime.now(timezone.utc))
    except RollbackError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    where = "latest.duckdb and PostgreSQL curated (one transaction)" if done.postgres else "latest.duckdb"
    click.echo(f"Rolled back: {where} now serve {done.to_snapshot_id} (was {done.from_snapshot_id or 'nothing'}). "
               "Recorded in the publish history; the next `aisi refresh` publishes again and replaces it.")
    return 0
