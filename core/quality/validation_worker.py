"""A process beside a refresh that validates frames with Great Expectations for it.

Importing GX takes about 2 s of CPU, and a first refresh used to pay it in the middle of its run,
on one core. A refresh that knows it will validate (``pipelines/catalog/refresh.py``) starts this
worker first: a fork of the refresh process (its modules and code, nothing re-imported) that imports
GX on the other core while the refresh fetches, then runs each validation it is handed. The
results are the same objects the refresh would have computed itself (``ValidationOutcome``); an
exception raised by a validation comes back as that exception.

Only where a fork is safe: on Linux, and while the process runs no other thread (a fork copies
locks a thread may hold). Otherwise, or once the worker has died, validations run in the calling
process as before. The worker shares the refresh's open files, the catalog lock among them (a
``flock`` lives as long as any process holds its file): it is stopped before the refresh lets go
of the lock, and the kernel kills it when the refresh process dies (``PR_SET_PDEATHSIG``), so a
killed refresh never leaves the lock held.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """In the worker: be killed when ``parent`` dies (or exit now if it already has)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def start(warm: Callable[[], None]) -> bool:
    """Starts the worker (once) and has it run ``warm`` (the GX import) at once; whether a
    worker is running."""
    global _pool
    if _pool is not None:
        return True
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    _pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=_die_with, initargs=(os.getpid(),),
    )
    _pool.submit(warm)
    return True


def running() -> bool:
    return _pool is not None


def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the worker when one runs, else here. A worker that died is
    stopped and the call made here."""
    pool = _pool
    if pool is not None:
        try:
            return pool.submit(function, *args).result()
        except BrokenProcessPool as exc:
            log.warning("the validation worker died (%s): validating in this process", exc)
            stop()
    return function(*args)


def stop() -> None:
    """Ends the worker (after the call in progress, if any)."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
