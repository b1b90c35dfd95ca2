"""The dbt project as assets (dagster-dbt): models and snapshots, with dbt tests as asset checks.

One op runs ``dbt build``; its dbt sources are the ``raw/<table>`` dlt assets, so the lineage
runs from the loads through the models. A failed attempt is retried (exponential backoff) with
``dbt retry``, which re-runs only the nodes that errored or were skipped. Failing data tests are
not retried — the data will not change by waiting — and stop the run before publish.

A build of the whole project whose inputs (raw's rows, the project, the warehouse:
:mod:`velo.warehouse.build_inputs`) are those the serving DB was published from builds nothing:
the op materialises no asset, so publishing and its checks are skipped too. `velo run` asks the
same question (:func:`is_served`) after its loads and then does not start the build at all, so a
run with nothing new costs its loads.
"""

import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    DbtProjectPreparer,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_shared.record import replace
from packaging import version

from velo.errors import VeloError
from velo.orchestration.resources import (
    DAILY_BUILD,
    DBT_MAX_RETRIES,
    WAREHOUSE_POOL,
    SettingsResource,
    is_full_refresh,
    retry_policy,
    step_errors,
)
from velo.settings import Settings
from velo.warehouse.build_inputs import (
    Inputs,
    build_inputs,
    forget_built,
    is_published,
    record_built,
)
from velo.warehouse.rebuild import (
    DROP_SNAPSHOTS,
    announcement,
    clear_rebuild,
    requested_rebuild,
)
from velo.warehouse.run_results import RUN_RESULTS, record_run, with_status
from velo.warehouse.runner import dbt_env, environment, forget_stale_partial_parse

GROUP = "warehouse"
OP_NAME = "dbt_build"
MARTS = "marts"


class VeloDbtTranslator(DagsterDbtTranslator):
    """dbt nodes -> assets in the ``warehouse`` group; sources -> ``<schema>/<table>`` keys."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            # The table the source reads, e.g. raw/salesorderheader: the dlt asset's key.
            return spec.replace_attributes(key=[props["schema"], props["identifier"]])
        return spec.replace_attributes(group_name=GROUP, automation_condition=DAILY_BUILD)


TRANSLATOR = VeloDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# What one dbt call needs from the settings: the environment variables its profile and macros read.
DbtEnv = dict[str, str]


class VeloDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two per-invocation costs this platform never uses.

    Each ``cli()`` call otherwise runs ``dbt --version`` in a subprocess (~2 s; the installed
    dbt-core's version is known) and builds an in-process dbt adapter (~2.5 s; needed only to
    fetch row counts or column metadata, which these assets do not).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


@dataclass(frozen=True)
class DbtLocation:
    """Where the dbt project, its profiles and its target dir (manifest, run results) are."""

    project_dir: Path
    profiles_dir: Path
    target_dir: Path
    target: str | None = None  # the profile's output; None = the profile's default
    preparer: DbtProjectPreparer | None = None  # None: the manifest is prepared by the caller

    def project(self) -> DbtProject:
        project = DbtProject(
            project_dir=self.project_dir,
            profiles_dir=self.profiles_dir,
            target_path=self.target_dir,
            target=self.target,
        )
        if self.preparer is None:
            return project
        # DbtProject takes no preparer argument: swapped in as records are (`_replace`).
        return replace(project, preparer=self.preparer)

    def resource(self) -> DbtCliResource:
        return VeloDbtCliResource(
            # The venv's dbt, also when the venv is not activated (`.venv/bin/velo run`).
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
            project_dir=str(self.project_dir),
            profiles_dir=str(self.profiles_dir),
            target=self.target,
        )


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


def outcome_error(invocation: DbtCliInvocation, results: dict[str, Any]) -> Exception | None:
    """Errored nodes -> a retryable error; only failing tests -> a Failure that is not retried."""
    errored = with_status(results, {"error"})
    failed = with_status(results, {"fail"})
    if errored:
        return VeloError(f"dbt build: {len(errored)} node(s) errored: {', '.join(errored[:5])}")
    if failed:
        return dg.Failure(
            description=f"dbt build: {len(failed)} data test(s) failed: {', '.join(failed[:5])}",
            allow_retries=False,
        )
    return None if invocation.is_successful() else VeloError("dbt build failed (see the dbt log)")


def manifest_of(context: dg.AssetExecutionContext) -> Mapping[str, Any]:
    manifest, _translator, _project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    return manifest


def source_tables(manifest: Mapping[str, Any]) -> list[str]:
    """The raw tables the project reads (its dbt sources' identifiers)."""
    return sorted({source["identifier"] for source in manifest["sources"].values()})


def current_inputs(settings: Settings, project_dir: Path, manifest: Mapping[str, Any]) -> Inputs:
    """The inputs a build of the whole project would have now."""
    from velo.ingest.runner import raw_versions

    raw = raw_versions(settings, source_tables(manifest))
    return build_inputs(settings, project_dir, raw)


def inputs_to_record(
    context: dg.AssetExecutionContext, settings: Settings, project_dir: Path
) -> Inputs | None:
    """This build's inputs, when it is a first attempt at the whole project (only such a build
    describes every mart; a retry resumes an earlier attempt)."""
    if context.retry_number > 0 or context.is_subset:
        return None
    return current_inputs(settings, project_dir, manifest_of(context))


def is_served(settings: Settings, inputs: Inputs) -> bool:
    """A build of the whole project from ``inputs`` would change nothing that is served: no
    rebuild was requested, and the serving DB was published from a build of these inputs."""
    return requested_rebuild(settings) is None and is_published(settings, inputs)


def nothing_to_build(settings: Settings) -> bool:
    """:func:`is_served` for the project as it is prepared now (False without a readable
    manifest: the build will say why)."""
    from velo.warehouse.runner import read_manifest

    location = velo_location(settings)
    manifest = read_manifest(location.target_dir)
    if manifest is None:
        return False
    return is_served(settings, current_inputs(settings, location.project_dir, manifest))


def run_dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: Settings,
    location: DbtLocation,
    env: DbtEnv,
) -> Iterator[Any]:
    """`dbt build` on the first attempt; `dbt retry` (failed and skipped nodes) on later ones;
    nothing when the serving DB was published from these very inputs. After raw was reloaded
    from another operations source, a build of the whole project starts from scratch."""
    inputs = inputs_to_record(context, settings, location.project_dir)
    from_scratch = None if context.is_subset else requested_rebuild(settings)
    if inputs is not None and not is_full_refresh(context) and is_served(settings, inputs):
        context.log.info(
            "raw, the dbt project and the warehouse are as the serving DB was published from: "
            "nothing to build"
        )
        return
    forget_built(settings)
    target = location.target_dir
    forget_stale_partial_parse(target, location.project_dir)
    results = target / RUN_RESULTS
    if context.retry_number == 0:
        results.unlink(missing_ok=True)  # so a retry never resumes some older run
    if context.retry_number > 0 and results.exists():
        context.log.info(f"attempt {context.retry_number + 1}: dbt retry (failed nodes only)")
        # `dbt retry` takes no node selection, so it runs without the asset context (which
        # would add one); its events become this op's results.
        with environment(env):
            run = dbt.cli(
                ["retry"],
                manifest=manifest_of(context),
                dagster_dbt_translator=TRANSLATOR,
                target_path=target,
                raise_on_error=False,
            )
        yield from (as_result(event) for event in run.stream())
    else:
        if from_scratch is not None:
            context.log.warning(announcement(from_scratch))
            drop_snapshots(context, dbt, location, env)
        args = [
            "build",
            # dbt's advice: unit tests' inputs are fixed, so they run in development and CI
            # (`velo transform`, the suite), not again in every scheduled build.
            "--exclude-resource-type",
            "unit_test",
            *(["--full-refresh"] if is_full_refresh(context) or from_scratch else []),
        ]
        with environment(env):
            run = dbt.cli(args, context=context, target_path=target, raise_on_error=False)
        yield from run.stream()
    results = run.get_artifact(RUN_RESULTS)
    # Before anything is raised: publishing, this run's or a later one, is gated on the record.
    record_run(settings, results, target_dir=target)
    error = outcome_error(run, results)
    if error is not None:
        raise error
    if from_scratch is not None:
        clear_rebuild(settings)
    if inputs is not None:
        record_built(settings, inputs)


def drop_snapshots(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, location: DbtLocation, env: DbtEnv
) -> None:
    """The snapshots dropped, so the build creates them from the new source (a retryable error
    if dbt could not)."""
    with environment(env):
        run = dbt.cli(
            list(DROP_SNAPSHOTS),
            manifest=manifest_of(context),
            target_path=location.target_dir,
            raise_on_error=False,
        ).wait()
    # The operation's run results would otherwise be what a retry after a failed build resumes.
    (location.target_dir / RUN_RESULTS).unlink(missing_ok=True)
    if not run.is_successful():
        raise VeloError("dbt run-operation drop_snapshots failed (see the dbt log)")


def build_dbt_assets(
    location: DbtLocation, env_of: Callable[[Settings], DbtEnv]
) -> dg.AssetsDefinition:
    """One op running the whole project; its manifest must exist (``dbt parse``)."""
    project = location.project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=OP_NAME,
        dagster_dbt_translator=TRANSLATOR,
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy(DBT_MAX_RETRIES),
    )
    def dbt_build(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, velo: SettingsResource
    ) -> Iterator[Any]:
        with step_errors("dbt build"):
            yield from run_dbt_build(context, dbt, velo.settings, location, env_of(velo.settings))

    return dbt_build


def mart_keys(location: DbtLocation) -> list[dg.AssetKey]:
    """The keys of the dbt models under models/marts/ — what the serving DB publishes."""
    from velo.warehouse.runner import read_manifest

    project = location.project()
    manifest = read_manifest(project.target_path)
    if manifest is None:
        raise VeloError(f"no readable dbt manifest in {project.target_path}: run `dbt parse`")
    return [
        TRANSLATOR.get_asset_spec(manifest, unique_id, project).key
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and MARTS in node["fqn"]
    ]


class VeloProjectPreparer(DbtProjectPreparer):
    """dagster-dbt's preparation step for this project: ``dbt deps`` (the local package) and
    ``dbt parse``, recorded with the digest of the project files and the adapter parsed for.

    ``prepare`` runs at deploy time (``dagster-dbt project prepare-and-package``, see
    :mod:`velo.orchestration.dbt_project` and docker/Dockerfile). ``prepare_if_dev`` runs
    whenever definitions load (``velo run``, ``velo dagster``, the code server) and parses only
    when the manifest does not describe the project as it is: edited by a developer, or prepared
    for another warehouse.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def prepare_if_dev(self, project: DbtProject) -> None:
        from velo.warehouse import runner

        if manifest_is_current(project, self.settings.warehouse):
            runner.ensure_packages(self.settings)
        else:
            self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        from velo.warehouse import runner

        runner.prepare_dbt(self.settings)  # `dbt parse` (~3 s)
        runner.record_parsed(project.target_path, project.project_dir, self.settings.warehouse)


def prepared_path(project: DbtProject) -> Path:
    from velo.warehouse.runner import PREPARED

    return project.target_path / PREPARED


def prepared_for(project: DbtProject, adapter: str) -> dict[str, str]:
    from velo.warehouse.runner import parsed_for

    return parsed_for(project.project_dir, adapter)


def manifest_is_current(project: DbtProject, adapter: str) -> bool:
    """A whole manifest parsed for this adapter from the project's files as they are now
    (:func:`velo.warehouse.runner.manifest_is_current`: a manifest cut short by a killed build
    is not)."""
    from velo.warehouse import runner

    return runner.manifest_is_current(project.target_path, project.project_dir, adapter)


def velo_location(settings: Settings) -> DbtLocation:
    """The platform's dbt project (where its profiles and target are), not prepared."""
    from velo.warehouse import runner

    return DbtLocation(
        project_dir=Path(runner.DBT_PROJECT_DIR),
        profiles_dir=Path(runner.dbt_profiles_dir(settings)),
        target_dir=Path(runner.dbt_target_dir(settings)),
        preparer=VeloProjectPreparer(settings),
    )


def prepared_location(settings: Settings) -> DbtLocation:
    """The platform's dbt project with a manifest that describes it (parsed if it did not)."""
    location = velo_location(settings)
    location.project().prepare_if_dev()
    return location


def definitions(settings: Settings) -> dg.Definitions:
    location = prepared_location(settings)
    return dg.Definitions(
        assets=[build_dbt_assets(location, dbt_env)], resources={"dbt": location.resource()}
    )
