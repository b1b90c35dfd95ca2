"""The data directory's Dagster instance: a killed `velo run` never blocks the next one."""

import uuid

import dagster as dg

from velo.orchestration.instance import (
    LAUNCHED_BY_TAG,
    VELO_RUN,
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
