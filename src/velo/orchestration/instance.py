"""The Dagster instance of a data directory: one, under ``state_dir``, for `velo run` and
`velo dagster` alike, so the UI shows the runs that built the data it looks at.

Its ``dagster.yaml`` gives every concurrency pool a limit of 1 (the ``warehouse`` pool is how
DuckDB's single writer is respected across runs), turns telemetry off, and stores events with
:class:`PooledSqliteEventLogStorage`: Dagster's SQLite event log, its connections kept open.
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

from velo.settings import Settings

EVENT_LOGS = Path("history") / "runs"  # where Dagster's default SQLite storage keeps them
DAGSTER_YAML = """\
# Written by velo (velo.orchestration.instance).
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
event_log_storage:
  module: velo.orchestration.instance
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_logs}
"""
# Tags `velo run` puts on its runs: a run with them that is not finished when the next `velo run`
# starts died with its process (only one `velo run` writes to a data directory: velo.locking).
LAUNCHED_BY_TAG = "velo/launched_by"
VELO_RUN = "velo run"
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def dagster_home(settings: Settings) -> Path:
    """The instance directory, created with its dagster.yaml."""
    home = settings.state_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML.format(event_logs=home / EVENT_LOGS))
    return home


def open_instance(settings: Settings) -> dg.DagsterInstance:
    """The data directory's persistent instance (SQLite storage under its home)."""
    return dg.DagsterInstance.from_config(str(dagster_home(settings)))


def close_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark the unfinished runs of a killed `velo run` failed and free the pool slots they held.

    In-process execution claims a slot of the ``warehouse`` pool per step; a SIGKILL never frees
    it, and the next run would wait for that slot forever. Call with the writer lock held."""
    dead = instance.get_runs(dg.RunsFilter(statuses=UNFINISHED, tags={LAUNCHED_BY_TAG: VELO_RUN}))
    for run in dead:
        instance.report_run_failed(run, "its `velo run` process died before the run finished")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return [run.run_id for run in dead]


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (the same files: one database per run plus an index) with each
    database's connection kept open. Dagster's own creates an engine, connects, commits with a
    sync to disk and disconnects for every event, ~10-14 ms each; a day's `velo run` stores ~800
    events (dbt's tests are asset checks). Scale 1: 10.5-13.5 s of storing -> 1.6-2.4 s.

    Commits use SQLite's ``synchronous=NORMAL`` in the WAL mode Dagster sets: the files stay
    consistent, and only an OS crash may lose the newest events. The ``OPEN_SHARDS`` databases
    used last stay open, so a long-lived daemon does not hold a file open per run it wrote.
    """

    OPEN_SHARDS = 8

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)  # connects already

    @classmethod
    def from_config_value(  # Dagster's returns its own class, whatever cls is
        cls, inst_data: Any, config_value: Any
    ) -> "PooledSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        # As Dagster's own: one connection in use at a time (its lock), each database initialised
        # on first use.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> sa.Engine:
        """The shard's engine (one pooled connection), opened if it is not; with ``_db_lock``."""
        if shard in self._engines:
            self._engines.move_to_end(shard)
            return self._engines[shard]
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            pool_size=1,
            # Dagster's threads use it in turn (under its lock).
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", relaxed_sync)
        self._engines[shard] = engine
        while len(self._engines) > self.OPEN_SHARDS:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def close_connections(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self.close_connections()  # Dagster deletes the run databases' files
        super().wipe()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()


def relaxed_sync(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("pragma synchronous = normal")
