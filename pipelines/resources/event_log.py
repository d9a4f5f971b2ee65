"""The SQLite event log of the embedded Dagster instance, with its connections kept open.

Dagster's ``SqliteEventLogStorage`` (one database per run plus an index database) builds a new
SQLAlchemy engine, opens a new SQLite connection, checks the schema and closes it all again for
every event it stores: a catalog refresh writes about 700 events, and that bookkeeping was a
quarter of its CPU. This subclass keeps one engine (and its open connection) per database for
the few databases in use, so an event costs one insert and one commit. The files, their schema
and what the UI reads are Dagster's own, unchanged: a home written by either class is read by
the other, and the default location (``$DAGSTER_HOME/history/runs``) is the same.

A run's new database is a copy of an empty one made once per Dagster version (the schema
created and stamped by Dagster's own ``_initdb``), not built table by table at every run start.

Durability: each event is still its own committed transaction; ``synchronous=NORMAL`` lets
SQLite skip the fsync of the rollback journal on commit: a power cut (not a crash of the
process) can lose the last events of a run, never corrupt the file. PostgreSQL instance storage
(config/dagster-postgres.yaml) does not use this class.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
from dagster import Field, StringSource, __version__ as dagster_version
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._serdes import ConfigurableClassData
from sqlalchemy.pool import NullPool, StaticPool

from core.paths import dagster_home

# SQLite's busy timeout, as Dagster's own SQLite storages set it.
BUSY_TIMEOUT_S = 30
# Databases with an engine kept open: the index and the shards of the runs in progress. A
# long-lived process (webserver, daemon) touches many runs' shards; the oldest engine is closed.
OPEN_SHARDS = 8


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one open engine per database (at most ``OPEN_SHARDS``)."""

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sa.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables: set[str] = set()
        # Dagster's default place for the instance in DAGSTER_HOME (which `aisi` points at $AISI_HOME/dagster).
        home = os.environ.get("DAGSTER_HOME") or str(dagster_home())
        super().__init__(base_dir or os.path.join(home, "history", "runs"), inst_data=inst_data)

    @classmethod
    def config_type(cls) -> Mapping[str, Field]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]) -> "PooledSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.engine.Engine:
        """The shard's engine, made (and the database initialised) on first use."""
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            # One connection per engine, shared by the threads of this process under _db_lock
            # (Dagster's event watcher thread reads while the run writes).
            if shard != INDEX_SHARD_NAME and shard not in self._initialized_dbs and self._copy_template(shard):
                self._initialized_dbs.add(shard)
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                poolclass=StaticPool,
                connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            )
            sa.event.listen(engine, "connect", _pragmas)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def _copy_template(self, shard: str) -> bool:
        """Creates a run's database as a copy of the empty template (made on first use); False
        when the database exists already (another process made it: it is initialised as usual)."""
        target = self.path_for_shard(shard)
        if os.path.exists(target):
            return False
        template = os.path.join(self._base_dir, f".run-template-{dagster_version}.sqlite")  # not *.db: not a run
        if not os.path.exists(template):
            partial = f"{template}.{os.getpid()}.tmp"
            engine = create_engine(f"sqlite:///{partial}", poolclass=NullPool)
            self._initdb(engine)
            engine.dispose()
            os.replace(partial, template)
        partial = f"{target}.{os.getpid()}.tmp"
        shutil.copyfile(template, partial)
        try:
            os.link(partial, target)  # never over a database another process created meanwhile
        except FileExistsError:
            return False
        finally:
            os.unlink(partial)
        return True

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.engine.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def has_table(self, table_name: str) -> bool:
        # Dagster asks on every asset event; tables are only ever added (by migrations), so a
        # table seen once stays. Asked on a connection of its own, as Dagster does: it is called
        # while a transaction on the index is open, and a pooled connection would end it.
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _close_all(self) -> None:
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose()

    def wipe(self) -> None:
        self._close_all()  # before Dagster unlinks the run databases
        self._tables.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
