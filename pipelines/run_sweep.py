"""The start-up sweep of ``aisi refresh``: runs left behind by a dead process are ended, and
the pool slots they held are freed.

A refresh killed mid-run (SIGKILL, OOM, a closed laptop) leaves its Dagster run STARTED for
ever and keeps any pool slot its running step had claimed: with pool ``browser`` limited to
one, every later run would wait for that slot for ever. Dagster's run monitoring (the daemon)
cannot see that a run's process died under the default run launcher, and a refresh run in
the CLI process has no daemon at all. So, before a refresh starts (holding the home's catalog
lock, ``core/run_lock.py``), ``sweep_dead_runs`` looks at every unfinished run of the
instance and finds the process that ran it:

- the run's tags ``aisi/pid`` and ``aisi/host`` (``process_tags``), when the launcher set them;
- else the pid Dagster itself records in the run's first engine event carrying one ("Started
  process for run (pid: N)" of a launched run worker, "Executing steps in process (pid: N)"
  of an in-process run such as ``aisi refresh``). The host is then this machine when the
  instance is the SQLite one under ``$AISI_HOME/dagster`` (its runs all run here), unknown
  with a shared (PostgreSQL) instance.

A run whose process on this host no longer exists (or is a zombie, or is a newer process
that reused the pid) is dead: it is reported failed (canceled when it was canceling) the way
Dagster's run monitoring does it (``report_run_failed``, so failure sensors see it), and its
pool slots and pending slot claims are freed (``free_concurrency_slots_for_run``, what the
monitoring daemon calls ``free_slots_after_run_end_seconds`` after a run ends). A run of an
earlier ``aisi refresh`` (tag ``aisi/trigger=cli``) with no pid at all, on the local
instance, is dead too when the caller holds the catalog lock: only the lock holder may run a
refresh on this home. Runs on another host, or whose process cannot be told, are left alone
and listed. Slots still held by runs that have finished (or no longer exist) are freed too.

``active_catalog_runs`` / ``wait_for_catalog_runs``: catalog runs launched by Dagster itself
(the UI, a schedule, the daemon's queue) that are still alive, which a CLI refresh waits for.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import dagster as dg

PID_TAG = "aisi/pid"
HOST_TAG = "aisi/host"
TRIGGER_TAG = "aisi/trigger"
AREA_TAG = "aisi/area"
CATALOG_AREA = "catalog"
CATALOG_JOB = "catalog_job"
# A process that existed when its run recorded it started before then; one that started
# clearly later reuses the pid of a dead one (clock ticks and event times differ a little).
PID_REUSE_MARGIN_S = 2.0

UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def process_tags() -> dict[str, str]:
    """Tags a launcher adds to the runs it executes in its own process (``aisi refresh``), so a
    later sweep knows which process, on which host, ran them."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _proc_stat(pid: int) -> tuple[str, float] | None:
    """(state letter, start time as a Unix timestamp) of ``pid`` from /proc; None off Linux."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            stat = f.read()
        with open("/proc/stat", encoding="utf-8") as f:
            boot = next(float(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    try:
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError, OSError):
        return None


def process_alive(pid: int, existed_at: float | None = None) -> bool:
    """Is ``pid`` a live process on this host and, when ``existed_at`` (a Unix timestamp at
    which the process was known to run) is given, the same process rather than a newer one
    that got its pid?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):  # a zombie: dead, not yet reaped by its parent
        return False
    return existed_at is None or started <= existed_at + PID_REUSE_MARGIN_S


def instance_is_local(instance: dg.DagsterInstance) -> bool:
    """True for SQLite run storage (the instance under ``$AISI_HOME/dagster``): its runs ran on
    this machine. A PostgreSQL instance may be shared by several hosts."""
    from dagster._core.storage.runs import SqliteRunStorage

    return isinstance(instance.run_storage, SqliteRunStorage)


@dataclass(frozen=True)
class RunOwner:
    """The process that ran a run, as far as it can be told."""

    pid: int | None
    host: str | None  # None: unknown
    existed_at: float | None  # when that process was known to be running it
    how: str  # "tags", "engine event" or "unknown"

    def describe(self) -> str:
        if self.pid is None:
            return "no recorded process"
        return f"pid {self.pid}" + (f" on {self.host}" if self.host else "")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def run_owner(instance: dg.DagsterInstance, record: dg.RunRecord, local: bool) -> RunOwner:
    """The process of ``record``'s run: from its ``aisi/pid`` / ``aisi/host`` tags, else from
    the first engine event in which Dagster recorded a pid."""
    run = record.dagster_run
    here = socket.gethostname() if local else None
    pid = _int(run.tags.get(PID_TAG))
    if pid is not None:
        return RunOwner(pid, run.tags.get(HOST_TAG) or here, record.create_timestamp.timestamp(), "tags")
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        value = data.metadata.get("pid") if data is not None and data.metadata else None
        pid = _int(getattr(value, "value", value)) if value is not None else None
        if pid is not None:
            return RunOwner(pid, here, entry.timestamp, "engine event")
    return RunOwner(None, None, None, "unknown")


@dataclass
class SweptRun:
    """A run the sweep ended."""

    run_id: str
    job_name: str
    status_before: str
    marked: str  # FAILURE or CANCELED
    owner: RunOwner
    pools: list[str] = field(default_factory=list)  # pool slots (and pending claims) freed


@dataclass
class SweepReport:
    swept: list[SweptRun] = field(default_factory=list)
    freed: dict[str, list[str]] = field(default_factory=dict)  # finished or unknown run -> pools freed
    kept: list[tuple[str, str]] = field(default_factory=list)  # unfinished runs left alone, and why

    def lines(self) -> list[str]:
        """What the sweep did, one line each, for the CLI."""
        out = []
        for s in self.swept:
            pools = f"; freed its slot(s) in pool {', '.join(s.pools)}" if s.pools else ""
            out.append(f"Run {s.run_id} ({s.job_name}, {s.status_before}) marked {s.marked}: "
                       f"its process ({s.owner.describe()}) is gone{pools}")
        for run_id, pools in self.freed.items():
            out.append(f"Freed slot(s) in pool {', '.join(pools)} still held by ended run {run_id}")
        return out


def _claims(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Run id -> pools in which it holds a slot or waits for one."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    claims: dict[str, list[str]] = {}
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        for run_id in {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}:
            claims.setdefault(run_id, []).append(pool)
    return claims


def _dead_because(owner: RunOwner, run: dg.DagsterRun, local: bool, lock_held: bool) -> str | None:
    """Why the run is dead, or None when it is alive or cannot be told."""
    here = socket.gethostname()
    if owner.pid is not None and owner.host == here:
        return None if process_alive(owner.pid, owner.existed_at) else "process gone"
    if owner.pid is None and local and lock_held and run.tags.get(TRIGGER_TAG) == "cli":
        return "an earlier refresh of this home, which no longer runs"
    return None


def _why_kept(owner: RunOwner) -> str:
    here = socket.gethostname()
    if owner.pid is not None and owner.host == here:
        return f"its process ({owner.describe()}) is alive"
    if owner.host and owner.host != here:
        return f"it runs on {owner.host}"
    return f"cannot tell whether its process is alive ({owner.describe()}; shared instance without {HOST_TAG} tag)"


def sweep_dead_runs(instance: dg.DagsterInstance, *, lock_held: bool, local: bool | None = None) -> SweepReport:
    """Ends the unfinished runs of ``instance`` whose process is gone and frees their pool
    slots, and the slots of runs that ended without freeing theirs. ``lock_held``: the caller
    holds the catalog lock of the home this instance belongs to. ``local``: the instance's runs
    all ran on this host (default: it is the SQLite instance)."""
    local = instance_is_local(instance) if local is None else local
    report = SweepReport()
    claims = _claims(instance)
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        owner = run_owner(instance, record, local)
        if _dead_because(owner, run, local, lock_held) is None:
            report.kept.append((run.run_id, _why_kept(owner)))
            continue
        fresh = instance.get_run_by_id(run.run_id)
        if fresh is None or fresh.status != run.status:  # it moved on while we looked
            continue
        where = owner.describe() if owner.pid is not None else "the refresh that started it"
        message = (
            f"Marked {'canceled' if run.status == dg.DagsterRunStatus.CANCELING else 'failed'} by the start-up sweep of "
            f"`aisi refresh` (pid {os.getpid()}): the process that ran this run ({where}) is gone (killed or crashed) "
            f"while the run was {run.status.value}. Its pool slots were freed."
        )
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message)
            marked = "CANCELED"
        else:
            instance.report_run_failed(run, message)
            marked = "FAILURE"
        pools = claims.pop(run.run_id, [])
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        report.swept.append(SweptRun(run.run_id, run.job_name, run.status.value, marked, owner, pools))
    for run_id, pools in claims.items():
        held_by = instance.get_run_by_id(run_id)
        if held_by is None or held_by.status in FINISHED:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            report.freed[run_id] = pools
    return report


def is_catalog_run(run: dg.DagsterRun) -> bool:
    """A run of the catalog graph: the catalog job, or anything tagged ``aisi/area=catalog``."""
    return run.job_name == CATALOG_JOB or run.tags.get(AREA_TAG) == CATALOG_AREA


def active_catalog_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Catalog runs in progress that Dagster launched (UI, schedule, sensor, run queue): not
    ``aisi refresh`` runs, which the catalog lock already keeps apart."""
    return [
        record.dagster_run
        for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS))
        if is_catalog_run(record.dagster_run) and record.dagster_run.tags.get(TRIGGER_TAG) != "cli"
    ]


class DagsterRunsBusy(RuntimeError):
    """A catalog run launched from Dagster is still in progress and waiting is over."""

    def __init__(self, runs: Sequence[dg.DagsterRun], waited_s: float | None):
        self.runs = list(runs)
        ids = ", ".join(f"{r.run_id} ({r.status.value})" for r in self.runs)
        how = "not waiting (--no-wait)" if waited_s is None else f"gave up after waiting {waited_s:.0f} s"
        super().__init__(f"a catalog run launched from Dagster is in progress on this instance: {ids}; {how}")


def wait_for_catalog_runs(
    instance: dg.DagsterInstance,
    *,
    deadline: float | None,
    no_wait: bool = False,
    lock_held: bool = True,
    on_wait: Callable[[list[dg.DagsterRun]], None] | None = None,
    on_sweep: Callable[[SweepReport], None] | None = None,
    poll_s: float = 2.0,
) -> None:
    """Returns once no catalog run launched from Dagster is in progress; sweeps dead runs
    while it waits (a run that dies meanwhile ends the wait). ``deadline`` (monotonic) None
    waits for ever; ``no_wait`` raises DagsterRunsBusy at once."""
    started = time.monotonic()
    announced: set[str] = set()
    while True:
        active = active_catalog_runs(instance)
        if not active:
            return
        now = time.monotonic()
        if no_wait or (deadline is not None and now >= deadline):
            raise DagsterRunsBusy(active, None if no_wait else now - started)
        if on_wait is not None and {r.run_id for r in active} - announced:
            on_wait(active)
            announced |= {r.run_id for r in active}
        time.sleep(poll_s if deadline is None else max(0.0, min(poll_s, deadline - now)))
        report = sweep_dead_runs(instance, lock_held=lock_held)
        if on_sweep is not None and (report.swept or report.freed):
            on_sweep(report)
