"""The serving DB as an asset: after a green dbt build, publish the marts atomically.

It runs in the warehouse pool: it reads the warehouse file, which must not be mid-write. A failed
build or a failing data test fails its upstream step, so this asset does not run and the serving
file that readers (dashboard, answers) use stays as it was; materialised alone (from the UI),
publish itself refuses while any dbt node's latest run failed (however many green subset builds,
such as the hourly FX refresh's, ran since). After each publish, the check
``reconciles_with_source`` recomputes the headline figures from the operations DB (`velo
reconcile`); a difference fails it, and failed checks are alerted. A run in which dbt had
nothing to build (nothing changed since the last publish) skips both.

``serving_fx_rates`` is the hourly FX refresh's publish: the FX marts replaced in a copy of the
serving DB (the rest stays as the daily build published it), so the dashboard's EUR->USD rate is
never more than an hour old.
"""

from dataclasses import asdict, is_dataclass
from typing import Any

import dagster as dg

from velo.orchestration.resources import (
    DAILY_BUILD,
    WAREHOUSE_POOL,
    SettingsResource,
    step_errors,
)
from velo.orchestration.warehouse import mart_keys, prepared_location
from velo.settings import Settings

KEY = dg.AssetKey("serving_db")
FX_KEY = dg.AssetKey("serving_fx_rates")
GROUP = "serving"
# Both publishing assets write the serving file from the warehouse: in the writers' pool.
PUBLISHING: dict[str, Any] = {"group_name": GROUP, "kinds": {"duckdb"}, "pool": WAREHOUSE_POOL}


def report_metadata(report: Any) -> dict[str, Any]:
    """The publish report's simple fields as asset metadata."""
    fields = asdict(report) if is_dataclass(report) else dict(report or {})
    return {key: metadata_value(value) for key, value in fields.items() if value is not None}


def metadata_value(value: Any) -> int | float | str:
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def build_serving_asset(deps: list[dg.AssetKey], dashboard_url: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEY,
        deps=deps,
        automation_condition=DAILY_BUILD,
        description="Read-only copy of the marts for dashboard and answers, swapped atomically. "
        f"Dashboard (`velo dashboard`): {dashboard_url}",
        metadata={"dashboard": dg.MetadataValue.url(dashboard_url)},
        **PUBLISHING,
    )
    def serving_db(velo: SettingsResource) -> dg.MaterializeResult:
        from velo.serving.publish import publish
        from velo.warehouse.build_inputs import mark_published

        with step_errors("publish"):
            report = publish(velo.settings)
        mark_published(velo.settings)
        return dg.MaterializeResult(
            metadata={
                **report_metadata(report),
                "dashboard": dg.MetadataValue.url(velo.settings.dashboard_url),
            }
        )

    return serving_db


def build_fx_refresh_asset(deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=FX_KEY,
        deps=deps,
        description="The hourly FX refresh: the FX marts replaced in a copy of the serving DB.",
        **PUBLISHING,
    )
    def serving_fx_rates(velo: SettingsResource) -> dg.MaterializeResult:
        from velo.serving.publish import FX_MARTS, publish

        with step_errors("publish FX rates"):
            report = publish(velo.settings, FX_MARTS, keep_published=True)
        return dg.MaterializeResult(metadata=report_metadata(report))

    return serving_fx_rates


@dg.asset_check(
    asset=KEY,
    name="reconciles_with_source",
    description="The headline figures served equal those computed from the operations DB.",
    blocking=False,
)
def reconciles_with_source(velo: SettingsResource) -> dg.AssetCheckResult:
    from velo.serving.reconcile import reconcile

    as_of, compared, found = reconcile(velo.settings)
    return dg.AssetCheckResult(
        passed=not found,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(found)} of {compared} figures differ as of {as_of}"
            if found
            else f"{compared} figures equal the operations DB's as of {as_of}"
        ),
        metadata={
            "as_of": as_of.isoformat(),
            "figures": compared,
            "differences": "; ".join(
                f"{d.figure} {d.key}: {d.source:.2f} vs {d.served:.2f}" for d in found[:10]
            ),
        },
    )


def definitions(settings: Settings) -> dg.Definitions:
    from velo.serving.publish import FX_MARTS

    marts = mart_keys(prepared_location(settings))
    fx_marts = [key for key in marts if key.path[-1] in FX_MARTS]
    return dg.Definitions(
        assets=[
            build_serving_asset(marts, settings.dashboard_url),
            build_fx_refresh_asset(fx_marts),
        ],
        asset_checks=[reconciles_with_source],
    )
