"""The dbt project as assets (dagster-dbt): models and snapshots, with dbt tests as asset checks.

One op runs ``dbt build``; its dbt sources are the ``raw/<table>`` dlt assets, so the lineage
runs from the loads through the models. A failed attempt is retried (exponential backoff) with
``dbt retry``, which re-runs only the nodes that errored or were skipped. Failing data tests are
not retried — the data will not change by waiting — and stop the run before publish.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from velo.errors import VeloError
from velo.orchestration.resources import (
    DBT_MAX_RETRIES,
    WAREHOUSE_POOL,
    is_full_refresh,
    retry_policy,
)
from velo.settings import Settings

GROUP = "warehouse"
OP_NAME = "dbt_build"
MARTS = "marts"


class VeloDbtTranslator(DagsterDbtTranslator):
    """dbt nodes -> assets in the ``warehouse`` group; sources keep ``<source>/<table>`` keys."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self.get_resource_props(manifest, unique_id)["resource_type"] == "source":
            return spec
        return spec.replace_attributes(group_name=GROUP)


TRANSLATOR = VeloDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_project(settings: Settings) -> DbtProject:
    """The project with its manifest parsed (again only when a project file changed)."""
    from velo.warehouse.runner import DBT_PROJECT_DIR, prepare_dbt

    prepare_dbt(settings)
    return DbtProject(project_dir=DBT_PROJECT_DIR, **dbt_locations(settings))


def dbt_locations(settings: Settings) -> dict[str, Any]:
    from velo.warehouse.runner import dbt_profiles_dir, dbt_target_dir

    return {"profiles_dir": dbt_profiles_dir(settings), "target_path": dbt_target_dir(settings)}


def dbt_resource(settings: Settings) -> DbtCliResource:
    from velo.warehouse.runner import DBT_PROJECT_DIR, dbt_profiles_dir

    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(dbt_profiles_dir(settings))
    )


def attempt_dir(settings: Settings, context: dg.AssetExecutionContext) -> Path:
    """One target dir per run, shared by its attempts: `dbt retry` reads the last attempt's."""
    from velo.warehouse.runner import dbt_target_dir

    return Path(dbt_target_dir(settings)) / "runs" / context.run.run_id[:8]


def as_result(event: Any) -> Any:
    """dbt events streamed without an asset context -> results this asset op may yield."""
    if isinstance(event, dg.AssetMaterialization):
        return dg.MaterializeResult(asset_key=event.asset_key, metadata=event.metadata)
    if isinstance(event, dg.AssetCheckEvaluation):
        return dg.AssetCheckResult(
            asset_key=event.asset_key,
            check_name=event.check_name,
            passed=event.passed,
            severity=event.severity,
            metadata=event.metadata,
        )
    return event


def outcome_error(invocation: Any) -> Exception | None:
    """Errored nodes -> retryable error; only failing tests -> a Failure that is not retried."""
    results = invocation.get_artifact("run_results.json").get("results", [])
    errored = [r["unique_id"].split(".")[-1] for r in results if r["status"] == "error"]
    failed = [r["unique_id"].split(".")[-1] for r in results if r["status"] == "fail"]
    if errored:
        return VeloError(f"dbt build: {len(errored)} node(s) errored: {', '.join(errored[:5])}")
    if failed:
        return dg.Failure(
            description=f"dbt build: {len(failed)} data test(s) failed: {', '.join(failed[:5])}",
            allow_retries=False,
        )
    return None if invocation.is_successful() else VeloError("dbt build failed (see dbt log)")


def run_dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: Settings,
    vars_args: list[str],
) -> Iterator[Any]:
    target = attempt_dir(settings, context)
    if context.retry_number > 0 and (target / "run_results.json").exists():
        context.log.info(f"attempt {context.retry_number + 1}: dbt retry (failed nodes only)")
        # `dbt retry` takes no node selection, so it runs without the asset context (which
        # would add one); its events are turned into this op's results.
        invocation = dbt.cli(
            ["retry", *vars_args],
            manifest=manifest_of(context),
            dagster_dbt_translator=TRANSLATOR,
            target_path=target,
            raise_on_error=False,
        )
        yield from (as_result(event) for event in invocation.stream())
    else:
        args = ["build", *vars_args, *(["--full-refresh"] if is_full_refresh(context) else [])]
        invocation = dbt.cli(args, context=context, target_path=target, raise_on_error=False)
        yield from invocation.stream()
    error = outcome_error(invocation)
    if error is not None:
        raise error


def manifest_of(context: dg.AssetExecutionContext) -> Mapping[str, Any]:
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

    manifest, _translator, _project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    return manifest


def build_dbt_assets(settings: Settings) -> dg.AssetsDefinition:
    from velo.warehouse.runner import dbt_vars_args

    project = dbt_project(settings)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=OP_NAME,
        dagster_dbt_translator=TRANSLATOR,
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy(DBT_MAX_RETRIES),
    )
    def dbt_build(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, velo: dg.ResourceParam[Settings]
    ) -> Iterator[Any]:
        yield from run_dbt_build(context, dbt, velo, dbt_vars_args(velo))

    return dbt_build


def mart_keys(assets: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The keys of the dbt models under models/marts/ — what the serving DB publishes."""
    return [
        key
        for key in assets.keys
        if MARTS in (assets.specs_by_key[key].metadata.get("dagster_dbt/fqn") or [])
        or key.path[0] == MARTS
    ]


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_dbt_assets(settings)], resources={"dbt": dbt_resource(settings)}
    )
