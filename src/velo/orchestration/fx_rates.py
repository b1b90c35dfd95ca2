"""FX rates API -> raw.fx_rates: an API-facing dlt asset (retried with backoff), loaded hourly."""

from __future__ import annotations

import dagster as dg

from velo.orchestration.loading import build_freshness_checks, build_load_assets
from velo.settings import Settings

SOURCE = "fx"
TABLE = "fx_rates"


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_load_assets(settings, SOURCE, [TABLE], api_facing=True)],
        asset_checks=build_freshness_checks(settings, SOURCE),
    )
