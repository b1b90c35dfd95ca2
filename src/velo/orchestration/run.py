"""`velo run`: the whole platform once, in-process through the same Dagster definitions.

Create the simulated company if there is none, decide the clock, start the simulated APIs, then
execute the ``platform`` job (sentiment function -> loads -> dbt build with tests -> publish) and
print the answers. ``tick_days`` then simulates further days one at a time: the ``demo_tick`` job,
then the ``platform`` job again on that day's clock (every load is incremental, the dbt build
too). Each step is shown with its duration as Dagster reports it; the run's alerts go to Slack as
the sensors would send them. The runs are recorded in the data directory's Dagster instance, the
one `velo dagster` serves.
"""

import logging
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, redirect_stderr, redirect_stdout
from datetime import date, timedelta
from typing import TextIO

import dagster as dg
from rich.console import Console

from velo import secrets
from velo.clock import FIXED
from velo.errors import UsageError, VeloError
from velo.orchestration.alerts import digest_run, send_alerts
from velo.orchestration.instance import LAUNCHED_BY_TAG, VELO_RUN, close_dead_runs, open_instance
from velo.orchestration.progress import (
    BUILD_STAGE,
    RunOutcome,
    StepProgress,
    show_skipped,
    spinner,
    timed_step,
)
from velo.orchestration.resources import FULL_REFRESH_TAG
from velo.runtime import platform, resolve_clock
from velo.secrets import ScrubbingWriter
from velo.settings import Settings

# Dagster's own console log is replaced by the progress display; its errors go to the run log.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
DEFAULT_HISTORY_DAYS = 365


def company_exists(settings: Settings) -> bool:
    """A simulated company, or any database holding the contract's orders (a real AdventureWorks):
    `velo run` must never create a simulated company over it."""
    from velo.ingest.operations import holds_orders
    from velo.simulator.clock import read_sim_clock

    return read_sim_clock(settings.ops_db_url) is not None or holds_orders(settings)


def day_clock(settings: Settings, start: Settings, day: int) -> Settings:
    """The settings for simulated day ``day`` (1, 2, …) of a run that started on ``start``'s clock:
    a fixed clock moves on one day per day; any other is the simulated company's clock, read
    again after its tick."""
    if start.clock_kind == FIXED and start.clock is not None:
        return start.with_overrides(clock=start.clock + timedelta(days=day))
    return resolve_clock(settings)


def execute_job(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    progress: StepProgress,
    tags: dict[str, str],
    assets: Sequence[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run ``job`` in-process (only ``assets`` and their checks, if given), shown by progress."""
    run_id = str(uuid.uuid4())  # a Dagster run id; known before the run, for the listener
    instance.add_event_listener(run_id, progress)
    label = job.name if assets is None else f"{job.name} ({len(assets)} assets)"
    with spinner(progress.console, f"{progress.prefix}{label} …") as status:
        progress.status = status
        return job.execute_in_process(
            run_config=QUIET_RUN_CONFIG,
            instance=instance,
            run_id=run_id,
            tags={LAUNCHED_BY_TAG: VELO_RUN, **tags},
            raise_on_error=False,
            asset_selection=assets,
        )


def platform_stages(job: dg.JobDefinition) -> tuple[list[dg.AssetKey], list[dg.AssetKey]]:
    """The platform job's assets as two stages: the loads (every source into raw, with its
    freshness check), then the build (the dbt project and publishing)."""
    from velo.orchestration import serving, warehouse

    build_groups = {warehouse.GROUP, serving.GROUP}
    loads, build = [], []
    for key in sorted(job.asset_layer.executable_asset_keys):
        group = job.asset_layer.get(key).group_name
        (build if group in build_groups else loads).append(key)
    return loads, build


def run_platform_job(
    settings: Settings,
    instance: dg.DagsterInstance,
    console: Console,
    outcome: RunOutcome,
    *,
    prefix: str = "",
    full_refresh: bool = False,
    job: str | None = None,
) -> None:
    """Execute ``job``, then alert on it as the sensors would. The whole platform (None) runs as
    two Dagster runs: its loads, then its build only if the loads changed what the build reads
    (:func:`velo.orchestration.warehouse.nothing_to_build`): with nothing new, no build run is
    created at all (its ~250 planned asset and check events were most of such a run's cost)."""
    from velo.orchestration.schedules import PLATFORM_JOB
    from velo.orchestration.warehouse import nothing_to_build

    definition = resolve_job(settings, job or PLATFORM_JOB)
    if job is not None:
        outcome.rows_read.append(
            execute_and_alert(settings, definition, instance, console, outcome, prefix)
        )
        return
    loads, build = platform_stages(definition)
    outcome.rows_read.append(
        execute_and_alert(settings, definition, instance, console, outcome, prefix, assets=loads)
    )
    if not full_refresh and nothing_to_build(settings):
        show_skipped(console, prefix, BUILD_STAGE, "nothing changed since the last publish")
        return
    tags = {FULL_REFRESH_TAG: "true"} if full_refresh else {}
    execute_and_alert(
        settings, definition, instance, console, outcome, prefix, tags=tags, assets=build
    )


def execute_and_alert(
    settings: Settings,
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    console: Console,
    outcome: RunOutcome,
    prefix: str,
    *,
    tags: dict[str, str] | None = None,
    assets: Sequence[dg.AssetKey] | None = None,
) -> dict[str, int]:
    """One Dagster run of ``job`` (``assets`` of it), then its alerts; raise if it failed. The
    rows each of its loads read."""
    progress = StepProgress(console, outcome, prefix)
    result = execute_job(job, instance, progress, tags or {}, assets)
    digest = digest_run(instance, result.dagster_run)
    outcome.runs.append(digest)
    alerts = send_alerts(settings, digest)
    outcome.alerts.extend(alerts)
    for text in alerts[1:]:  # the stale-source warnings; the summary is the step list itself
        console.print(f"  [yellow]![/yellow] {text}", highlight=False)
    if not result.success:
        failures = "; ".join(digest.failures)
        raise VeloError(f"{prefix}{failures} — the serving DB was left as it was")
    return dict(progress.rows_read)


def resolve_job(settings: Settings, name: str) -> dg.JobDefinition:
    from velo.orchestration.definitions import build_definitions

    return build_definitions(settings).resolve_job_def(name)


def simulate_day(
    settings: Settings,
    instance: dg.DagsterInstance,
    console: Console,
    outcome: RunOutcome,
    prefix: str,
) -> None:
    from velo.orchestration.schedules import demo_tick

    progress = StepProgress(console, outcome, prefix)
    result = execute_job(resolve_job(settings, demo_tick.name), instance, progress, {})
    if not result.success:
        failure = next((s.detail for s in outcome.steps[::-1] if not s.ok), "failed")
        raise VeloError(f"{prefix}simulating the day failed: {failure}")


def run_platform(
    settings: Settings,
    *,
    tick_days: int = 0,
    full_refresh: bool = False,
    as_of: date | None = None,
    scale: float = 1.0,
    history_days: int = DEFAULT_HISTORY_DAYS,
    console: Console | None = None,
    answers: bool = True,
    only: str | None = None,
) -> RunOutcome:
    """Run everything once, or ``tick_days`` simulated days; raise VeloError if a step failed.

    With ``tick_days`` and an existing company, only the days run (each one a full incremental
    platform run); a company created now is first run once as it is. ``only`` runs one of the
    scheduled jobs instead (:data:`ONLY_JOBS`: the hourly FX refresh, the daily build) on an
    existing platform. dbt's, dlt's and Dagster's own output goes to
    ``<state_dir>/logs/velo-run.log``; the console shows the steps.
    """
    from velo.serving.report import show_answers

    job = only_job(only, tick_days)
    console = console or Console(file=sys.stdout)
    outcome = RunOutcome()
    started = time.perf_counter()
    log_path = settings.state_dir / "logs" / "velo-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]Velo platform run[/bold] (data in {settings.data_dir})")
    secrets.install()
    with (
        log_path.open("w") as log_file,
        # Everything the libraries print passes the scrubbing point on its way to the log.
        closing(ScrubbingWriter(log_file)) as log,
        redirect_stdout(log),
        redirect_stderr(log),
        quiet_library_logs(log),
        # Recorded where `velo dagster` looks: its UI shows these runs, their logs and checks.
        open_instance(settings) as instance,
    ):
        close_dead_runs(instance)
        created = not company_exists(settings)
        if created:
            from velo.simulator.company import init_company

            with timed_step(console, outcome, f"create simulated company (scale {scale:g})"):
                init_company(settings, days=history_days, scale=scale, seed=None, as_of=as_of)
        start = resolve_clock(settings, as_of)  # the company's clock exists by now
        clock = start
        if created or tick_days == 0:
            with platform(start) as live:
                run_platform_job(
                    live,
                    instance,
                    console,
                    outcome,
                    full_refresh=full_refresh,
                    job=None if created else job,  # a company created now first runs as a whole
                )
            full_refresh = False
        for day in range(1, tick_days + 1):
            prefix = f"day {day}: "
            simulate_day(settings, instance, console, outcome, prefix)
            # The simulated APIs answer up to the clock they were started with, so each day
            # starts them again on that day's clock.
            clock = day_clock(settings, start, day)
            with platform(clock) as live:
                run_platform_job(
                    live, instance, console, outcome, prefix=prefix, full_refresh=full_refresh
                )
            full_refresh = False
    outcome.seconds = time.perf_counter() - started
    if answers:
        show_answers(clock, None, "table", console)
    console.print(
        f"[bold green]Done in {outcome.seconds:.1f} s.[/bold green] Dashboard: `make dashboard` "
        f"(reads {settings.serving_path}); data in {settings.data_dir}; "
        f"run log {log_path}",
        highlight=False,
    )
    return outcome


def only_job(only: str | None, tick_days: int) -> str | None:
    """The job `velo run --only NAME` executes; None: the whole platform."""
    from velo.orchestration.schedules import BUILD_JOB, FX_JOB

    jobs = {"fx": FX_JOB, "build": BUILD_JOB}
    if only is None:
        return None
    if only not in jobs:
        raise UsageError(f"--only {only}: not one of {', '.join(jobs)}")
    if tick_days:
        raise UsageError("--only runs one job on the data as it is: leave out --tick-days")
    return jobs[only]


@contextmanager
def quiet_library_logs(log: TextIO) -> Iterator[None]:
    """dlt's and dbt's warnings would drown the progress display: send them to the run log."""
    handler = logging.StreamHandler(log)
    dlt_logger = logging.getLogger("dlt")
    saved = dlt_logger.handlers, dlt_logger.propagate
    dlt_logger.handlers, dlt_logger.propagate = [handler], False
    try:
        yield
    finally:
        dlt_logger.handlers, dlt_logger.propagate = saved
