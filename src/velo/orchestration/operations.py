"""Operations DB -> raw: one dlt asset per table of the source contract, loaded daily;
freshness on orders."""

from __future__ import annotations

import dagster as dg

from velo.ingest.contract import DEFAULT_CURSOR, IDENTITY_TABLE, source_contract
from velo.orchestration.loading import Freshness, build_freshness_check, build_load_assets
from velo.settings import Settings
from velo.warehouse.runner import source_warn_after

SOURCE = "operations"
# Orders change every day; stale after the dbt source's warn_after.
FRESHNESS = Freshness(IDENTITY_TABLE, DEFAULT_CURSOR, source_warn_after(SOURCE))


def definitions(settings: Settings) -> dg.Definitions:
    tables = tuple(table.name for table in source_contract(settings))
    return dg.Definitions(
        assets=[build_load_assets(settings, SOURCE, tables)],
        asset_checks=[build_freshness_check(SOURCE, FRESHNESS)],
    )
