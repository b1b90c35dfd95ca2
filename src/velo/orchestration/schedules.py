"""Jobs, schedules and automation (UTC): the loads on cron (operations and sentiment daily), the
hourly FX refresh (load, FX models, FX marts republished) and the daily build declaratively after
the loads.

The build (dbt + publish) is not a cron offset guessing when the loads end: each of its assets
carries ``resources.DAILY_BUILD`` (after 02:00, once every asset it depends on was updated
since), which the ``daily_build`` sensor evaluates. In demo mode (simulated APIs) the simulated
company also advances one day each night, before the loads.
"""

import dagster as dg

from velo.orchestration import operations, sentiment, serving, warehouse
from velo.orchestration.loading import freshness_key
from velo.orchestration.resources import DAILY_BUILD_CRON, SettingsResource, step_errors
from velo.settings import Settings
from velo.warehouse.freshness import freshness_rules

PLATFORM_JOB = "platform"
BUILD_JOB = "warehouse_build"
FRESHNESS_JOB = "freshness_checks"
FX_JOB = "fx_refresh"
LOAD_CRONS = {FX_JOB: "5 * * * *", "operations_load": "15 2 * * *", "sentiment_load": "30 2 * * *"}
DEMO_TICK_CRON = "0 2 * * *"


@dg.op(description="Advance the simulated company one day (`velo sim tick --days 1`).")
def simulate_day(context: dg.OpExecutionContext, velo: SettingsResource) -> None:
    from velo.simulator.company import tick

    with step_errors("simulate one day"):
        context.log.info(f"simulated: {tick(velo.settings, days=1)}")


@dg.job(name="demo_tick", description="Demo mode: the simulated business moves on one day.")
def demo_tick() -> None:
    simulate_day()


def asset_job(name: str, selection: dg.AssetSelection, description: str) -> dg.JobDefinition:
    return dg.define_asset_job(name, selection=selection, description=description)  # type: ignore[return-value]


def scheduled(job_name: str, cron: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{job_name}_schedule",
        job_name=job_name,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def definitions(settings: Settings) -> dg.Definitions:
    groups = dg.AssetSelection.groups
    fx_refresh = dg.AssetSelection.assets(serving.FX_KEY)
    fx_job = asset_job(
        FX_JOB,
        fx_refresh.upstream(),
        "FX rates API -> raw.fx_rates -> the FX models -> the FX marts republished.",
    )
    sentiment_job = asset_job(
        "sentiment_load", groups(sentiment.SOURCE), "Sentiment function, then its load into raw."
    )
    operations_job = asset_job(
        "operations_load", groups(operations.SOURCE), "Operations DB -> raw (incremental)."
    )
    daily_build_assets = groups(warehouse.GROUP, serving.GROUP) - fx_refresh
    build_job = asset_job(
        BUILD_JOB,
        daily_build_assets,
        "dbt build (models, snapshots, tests), then publish.",
    )
    platform_job = asset_job(
        PLATFORM_JOB,
        dg.AssetSelection.all() - fx_refresh,
        "Everything once: function, loads, dbt build, publish.",
    )
    freshness_job = asset_job(
        FRESHNESS_JOB,
        dg.AssetSelection.checks(*(freshness_key(rule) for rule in freshness_rules(settings))),
        "Freshness of every source (relative to the platform clock); stale ones raise a warning.",
    )
    schedules = [
        scheduled(FRESHNESS_JOB, "45 * * * *"),
        *(scheduled(job, cron) for job, cron in LOAD_CRONS.items()),
    ]
    daily_build = dg.AutomationConditionSensorDefinition(
        "daily_build",
        target=daily_build_assets,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"dbt build and publish: {DAILY_BUILD_CRON} (UTC), after the day's loads.",
    )
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
        schedules.append(scheduled(demo_tick.name, DEMO_TICK_CRON))
    return dg.Definitions(jobs=jobs, schedules=schedules, sensors=[daily_build])
