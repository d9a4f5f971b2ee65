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

A call is handed over with ``submit`` and its result taken later (``Pending.result``), so the
refresh goes on while the worker validates: a source's records are submitted as soon as its fetch
has normalised them, the merged tables as soon as the merge has built them, and the checks that
report them take results that are mostly ready by then.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Generic, TypeVar

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


class Pending(Generic[T]):
    """A call handed to the worker, or kept until its result is first asked for (no worker ran),
    to be made then in the worker if one runs by that time, else here. Its result (or the exception
    it raised) is computed once."""

    def __init__(self, function: Callable[..., T], args: tuple[Any, ...], future: Future[T] | None) -> None:
        self._function: Callable[..., T] | None = function
        self._args, self._future = args, future
        self._outcome: tuple[bool, Any] | None = None  # (raised, the result or the exception)

    def result(self) -> T:
        """The call's result, waiting for the worker if it is still at it; raises what the call
        raised. A worker that died is stopped and the call made here."""
        if self._outcome is None:
            self._outcome = self._compute()
            self._function, self._args = None, ()  # the frames it was handed can go
        raised, value = self._outcome
        if raised:
            raise value
        return value

    def _compute(self) -> tuple[bool, Any]:
        assert self._function is not None
        if self._future is None:  # a worker started since the call was made takes it now
            self._future = _hand_over(self._function, self._args)
        if self._future is not None:
            try:
                return False, self._future.result()
            except BrokenProcessPool as exc:
                log.warning("the validation worker died (%s): validating in this process", exc)
                stop()
            except CancelledError:  # the worker was stopped before it got to this call
                pass
            except Exception as exc:  # the call's own error, raised in the worker
                return True, exc
            finally:
                self._future = None
        try:
            return False, self._function(*self._args)
        except Exception as exc:
            return True, exc


def _hand_over(function: Callable[..., T], args: tuple[Any, ...]) -> Future[T] | None:
    """The call queued in the worker, or None when no worker runs (or it has just gone)."""
    pool = _pool
    if pool is None:
        return None
    try:
        return pool.submit(function, *args)
    except RuntimeError as exc:  # BrokenProcessPool (it died), or shut down meanwhile
        log.warning("the validation worker is gone (%s): validating in this process", exc)
        stop()
        return None


def submit(function: Callable[..., T], *args: Any) -> Pending[T]:
    """``function(*args)`` handed to the worker now when one runs (it starts at once if the worker
    is idle); otherwise made when its result is asked for: in the worker if one runs by then, else here."""
    return Pending(function, args, _hand_over(function, args))


def stop() -> None:
    """Ends the worker (after the call in progress, if any)."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
