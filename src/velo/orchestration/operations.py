"""Operations DB -> raw: one dlt asset per company table, loaded daily; freshness on orders."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from velo.orchestration.loading import Freshness, build_freshness_check, build_load_assets
from velo.settings import Settings
from velo.simulator import schema

SOURCE = "operations"
# Orders change every day; the warn threshold is the dbt source's (warn_after 26 h).
FRESHNESS = Freshness("sales_order_header", "modified_date", timedelta(hours=26))


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_load_assets(settings, SOURCE, schema.COMPANY_TABLES)],
        asset_checks=[build_freshness_check(SOURCE, FRESHNESS)],
    )
