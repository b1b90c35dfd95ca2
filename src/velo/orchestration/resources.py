"""What every orchestration module shares: the settings resource, retry policies, the pool.

Assets get the platform's :class:`~velo.settings.Settings` as the ``velo`` resource. Its
initialisation is the run's entry point (:func:`velo.runtime.platform`): it decides the run's
clock once and starts the simulated FX/news APIs when the settings still point at them (so a run
launched from the Dagster UI talks to a live API), then yields the settings with both.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from velo.secrets import scrubbed_errors
from velo.settings import Settings

SETTINGS_KEY = "velo"
# Run tag asking loads to drop their raw tables and state, and dbt to rebuild from scratch.
FULL_REFRESH_TAG = "velo/full_refresh"
# The daily build (dbt assets, publish) starts at the first automation evaluation after this tick
# at which every asset it depends on was updated since: after the day's loads, however long
# they take (dbt models and publish follow in the same run as their parents).
DAILY_BUILD_CRON = "0 2 * * *"
DAILY_BUILD = dg.AutomationCondition.on_cron(DAILY_BUILD_CRON)
# DuckDB has a single writer: every asset that writes (or reads while others write) the warehouse
# runs in this pool, whose limit is 1 (the instance's dagster.yaml sets the default pool limit).
WAREHOUSE_POOL = "warehouse"
# First retry after this many seconds, doubling each time (tests shorten it).
RETRY_DELAY_SECONDS = 2.0
# dlt's HTTP client already retries each request; these are whole-step retries on top.
API_MAX_RETRIES = 2
DBT_MAX_RETRIES = 2


@contextmanager
def step_errors(what: str) -> Iterator[None]:
    """A step's failure as one scrubbed line without its cause (the event log keeps failures);
    a dagster Failure (failing data tests: not retried) stays as it is."""
    with scrubbed_errors(what, passthrough=(dg.Failure,)):
        yield


def retry_policy(max_retries: int) -> dg.RetryPolicy:
    """Exponential backoff with jitter, for steps that meet flaky networks or locked files."""
    return dg.RetryPolicy(
        max_retries=max_retries,
        delay=RETRY_DELAY_SECONDS,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def is_full_refresh(context: dg.AssetExecutionContext) -> bool:
    return context.run.tags.get(FULL_REFRESH_TAG) == "true"


def settings_resource(settings: Settings) -> dg.ResourceDefinition:
    """The ``velo`` resource: these settings with the run's clock, and the simulated APIs
    running while the run lasts."""

    @dg.resource(description="Velo settings (run clock decided, simulated APIs started).")
    def velo_settings(_context: dg.InitResourceContext) -> Iterator[Settings]:
        from velo.runtime import platform

        with platform(settings) as live:
            yield live

    return velo_settings


def definitions(settings: Settings) -> dg.Definitions:
    from dagster_dlt import DagsterDltResource

    return dg.Definitions(
        resources={SETTINGS_KEY: settings_resource(settings), "dlt": DagsterDltResource()}
    )
