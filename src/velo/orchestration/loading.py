"""dlt assets (dagster-dlt) for one source system, and the freshness check on what it loaded.

Asset keys are ``raw/<table>``, exactly the dbt sources' keys (source ``raw``), so dlt loads and
dbt models form one lineage graph. The dlt source that defines the assets at load time is a
stand-in with one empty resource per raw table: the real source needs a live operations DB or
API, which only exists while a run lasts; the run builds it (``velo.ingest`` factories) and hands
it to :meth:`DagsterDltResource.run`, which maps its resources to the same keys.
"""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract import DltResource, DltSource

from velo import clock
from velo.errors import VeloError
from velo.ingest.runner import (
    extracted_row_counts,
    failure_reason,
    finish_pending,
    make_pipeline,
    source_factory,
)
from velo.orchestration.resources import (
    API_MAX_RETRIES,
    WAREHOUSE_POOL,
    SettingsResource,
    is_full_refresh,
    retry_policy,
    step_errors,
)
from velo.settings import Settings
from velo.warehouse.freshness import FRESH, FreshnessRule, freshness_rules, measure

RAW = "raw"
FRESHNESS_CHECK = "fresh"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW, table])


def table_of(resource: DltResource) -> str:
    name = resource.table_name
    return name if isinstance(name, str) else resource.name


@dataclass
class RawTableTranslator(DagsterDltTranslator):
    """dlt resource -> asset ``raw/<table>`` in this source system's group."""

    group: str = RAW
    upstream: Sequence[dg.AssetKey] = field(default_factory=list)

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        table = table_of(data.resource)
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=raw_key(table),
                deps=list(self.upstream),
                group_name=self.group,
                description=f"Warehouse table {RAW}.{table}, loaded by dlt from {self.group}.",
            )
        )


def stand_in_source(source_name: str, tables: Sequence[str]) -> DltSource:
    """A dlt source with one empty resource per table: the asset specs, nothing to connect to."""

    @dlt.source(name=source_name)
    def stand_in() -> list[DltResource]:
        return [dlt.resource([], name=table) for table in tables]

    return stand_in()


def load_with_dagster_dlt(
    context: dg.AssetExecutionContext,
    dlt_resource: DagsterDltResource,
    settings: Settings,
    source_name: str,
) -> Iterator[dg.MaterializeResult]:
    """Build the real source, run it through dagster-dlt, add the rows each table read."""
    loaded_at = clock.load_time()
    pipeline = make_pipeline(settings, source_name)
    # The pipeline's local state (under state_dir, beside the warehouse) is the truth, as for
    # `velo ingest`; otherwise dagster-dlt drops it and restores it from the destination on
    # every run, which costs seconds per source.
    pipeline.config.restore_from_destination = False
    # dagster-dlt drops pending packages before it runs; a killed run's package already moved
    # the incremental cursor, so dropping it would lose its rows: load it first, as `velo
    # ingest` does.
    finish_pending(pipeline)
    with source_factory(source_name)(settings, loaded_at, pipeline) as prepared:
        try:
            # A full refresh drops the source's raw tables and incremental state first; so
            # does a source that is not the one raw was loaded from (prepared.refresh).
            refresh = "drop_sources" if is_full_refresh(context) else prepared.refresh
            run = dlt_resource.run(
                context=context,
                dlt_source=prepared.source_to_run(refresh),
                dlt_pipeline=pipeline,
                **({"refresh": refresh} if refresh else {}),
            )
            results = list(run)
        except Exception as exc:
            reason = failure_reason(exc, prepared)
            raise VeloError(f"{source_name} ({prepared.where}): {reason}") from None
        prepared.after_load()
        rows_read = extracted_row_counts(pipeline)
        reconciled = reconcile_after_load(context, settings, source_name, loaded_at)
        for result in [*results, *unchanged_results(context, prepared.unchanged, results)]:
            table = result.asset_key.path[-1]
            yield dg.MaterializeResult(
                asset_key=result.asset_key,
                metadata={
                    **(result.metadata or {}),
                    "rows_read": dg.MetadataValue.int(rows_read.get(table, 0)),
                    "quarantined": dg.MetadataValue.int(len(prepared.quarantined)),
                    **reconciled,
                },
            )


def reconcile_after_load(
    context: dg.AssetExecutionContext, settings: Settings, source_name: str, loaded_at: datetime
) -> dict[str, str]:
    """The operations load ends with the reconciliation with the source (deletes, un-bumped
    changes); what it repaired goes to the log and the tables' metadata."""
    if source_name != "operations":
        return {}
    from velo.ingest.reconcile import reconcile_raw

    summary = reconcile_raw(settings, loaded_at).summary()
    context.log.info(summary)
    return {"reconciled": summary}


def unchanged_results(
    context: dg.AssetExecutionContext,
    unchanged: Collection[str],
    loaded: Sequence[dg.MaterializeResult],
) -> list[dg.MaterializeResult]:
    """The selected tables left out of the load because the source holds the rows raw has:
    materialised all the same (the run confirmed they are current; downstream steps need every
    input), with nothing read."""
    done = {result.asset_key for result in loaded}
    return [
        dg.MaterializeResult(asset_key=raw_key(table), metadata={"unchanged": True})
        for table in sorted(unchanged)
        if raw_key(table) in context.selected_asset_keys and raw_key(table) not in done
    ]


def build_load_assets(
    settings: Settings,
    source_name: str,
    tables: Sequence[str],
    *,
    upstream: Sequence[dg.AssetKey] = (),
    api_facing: bool = False,
) -> dg.AssetsDefinition:
    """The dlt assets of one source system: one ``raw/<table>`` asset per table, one op.

    ``build_dlt_asset_specs`` + ``multi_asset`` is what ``@dlt_assets`` does, plus a retry
    policy (exponential backoff) for sources that call outside APIs.
    """
    specs = build_dlt_asset_specs(
        dlt_source=stand_in_source(source_name, tables),
        dlt_pipeline=make_pipeline(settings, source_name),
        dagster_dlt_translator=RawTableTranslator(group=source_name, upstream=list(upstream)),
    )

    @dg.multi_asset(
        name=f"load_{source_name}",
        specs=specs,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        retry_policy=retry_policy(API_MAX_RETRIES) if api_facing else None,
    )
    def load(
        context: dg.AssetExecutionContext, dlt: DagsterDltResource, velo: SettingsResource
    ) -> Iterator[dg.MaterializeResult]:
        with step_errors(source_name):
            yield from load_with_dagster_dlt(context, dlt, velo.settings, source_name)

    return load


def freshness_key(rule: FreshnessRule) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey([rule.schema, rule.table]), FRESHNESS_CHECK)


def evaluate_freshness(settings: Settings, rule: FreshnessRule) -> dg.AssetCheckResult:
    """Passed, or a WARN result saying how old the newest data is on the platform clock
    (:mod:`velo.warehouse.freshness`, as `velo freshness` and data health judge it)."""
    (verdict,) = measure(settings, [rule], clock.now(settings))
    return dg.AssetCheckResult(
        asset_key=freshness_key(rule).asset_key,
        passed=verdict.status == FRESH,
        severity=dg.AssetCheckSeverity.WARN,
        description=verdict.describe(),
        metadata={
            "column": rule.column,
            "latest": str(verdict.newest),
            "now": verdict.now.isoformat(sep=" "),
            "age_hours": verdict.age_hours,
            "max_age_hours": verdict.warn_after_hours,
        },
    )


def build_freshness_check(rule: FreshnessRule) -> dg.AssetChecksDefinition:
    key = freshness_key(rule)

    @dg.asset_check(
        asset=key.asset_key,
        name=key.name,
        description=(
            f"Warn when the newest {rule.column} of {rule.schema}.{rule.table} is more than "
            f"{rule.warn_after} before the platform clock (the dbt source's freshness)."
        ),
        blocking=False,
        pool=WAREHOUSE_POOL,
    )
    def fresh(velo: SettingsResource) -> dg.AssetCheckResult:
        with step_errors(f"freshness of {rule.schema}.{rule.table}"):
            return evaluate_freshness(velo.settings, rule)

    return fresh


def build_freshness_checks(settings: Settings, source_name: str) -> list[dg.AssetChecksDefinition]:
    """One check per table of this source that declares freshness in dbt's manifest."""
    return [build_freshness_check(rule) for rule in freshness_rules(settings, source_name)]
