"""FX rates API -> raw.fx_rates: an API-facing dlt asset (retried with backoff), loaded hourly."""

from __future__ import annotations

import dagster as dg

from velo.orchestration.loading import Freshness, build_freshness_check, build_load_assets
from velo.settings import Settings
from velo.warehouse.runner import source_warn_after

SOURCE = "fx"
TABLE = "fx_rates"
# Loaded hourly; stale after the dbt source's warn_after.
FRESHNESS = Freshness(TABLE, "rate_at", source_warn_after(SOURCE))


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_load_assets(settings, SOURCE, [TABLE], api_facing=True)],
        asset_checks=[build_freshness_check(SOURCE, FRESHNESS)],
    )
