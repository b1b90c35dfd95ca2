"""Operations DB -> raw: one dlt asset per table of the source contract, loaded daily;
freshness where the dbt source declares it (orders)."""

from __future__ import annotations

import dagster as dg

from velo.ingest.contract import source_contract
from velo.orchestration.loading import build_freshness_checks, build_load_assets
from velo.settings import Settings

SOURCE = "operations"


def definitions(settings: Settings) -> dg.Definitions:
    tables = tuple(table.name for table in source_contract(settings))
    return dg.Definitions(
        assets=[build_load_assets(settings, SOURCE, tables)],
        asset_checks=build_freshness_checks(settings, SOURCE),
    )
