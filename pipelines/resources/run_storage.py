"""Per-run intermediate storage: each run's asset outputs in a folder of their own.

Dagster's default filesystem IO manager keeps one file per asset, shared by every run: two runs
at once overwrite each other's payloads and one can publish the other's data. Here an output is
pickled under ``<base>/<run_id>/<asset key>`` and never overwritten; an input is read from the
run that materialized it: this run when it did, otherwise the run of the asset's latest
materialization (an incremental run reuses the unchanged sources' records from earlier runs).
:func:`prune_run_storage` removes what no latest materialization points at any more.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from core.paths import dagster_home


def _root(base_dir: str | None) -> Path:
    return Path(base_dir) if base_dir else dagster_home() / "storage" / "runs"


class RunScopedIOManager(dg.ConfigurableIOManager):
    """Pickled outputs under ``<base_dir>/<run_id>/<asset key path>``, one folder per run."""

    base_dir: str | None = Field(default=None, description="Default: $AISI_HOME/dagster/storage/runs.")

    def _path(self, run_id: str, key: dg.AssetKey) -> Path:
        return _root(self.base_dir).joinpath(run_id, *key.path)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        path = self._path(context.run_id, context.asset_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(partial, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    def load_input(self, context: dg.InputContext) -> Any:
        key = context.asset_key
        path = self._path(context.step_context.run_id, key)
        if not path.exists():
            latest = context.instance.get_latest_materialization_event(key)
            if latest is None:
                raise dg.Failure(f"{key.to_user_string()} has never been materialized on this instance; refresh it first")
            path = self._path(latest.run_id, key)
            if not path.exists():
                raise dg.Failure(
                    f"the stored output of {key.to_user_string()} from run {latest.run_id} is gone ({path}); "
                    f"materialize {key.to_user_string()} again"
                )
        with open(path, "rb") as fh:
            return pickle.load(fh)


def prune_run_storage(instance: dg.DagsterInstance, base_dir: str | None = None) -> list[str]:
    """Removes the folders of finished runs that hold no asset's latest materialization; returns
    the run ids removed. Runs still in progress keep theirs."""
    root = _root(base_dir)
    if not root.is_dir():
        return []
    keys = {
        dg.AssetKey(list(path.relative_to(run_dir).parts))
        for run_dir in root.iterdir()
        for path in run_dir.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }
    latest = instance.get_latest_materialization_events(keys).values()
    needed = {event.run_id for event in latest if event is not None}
    removed = []
    for run_dir in root.iterdir():
        if run_dir.name in needed:
            continue
        run = instance.get_run_by_id(run_dir.name)
        if run is not None and not run.is_finished:
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
        removed.append(run_dir.name)
    return removed
