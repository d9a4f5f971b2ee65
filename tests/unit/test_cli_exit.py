"""``aisi`` ends its process without the interpreter's teardown (``pipelines.cli.exit_now``): the
exit status, the output, the ``atexit`` handlers and the other threads' work are those of a normal
exit. Each case runs in a fresh interpreter: the process must really end."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_exit_now_keeps_what_a_normal_exit_does(tmp_path: Path) -> None:
    done = python("""
        import atexit, sys, threading, time
        from pathlib import Path
        from pipelines.cli import exit_now

        def late_write():
            time.sleep(0.3)
            Path(sys.argv[1]).write_text("written")

        threading.Thread(target=late_write).start()  # not a daemon: waited for
        atexit.register(lambda: print("atexit ran"))
        print("buffered", end=" ")  # a pipe: block-buffered until flushed
        exit_now(3)
        """, str(tmp_path / "late.txt"))
    assert (done.returncode, done.stdout) == (3, "buffered atexit ran\n"), done.stderr
    assert (tmp_path / "late.txt").read_text() == "written"

    message = python("from pipelines.cli import exit_now; exit_now('Error: no such table')")
    assert (message.returncode, message.stderr) == (1, "Error: no such table\n")
    assert python("from pipelines.cli import exit_now; exit_now(None)").returncode == 0


def test_under_a_profiler_the_exit_is_the_usual_one() -> None:
    """A profiler or tracer writes its report as the interpreter ends: under one, exit_now raises
    SystemExit like sys.exit (the fast exit would end the process on the spot)."""
    code = """
        import sys
        from pipelines.cli import exit_now

        if sys.argv[1] == "traced":
            sys.settrace(lambda *args: None)
        try:
            exit_now(4)
        except SystemExit as done:
            print("usual exit", done.code)
            raise
        """
    traced, fast = python(code, "traced"), python(code, "plain")
    assert (traced.returncode, traced.stdout) == (4, "usual exit 4\n"), traced.stderr
    assert (fast.returncode, fast.stdout) == (4, ""), fast.stderr


def test_the_command_keeps_its_exit_status_and_messages() -> None:
    usage = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh", "--force"], cwd=REPO, capture_output=True,
                           text=True, timeout=120)
    assert usage.returncode == 2 and "--force needs --source" in usage.stderr
    helped = subprocess.run([sys.executable, "-m", "pipelines.cli", "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "refresh" in helped.stdout
