"""``aisi export TABLE --format F [--out PATH]``: the same bytes as the API's export, read from the
store directly (no server), to a file, a default file name or standard output; a progress bar on
a terminal, none otherwise."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from core import export
from pipelines.cli import main
from tests.conftest import REPO
from tests.test_export import BATCH, CLIENT, ROWS, SNAPSHOT_A, build_snapshot, publish


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("export-cli") / "data"
    (data / "snapshots").mkdir(parents=True)
    build_snapshot(data / "snapshots" / f"{SNAPSHOT_A}.duckdb")
    publish(data / "snapshots", f"{SNAPSHOT_A}.duckdb")
    return data


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AISI_HOME", str(home))
    monkeypatch.delenv("AISI_DATABASE_URL", raising=False)
    return {**os.environ, "AISI_HOME": str(home)}


def api_bytes(home: Path, table: str, fmt: str, batch_rows: int = export.BATCH_ROWS) -> bytes:
    """What ``GET /api/v1/export/<table>.<fmt>`` serves (Parquet's row groups are its batches, so
    its bytes depend on the batch size; CSV's and JSON's do not)."""
    app = create_app(home=home)
    app.state.export_batch_rows = batch_rows
    with TestClient(app, client=CLIENT) as client:
        response = client.get(f"/api/v1/export/{table}.{fmt}")
        assert response.status_code == 200
        return response.content


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_export_writes_what_the_api_serves(env: dict[str, str], home: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "sub" / f"models.{fmt}"
    result = CliRunner().invoke(main, ["export", "models", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == api_bytes(home, "models", fmt)
    if fmt != "parquet":
        assert out.read_bytes() == api_bytes(home, "models", fmt, batch_rows=BATCH)
    else:
        assert pq.read_table(out).equals(pq.read_table(pa.BufferReader(api_bytes(home, "models", fmt, batch_rows=BATCH))))
    # Not a terminal: no progress bar, only the summary.
    assert result.stderr.strip() == f"models: {ROWS} rows, {export.size_text(out.stat().st_size)} of {fmt} from snapshot {SNAPSHOT_A} to {out}"
    assert result.stdout == ""
    assert not list(out.parent.glob(".*.tmp"))  # written aside, renamed into place


def test_default_file_name_and_standard_output(env: dict[str, str], home: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", "price_history", "--format", "parquet"])
    assert result.exit_code == 0, result.output
    written = tmp_path / f"aisi-price_history-{SNAPSHOT_A}.parquet"
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        assert pq.read_table(written).num_rows == con.execute("SELECT count(*) FROM prices").fetchone()[0] == ROWS
    assert written.read_bytes() == api_bytes(home, "price_history", "parquet")

    result = CliRunner().invoke(main, ["export", "changes", "--format", "json", "--out", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == api_bytes(home, "changes", "json")
    assert "to standard output" in result.stderr and result.stdout_bytes.startswith(b"[\n{")


def test_unknown_table_or_format_or_nothing_published(env: dict[str, str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(main, ["export", "nonsense"])
    assert result.exit_code == 2 and "unknown table 'nonsense'" in result.stderr and "price_history" in result.stderr
    result = CliRunner().invoke(main, ["export", "models", "--format", "xlsx"])
    assert result.exit_code == 2 and "unknown format 'xlsx'; known: csv, json, parquet" in result.stderr
    monkeypatch.setenv("AISI_HOME", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["export", "models", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "no snapshot" in result.stderr and not (tmp_path / "x.csv").exists()


def run_on_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """``aisi`` with standard error on a pseudo-terminal (standard output a pipe): its exit code
    and what the terminal showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env={**env, "PYTHONPATH": str(REPO)},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            shown += data
        elif process.poll() is not None:
            break
    os.close(controller)
    process.stdout.close()
    return process.wait(timeout=30), shown.decode(errors="replace")


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(env: dict[str, str], home: Path, tmp_path: Path) -> None:
    out = tmp_path / "offerings.csv"
    code, shown = run_on_terminal(["export", "offerings", "--out", str(out)], env, tmp_path)
    assert code == 0, shown
    assert f"{ROWS}/{ROWS}" in shown and "rows" in shown and SNAPSHOT_A in shown  # the bar, at its end
    assert "━" in shown
    assert out.read_bytes() == api_bytes(home, "offerings", "csv")

    code, shown = run_on_terminal(["export", "offerings", "--out", str(out), "--no-progress"], env, tmp_path)
    assert code == 0 and "━" not in shown and f"{ROWS}/{ROWS}" not in shown
    assert f"offerings: {ROWS} rows" in shown  # the summary still
