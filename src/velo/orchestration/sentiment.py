"""News API -> sentiment function -> landing zone -> raw.sentiment, daily.

The function (``velo.functions.sentiment``, a Lambda-style handler run locally) is an asset of
its own: it calls the news API, so it is retried with backoff; the dlt asset that loads its
JSONL files from the landing zone depends on it.
"""

from contextlib import suppress
from datetime import datetime
from typing import Any

import dagster as dg

from velo import clock
from velo.orchestration.loading import build_freshness_checks, build_load_assets
from velo.orchestration.resources import (
    API_MAX_RETRIES,
    SettingsResource,
    retry_policy,
    step_errors,
)
from velo.settings import Settings

SOURCE = "sentiment"
TABLE = "sentiment"
LANDING_KEY = dg.AssetKey(["landing", "sentiment"])
# Before the first sentiment load the function scores this many days, so the dashboard's
# 30-day sentiment line has a history from the first run on.
BACKFILL_DAYS = 30
DAY_HOURS = 24
LANDING_FILE_NAME = "sentiment_%Y%m%dT%H%M%SZ.jsonl"  # velo.functions.sentiment names them so


def last_scored_at(settings: Settings, before: datetime) -> datetime | None:
    """The run time of the newest landing file (its name holds it) before ``before``, None
    before the first."""
    from velo.landing import landing_fs

    fs, root = landing_fs(settings)
    names = [path.rsplit("/", 1)[-1] for path in fs.glob(f"{root}/sentiment/dt=*/*.jsonl")]
    times = []
    for name in names:
        with suppress(ValueError):
            times.append(datetime.strptime(name, LANDING_FILE_NAME))
    return max((time for time in times if time < before), default=None)


def window_hours(settings: Settings) -> float:
    """Score from the last run on (a day missed while the news API was down is not lost):
    at least a day, at most (and before the first run) BACKFILL_DAYS.

    A rerun for the same run time rewrites that run's file: its window starts where the run
    before it ended, so the rerun writes the same items (a first run's backfill included)
    rather than replacing them with one day."""
    now = clock.now(settings)
    last = last_scored_at(settings, before=now.replace(microsecond=0))
    if last is None:
        return BACKFILL_DAYS * 24
    hours = (now - last).total_seconds() / 3600
    return min(max(hours, DAY_HOURS), BACKFILL_DAYS * 24)


def build_function_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=LANDING_KEY,
        group_name=SOURCE,
        kinds={"python"},
        description=(
            "The sentiment function: scores the news since its last run (at least a day; the "
            "last 30 days before the first) into landing/sentiment/."
        ),
        retry_policy=retry_policy(API_MAX_RETRIES),
    )
    def sentiment_function(velo: SettingsResource) -> dg.MaterializeResult:
        from velo.functions.sentiment import run

        with step_errors("sentiment function"):
            event = {"source": "velo.orchestration", "window_hours": window_hours(velo.settings)}
            result: dict[str, Any] = run(event, velo.settings) or {}
        return dg.MaterializeResult(
            metadata={k: v for k, v in result.items() if isinstance(v, int | float | str)}
        )

    return sentiment_function


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            build_function_asset(),
            build_load_assets(settings, SOURCE, [TABLE], upstream=[LANDING_KEY]),
        ],
        asset_checks=build_freshness_checks(settings, SOURCE),
    )
