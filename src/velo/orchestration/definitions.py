"""The Dagster code location: assembles what each module registers, nothing more.

``dagster dev -m velo.orchestration.definitions`` (``velo dagster``) loads ``defs``; ``velo run``
and the tests call :func:`build_definitions` with their own settings.
"""

from __future__ import annotations

import dagster as dg

from velo import secrets
from velo.orchestration import (
    alerts,
    fx_rates,
    operations,
    resources,
    schedules,
    sentiment,
    serving,
    warehouse,
)
from velo.settings import Settings, load_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions.merge(
        sentiment.definitions(settings),
        operations.definitions(settings),
        fx_rates.definitions(settings),
        warehouse.definitions(settings),
        serving.definitions(settings),
        schedules.definitions(settings),
        alerts.definitions(settings),
        resources.definitions(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    secrets.install()  # the code server's log records pass the scrubbing point too
    return build_definitions(load_settings())
