"""The data directory's Dagster instance: a killed `velo run` never blocks the next one; events are
stored over connections kept open, in the files Dagster's own storage uses."""

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from velo.orchestration.instance import (
    EVENT_LOGS,
    LAUNCHED_BY_TAG,
    VELO_RUN,
    PooledSqliteEventLogStorage,
    close_dead_runs,
    dagster_home,
    open_instance,
)
from velo.orchestration.resources import WAREHOUSE_POOL
from velo.settings import Settings


def started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    """A run in STARTED state holding the warehouse pool's slot, as a SIGKILL leaves it."""
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(
            job_name="platform", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags
        )
    )
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, "load_fx")
    assert claim.is_claimed
    return run_id


def held_slots(instance: dg.DagsterInstance) -> int:
    return instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count


def test_a_killed_velo_runs_run_is_failed_and_its_pool_slot_freed(settings: Settings) -> None:
    with open_instance(settings) as instance:
        killed = started_run(instance, {LAUNCHED_BY_TAG: VELO_RUN})
        assert held_slots(instance) == 1  # the next run's load would wait for it forever

        assert close_dead_runs(instance) == [killed]

        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
        assert held_slots(instance) == 0
        assert close_dead_runs(instance) == []  # idempotent


def test_a_run_the_ui_launched_keeps_its_slot(settings: Settings) -> None:
    """A run the Dagster daemon launched may be alive in its own process: not ours to close."""
    with open_instance(settings) as instance:
        launched = started_run(instance, {})
        assert close_dead_runs(instance) == []
        assert instance.get_run_by_id(launched).status == dg.DagsterRunStatus.STARTED
        assert held_slots(instance) == 1


def test_velo_dagster_and_velo_run_share_one_instance(settings: Settings) -> None:
    home = dagster_home(settings)
    assert home.parent == settings.state_dir
    with open_instance(settings) as instance:
        assert instance.root_directory == str(home)
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


@dg.asset
def upstream() -> int:
    return 1


@dg.asset
def downstream(upstream: int) -> int:
    return upstream + 1


def materialize_twice(instance: dg.DagsterInstance) -> list[str]:
    """Two runs of two assets (~30 events): their run ids."""
    return [dg.materialize([upstream, downstream], instance=instance).run_id for _ in range(2)]


@contextmanager
def event_log_connects(instance: dg.DagsterInstance) -> Iterator[list[str]]:
    """The event log databases each new SQLite connection opens, while inside."""
    event_logs = Path(instance.root_directory) / EVENT_LOGS
    opened: list[str] = []

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        path = Path(dbapi_connection.execute("pragma database_list").fetchone()[2])
        if path.parent == event_logs:
            opened.append(path.name)

    sa.event.listen(sa.Engine, "connect", on_connect)
    try:
        yield opened
    finally:
        sa.event.remove(sa.Engine, "connect", on_connect)


def open_event_logs(instance: dg.DagsterInstance) -> list[Path]:
    """The event log databases this process holds open."""
    event_logs = Path(instance.root_directory) / EVENT_LOGS
    held = (Path(os.readlink(fd)) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink())
    return [path for path in held if path.parent == event_logs and path.suffix == ".db"]


def test_events_are_stored_over_connections_kept_open(settings: Settings) -> None:
    with open_instance(settings) as instance, event_log_connects(instance) as opened:
        runs = materialize_twice(instance)
        stored = {run_id: len(instance.all_logs(run_id)) for run_id in runs}
    # Dagster's own storage connects again for every event; a new database is opened twice as
    # Dagster creates its tables, then once; the index only for the run's own bookkeeping.
    connects = Counter(opened)
    for run_id, events in stored.items():
        assert connects[f"{run_id}.db"] <= 2 < events / 5
    assert connects["index.db"] <= 2 * len(runs)
    # Another reader (`velo dagster` while `velo run` writes) sees every event at once.
    with open_instance(settings) as reader:
        assert {run_id: len(reader.all_logs(run_id)) for run_id in runs} == stored
        materialization = reader.get_latest_materialization_event(dg.AssetKey("downstream"))
        assert materialization is not None and materialization.run_id == runs[-1]


def test_a_long_lived_instance_keeps_few_event_logs_open(settings: Settings) -> None:
    with open_instance(settings) as instance:
        for _ in range(6):
            materialize_twice(instance)  # 12 runs, each its own database
        held = {path.name for path in open_event_logs(instance)}
        assert "index.db" in held and len(held) <= PooledSqliteEventLogStorage.OPEN_SHARDS
    assert open_event_logs(instance) == []  # closed with the instance


def test_runs_recorded_by_dagsters_own_storage_stay_visible(settings: Settings) -> None:
    home = dagster_home(settings)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # Dagster's defaults
    with dg.DagsterInstance.from_config(str(home)) as before:
        assert not isinstance(before.event_log_storage, PooledSqliteEventLogStorage)
        earlier = materialize_twice(before)
    with open_instance(settings) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        latest = instance.get_latest_materialization_event(dg.AssetKey("downstream"))
        assert latest is not None and latest.run_id == earlier[-1]
        assert materialize_twice(instance)
