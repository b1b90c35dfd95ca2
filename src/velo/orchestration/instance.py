"""The Dagster instance of a data directory: one, under ``state_dir``, for `velo run` and
`velo dagster` alike, so the UI shows the runs that built the data it looks at.

Its ``dagster.yaml`` gives every concurrency pool a limit of 1 (the ``warehouse`` pool is how
DuckDB's single writer is respected across runs) and turns telemetry off.
"""

from pathlib import Path

import dagster as dg

from velo.settings import Settings

DAGSTER_YAML = """\
# Written by velo (velo.orchestration.instance).
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
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
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
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
