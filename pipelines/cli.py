"""The ``aisi`` command: refresh the catalog, serve the read API, open the Dagster UI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

from resources.paths import CONFIG_DIR, REPO_ROOT, aisi_home, dagster_home


def prepare_instance() -> Path:
    """Points DAGSTER_HOME at ``$AISI_HOME/dagster`` with this project's instance config:
    SQLite storage there by default, PostgreSQL when ``AISI_DAGSTER_PG_URL`` is set."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    template = CONFIG_DIR / "dagster-postgres.yaml" if os.environ.get("AISI_DAGSTER_PG_URL") else REPO_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != template.read_bytes():
        shutil.copyfile(template, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@click.group()
def main() -> None:
    """AI Server Information: every AI model, its prices and where each value came from."""


@main.command()
@click.option("--source", "sources", multiple=True, help="Refresh only this source (repeatable): openrouter, models_dev, litellm.")
def refresh(sources: tuple[str, ...]) -> None:
    """Materialise the catalog graph once, in this process, and print a summary."""
    prepare_instance()
    from pipelines.refresh import run_refresh

    started = time.monotonic()
    summary = run_refresh(list(sources), progress=lambda line: click.echo(line, err=True))
    click.echo(summary.render(time.monotonic() - started))
    sys.exit(0 if summary.success else 1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Start the read API (reads latest.duckdb, or PostgreSQL when AISI_DATABASE_URL is set)."""
    import uvicorn

    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")


@main.command()
@click.option("--once", is_flag=True, help="Run one status + probe cycle, print it and exit (1 when a provider is down).")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(min=1), help="Seconds between cycles.")
def monitor(once: bool, interval: float) -> None:
    """Read status pages and probe every provider, every minute, without the Dagster daemon."""
    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    from pipelines.monitor_loop import run_cycle, run_forever

    if once:
        report = run_cycle()
        click.echo(report.render())
        sys.exit(1 if any(h.down for h in report.health.values()) else 0)
    run_forever(interval, click.echo)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=int)
def ui(host: str, port: int) -> None:
    """Start the Dagster UI and daemon (dagster dev) on this project."""
    prepare_instance()
    os.environ.setdefault("AISI_HOME", str(aisi_home()))
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]
    raise SystemExit(subprocess.call(command, cwd=REPO_ROOT))


if __name__ == "__main__":
    main()
