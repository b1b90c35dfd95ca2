"""Jobs and schedules (UTC): fx hourly, operations and sentiment daily, then the daily build.

The build (dbt + publish) runs after the daily loads; in demo mode (simulated APIs) the
simulated company also advances one day each night, before the loads.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)

from velo.orchestration import fx_rates, operations, sentiment
from velo.orchestration.loading import FRESHNESS_CHECK, raw_key
from velo.orchestration.resources import step_errors
from velo.settings import Settings

WAREHOUSE_GROUP = "warehouse"
SERVING_GROUP = "serving"
PLATFORM_JOB = "platform"
BUILD_JOB = "warehouse_build"
FRESHNESS_JOB = "freshness_checks"
FX_JOB = "fx_load"
FRESHNESS_SOURCES = (operations, fx_rates, sentiment)


@dg.op(description="Advance the simulated company one day (`velo sim tick --days 1`).")
def simulate_day(context: dg.OpExecutionContext, velo: dg.ResourceParam[Settings]) -> None:
    from velo.simulator.company import tick

    with step_errors("simulate one day"):
        context.log.info(f"simulated: {tick(velo, days=1)}")


@dg.job(name="demo_tick", description="Demo mode: the simulated business moves on one day.")
def demo_tick() -> None:
    simulate_day()


def asset_job(name: str, selection: dg.AssetSelection, description: str) -> AssetJob:
    return dg.define_asset_job(name, selection=selection, description=description)


def scheduled(job: AssetJob | dg.JobDefinition, cron: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def definitions(settings: Settings) -> dg.Definitions:
    groups = dg.AssetSelection.groups
    fx_job = asset_job(FX_JOB, groups(fx_rates.SOURCE), "FX rates API -> raw.fx_rates.")
    sentiment_job = asset_job(
        "sentiment_load", groups(sentiment.SOURCE), "Sentiment function, then its load into raw."
    )
    operations_job = asset_job(
        "operations_load", groups(operations.SOURCE), "Operations DB -> raw (incremental)."
    )
    build_job = asset_job(
        BUILD_JOB,
        groups(WAREHOUSE_GROUP, SERVING_GROUP),
        "dbt build (models, snapshots, tests), then publish.",
    )
    platform_job = asset_job(
        PLATFORM_JOB,
        dg.AssetSelection.all(),
        "Everything once: function, loads, dbt build, publish.",
    )
    freshness_job = asset_job(
        FRESHNESS_JOB,
        dg.AssetSelection.checks(
            *(
                dg.AssetCheckKey(raw_key(m.FRESHNESS.table), FRESHNESS_CHECK)
                for m in FRESHNESS_SOURCES
            )
        ),
        "Freshness of every source (relative to the platform clock); stale ones raise a warning.",
    )
    schedules = [
        scheduled(freshness_job, "45 * * * *"),
        scheduled(fx_job, "5 * * * *"),
        scheduled(operations_job, "15 2 * * *"),
        scheduled(sentiment_job, "30 2 * * *"),
        scheduled(build_job, "0 3 * * *"),
    ]
    jobs: list = [
        demo_tick,
        freshness_job,
        fx_job,
        sentiment_job,
        operations_job,
        build_job,
        platform_job,
    ]
    if settings.uses_simulated_apis:  # demo mode: the simulated business moves on nightly
        schedules.append(scheduled(demo_tick, "0 2 * * *"))
    return dg.Definitions(jobs=jobs, schedules=schedules)
