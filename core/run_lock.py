"""One refresh at a time per data directory: an advisory lock on ``$AISI_HOME/catalog.lock``.

Two refreshes on one ``AISI_HOME`` share the raw archive, the snapshot directory and
Dagster's intermediate files, so they must not overlap. ``catalog_lock`` takes an exclusive
``fcntl.flock`` on the lock file for as long as its ``with`` block runs. The kernel drops a
flock when the last descriptor of it closes, so a holder that dies (SIGKILL, OOM, power cut
of the process) releases it at once: there is no stale lock to clean up, and the file itself
is never deleted (deleting a flocked file would let a second process lock a new file of the
same name). The descriptor is close-on-exec: a browser or any child the refresh starts never
inherits the lock.

The holder writes who it is into the file (pid, host, start time, command, and its Dagster
run id once known), so a refresh that finds the lock taken can say which one holds it.

Dagster-free: the CLI takes the lock before it imports Dagster.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = "catalog.lock"
POLL_S = 0.25  # how often a waiting refresh tries the lock again


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) the lock, as written in the lock file; fields are None when
    the file could not be read (a holder that has only just taken the lock)."""

    pid: int | None = None
    host: str | None = None
    started_at: str | None = None  # ISO 8601, UTC
    command: str | None = None
    run_id: str | None = None

    def describe(self) -> str:
        """``pid 4242 on box, started 2026-11-22 13:00:00 UTC: aisi refresh --source litellm``."""
        if self.pid is None:
            return "holder unknown"
        parts = [f"pid {self.pid}" + (f" on {self.host}" if self.host and self.host != socket.gethostname() else "")]
        if self.started_at:
            try:
                parts.append(f"started {datetime.fromisoformat(self.started_at):%Y-%m-%d %H:%M:%S} UTC")
            except ValueError:
                parts.append(f"started {self.started_at}")
        text = ", ".join(parts)
        if self.command:
            text += f": {self.command}"
        if self.run_id:
            text += f"; run {self.run_id}"
        return text

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "LockHolder | None":
        """The holder in ``text``; None when it is not (yet) a whole record."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
            return None
        return cls(**{k: data.get(k) for k in ("pid", "host", "started_at", "command", "run_id")})


class CatalogBusy(RuntimeError):
    """Another refresh holds the data directory and this one was told not to wait (longer)."""

    def __init__(self, home: Path, holder: LockHolder, waited_s: float | None):
        self.home = home
        self.holder = holder
        self.waited_s = waited_s
        how = "not waiting (--no-wait)" if waited_s is None else f"gave up after waiting {waited_s:.0f} s"
        super().__init__(f"another refresh ({holder.describe()}) holds {home}; {how}")


def current_command() -> str:
    """This process's command line, shortened to what a user typed (``aisi refresh ...``)."""
    argv = list(sys.argv)
    if argv and (argv[0].endswith(("/aisi", "pipelines/cli.py")) or argv[0] == "-m"):
        argv[0] = "aisi"
    return " ".join(argv) or "python"


class CatalogLock:
    """The held lock: its path, the holder record this process wrote, and ``note`` to add to it."""

    def __init__(self, path: Path, fd: int, holder: LockHolder):
        self.path = path
        self._fd = fd
        self.holder = holder

    def note(self, run_id: str | None = None, command: str | None = None) -> None:
        """Records the Dagster run id (or a better command) in the lock file, for whoever waits."""
        self.holder = replace(self.holder, run_id=run_id or self.holder.run_id, command=command or self.holder.command)
        _write(self._fd, self.holder)


def _write(fd: int, holder: LockHolder) -> None:
    data = holder.to_json().encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def read_holder(path: Path, tries: int = 4) -> LockHolder:
    """The holder recorded in ``path`` (retried briefly: a new holder writes just after locking)."""
    for attempt in range(tries):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        holder = LockHolder.from_json(text) if text.strip() else None
        if holder is not None:
            return holder
        if attempt + 1 < tries:
            time.sleep(0.05)
    return LockHolder()


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _deadline(wait: bool | float) -> float | None:
    """Monotonic time after which to give up; None waits for ever. ``False`` or 0: no wait."""
    if wait is True:
        return None
    if wait is False:
        return time.monotonic()
    seconds = float(wait)
    if seconds != seconds or seconds < 0:  # NaN or negative
        raise ValueError(f"wait must be True, False or a number of seconds >= 0, got {wait!r}")
    return time.monotonic() + seconds


@contextmanager
def catalog_lock(
    home: Path,
    wait: bool | float = True,
    *,
    command: str | None = None,
    on_wait: Callable[[LockHolder], None] | None = None,
    poll_s: float = POLL_S,
) -> Iterator[CatalogLock]:
    """Holds ``home``'s catalog lock for the ``with`` block.

    ``wait``: True waits as long as it takes, False fails at once, a number waits that many
    seconds at most. When the lock is taken and waiting is not (or no longer) allowed, raises
    ``CatalogBusy`` naming the holder. ``on_wait(holder)`` is called when this process starts
    waiting, and again whenever the holder it waits for changes. ``command`` is recorded for
    others to see (default: this process's command line). Not re-entrant: a second
    ``catalog_lock`` on the same home in the same process waits for the first like any other.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_NAME
    deadline = _deadline(wait)
    started = time.monotonic()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        seen: LockHolder | None = None
        while not _try_lock(fd):
            holder = read_holder(path)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise CatalogBusy(home, holder, None if wait is False else now - started)
            if on_wait is not None and (seen is None or (holder.pid, holder.started_at) != (seen.pid, seen.started_at)):
                on_wait(holder)
            seen = holder
            time.sleep(poll_s if deadline is None else max(0.0, min(poll_s, deadline - now)))
        mine = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            command=command or current_command(),
        )
        _write(fd, mine)
        lock = CatalogLock(path, fd, mine)
        try:
            yield lock
        finally:
            # Emptied before it is released: the file never names a refresh that has ended.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
