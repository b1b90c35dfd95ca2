"""The serving DB as an asset: after a green dbt build, publish the marts atomically.

It runs in the warehouse pool: it reads the warehouse file, which must not be mid-write. A failed
build or a failing data test fails its upstream step, so this asset does not run and the serving
file that readers (dashboard, answers) use stays as it was.
"""

from dataclasses import asdict, is_dataclass
from typing import Any

import dagster as dg

from velo.orchestration.resources import WAREHOUSE_POOL, step_errors
from velo.orchestration.warehouse import mart_keys, velo_location
from velo.settings import Settings

KEY = dg.AssetKey("serving_db")
GROUP = "serving"


def report_metadata(report: Any) -> dict[str, Any]:
    """The publish report's simple fields as asset metadata."""
    fields = asdict(report) if is_dataclass(report) else dict(report or {})
    return {
        key: value if isinstance(value, int | float | str) else str(value)
        for key, value in fields.items()
        if value is not None
    }


def build_serving_asset(deps: list[dg.AssetKey], dashboard_url: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEY,
        group_name=GROUP,
        deps=deps,
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description="Read-only copy of the marts for dashboard and answers, swapped atomically. "
        f"Dashboard (`velo dashboard`): {dashboard_url}",
        metadata={"dashboard": dg.MetadataValue.url(dashboard_url)},
    )
    def serving_db(velo: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        from velo.serving.publish import publish

        with step_errors("publish"):
            report = publish(velo)
        return dg.MaterializeResult(
            metadata={
                **report_metadata(report),
                "dashboard": dg.MetadataValue.url(velo.dashboard_url),
            }
        )

    return serving_db


def definitions(settings: Settings) -> dg.Definitions:
    deps = mart_keys(velo_location(settings))
    return dg.Definitions(assets=[build_serving_asset(deps, settings.dashboard_url)])
