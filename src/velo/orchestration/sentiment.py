"""News API -> sentiment function -> landing zone -> raw.sentiment, daily.

The function (``velo.functions.sentiment``, a Lambda-style handler run locally) is an asset of
its own: it calls the news API, so it is retried with backoff; the dlt asset that loads its
JSONL files from the landing zone depends on it.
"""

from datetime import timedelta
from typing import Any

import dagster as dg

from velo.orchestration.loading import Freshness, build_freshness_check, build_load_assets
from velo.orchestration.resources import API_MAX_RETRIES, retry_policy, step_errors
from velo.settings import Settings

SOURCE = "sentiment"
TABLE = "sentiment"
LANDING_KEY = dg.AssetKey(["landing", "sentiment"])
# Scored daily; the warn threshold is the dbt source's (warn_after 36 h).
FRESHNESS = Freshness(TABLE, "time_published", timedelta(hours=36))
# Before the first sentiment load the function scores this many days, so the dashboard's
# 30-day sentiment line has a history from the first run on.
BACKFILL_DAYS = 30


def build_function_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=LANDING_KEY,
        group_name=SOURCE,
        kinds={"python"},
        description=(
            "The sentiment function: scores the last day's news (the last 30 days before the "
            "first load) into landing/sentiment/."
        ),
        retry_policy=retry_policy(API_MAX_RETRIES),
    )
    def sentiment_function(velo: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        from velo.functions.sentiment import run
        from velo.ingest.sentiment import loaded_until

        event: dict[str, Any] = {"source": "velo.orchestration"}
        with step_errors("sentiment function"):
            if loaded_until(velo) is None:
                event["window_hours"] = BACKFILL_DAYS * 24
            result: dict[str, Any] = run(event, velo) or {}
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
        asset_checks=[build_freshness_check(SOURCE, FRESHNESS)],
    )
