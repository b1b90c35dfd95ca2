"""The code location loads and validates; its graph is one lineage from the loads to serving."""

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from velo.ingest.contract import ADVENTUREWORKS_TABLES
from velo.orchestration import fx_rates, operations, sentiment, serving, warehouse
from velo.orchestration.definitions import build_definitions
from velo.orchestration.loading import raw_key
from velo.orchestration.resources import WAREHOUSE_POOL
from velo.orchestration.schedules import FRESHNESS_JOB, FX_JOB, PLATFORM_JOB
from velo.orchestration.serving import KEY as SERVING_KEY
from velo.orchestration.serving import report_metadata
from velo.settings import Settings
from velo.warehouse.runner import current_manifest


def test_code_location_validates_as_dagster_loads_it(settings: Settings) -> None:
    """`velo dagster` serves the module's `defs`: Dagster's own validator must accept it."""
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "velo.orchestration.definitions"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "passed validation" in done.stdout + done.stderr


def test_definitions_load_validate_and_form_one_lineage(settings: Settings) -> None:
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()

    loaded = {raw_key(t) for t in [*ADVENTUREWORKS_TABLES, fx_rates.TABLE, sentiment.TABLE]}
    assert loaded <= keys
    # Every dbt source is one of the dlt assets: no dangling external "raw" assets.
    externals = {key for key in keys if not graph.get(key).is_materializable}
    assert externals == set(), externals
    assert sentiment.LANDING_KEY in graph.get(raw_key(sentiment.TABLE)).parent_keys
    # serving_db sits downstream of the loads the answers are computed from.
    upstream = set(graph.upstream_key_iterator(SERVING_KEY))
    feeding = ["salesorderheader", "salesorderdetail", "product", "fx_rates", "sentiment"]
    assert {raw_key(table) for table in feeding} <= upstream
    assert sentiment.LANDING_KEY in upstream
    assert any(
        key.path[-1] == "obt_sales_order_lines" for key in graph.get(SERVING_KEY).parent_keys
    )


def test_every_dbt_data_test_is_a_check_in_dagster(settings: Settings) -> None:
    """Singular tests that read several models included: Dagster would otherwise log them as
    bare observations, with a warning on every `velo run`."""
    manifest = current_manifest(settings)
    tests = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"}
    checks = {
        key.name for key in build_definitions(settings).resolve_asset_graph().asset_check_keys
    }
    assert any(name.startswith("assert_") for name in tests)
    assert tests <= checks, sorted(tests - checks)


def test_warehouse_writers_share_one_pool_and_api_steps_retry(settings: Settings) -> None:
    defs = build_definitions(settings)
    job = defs.resolve_job_def(PLATFORM_JOB)
    pools = {node.name: node.definition.pool for node in job.graph.nodes}
    assert pools["load_operations"] == pools["load_fx"] == pools["load_sentiment"] == WAREHOUSE_POOL
    assert pools["dbt_build"] == pools["serving_db"] == WAREHOUSE_POOL
    retried = {node.name for node in job.graph.nodes if node.definition.retry_policy}
    assert {"load_fx", "landing__sentiment", "dbt_build"} <= retried
    policy = job.graph.node_named("load_fx").definition.retry_policy
    assert policy.backoff == dg.Backoff.EXPONENTIAL


def test_schedules_cover_each_source_and_the_build(settings: Settings) -> None:
    defs = build_definitions(settings)
    crons = {s.name: s.cron_schedule for s in defs.schedules}
    assert crons[f"{FX_JOB}_schedule"].split()[1] == "*"  # hourly
    for job in ("operations_load", "sentiment_load"):
        assert crons[f"{job}_schedule"].split()[1] != "*"  # daily
    assert "warehouse_build_schedule" not in crons  # the build follows the loads (below)
    assert "demo_tick_schedule" in crons  # the defaults are the simulated APIs: demo mode
    sensors = {s.name: s for s in defs.sensors}
    assert {"slack_on_success", "slack_on_failure", "daily_build"} <= set(sensors)
    assert sensors["daily_build"].default_status == dg.DefaultSensorStatus.RUNNING
    # The hourly freshness job checks each table whose dbt source declares freshness.
    (freshness_job,) = [job for job in defs.jobs if job.name == FRESHNESS_JOB]
    checks = freshness_job.selection.resolve_checks(defs.resolve_asset_graph())
    assert {key.asset_key.to_user_string() for key in checks} == {
        "raw/fx_rates",
        "raw/salesorderheader",
        "raw/sentiment",
    }


def test_the_serving_asset_points_at_the_dashboard(settings: Settings) -> None:
    settings = settings.with_overrides(dashboard_url="http://127.0.0.1:8599")
    spec = build_definitions(settings).resolve_asset_graph().get(SERVING_KEY)
    assert "http://127.0.0.1:8599" in spec.description
    assert spec.metadata["dashboard"] == dg.MetadataValue.url("http://127.0.0.1:8599")


def test_the_daily_build_starts_once_every_load_of_the_day_has_landed(settings: Settings) -> None:
    """Declarative automation: after the 02:00 tick, each dbt asset and publish wait until every
    load they depend on has landed that day; each is built once a day."""
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    # the hourly FX refresh's publish is the FX job's, not the daily build's
    daily = dg.AssetSelection.groups(warehouse.GROUP, serving.GROUP)
    build = (daily - dg.AssetSelection.assets(serving.FX_KEY)).resolve(graph)
    loads = {
        source: dg.AssetSelection.groups(source).resolve(graph)
        for source in (operations.SOURCE, fx_rates.SOURCE, sentiment.SOURCE)
    }
    every_load = set().union(*loads.values())
    # seeds and the time spine read no load: they build at the tick
    independent = {
        key
        for key in build
        if not dg.AssetSelection.assets(key).upstream().resolve(graph) & every_load
    }
    instance = dg.DagsterInstance.ephemeral()
    cursor = None

    def requested_at(hour: int, minute: int) -> set[dg.AssetKey]:
        nonlocal cursor
        at = datetime(2026, 11, 30, hour, minute, tzinfo=UTC)
        result = dg.evaluate_automation_conditions(
            defs,
            instance,
            asset_selection=dg.AssetSelection.assets(*build),
            evaluation_time=at,
            cursor=cursor,
        )
        cursor = result.cursor
        return {key for key in build if result.get_num_requested(key)}

    def materialized(keys: set[dg.AssetKey]) -> None:
        for key in keys:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))

    def landed(*sources: str) -> None:
        for source in sources:
            materialized(loads[source])

    landed(fx_rates.SOURCE, operations.SOURCE, sentiment.SOURCE)  # yesterday's loads
    assert requested_at(1, 50) == set()
    assert requested_at(2, 5) == independent  # the tick passed; today's loads have not landed
    materialized(independent)  # the run it started
    landed(fx_rates.SOURCE, operations.SOURCE)
    first = requested_at(2, 20)  # what reads only those two may start
    assert first and SERVING_KEY not in first
    assert not {key for key in first if "sentiment" in key.to_user_string()}
    materialized(first)
    landed(sentiment.SOURCE)
    rest = requested_at(2, 35)  # all landed: the rest of the build, publish included
    assert SERVING_KEY in rest and not first & rest and independent | first | rest == build
    assert requested_at(2, 50) == set()  # once a day


def test_the_hourly_fx_refresh_builds_only_the_fx_path(settings: Settings) -> None:
    """The hourly job: the FX load, the dbt models between it and the FX mart, the FX publish;
    the daily build and the platform job leave that publish out (they publish everything)."""
    defs = build_definitions(settings)
    fx_job = defs.resolve_job_def(FX_JOB).asset_layer.executable_asset_keys
    names = {key.to_user_string() for key in fx_job}
    assert {"raw/fx_rates", "marts/fct_fx_rates_hourly", "serving_fx_rates"} <= names
    assert all("fx" in name for name in names), names  # nothing of sales, sentiment, products
    assert "serving_db" not in names
    platform = defs.resolve_job_def(PLATFORM_JOB).asset_layer.executable_asset_keys
    assert serving.FX_KEY not in platform and SERVING_KEY in platform


def test_a_publish_report_becomes_plain_asset_metadata(tmp_path: Path) -> None:
    from velo.serving.publish import PublishReport

    report = PublishReport(
        tmp_path / "serving.duckdb",
        datetime(2026, 12, 1, 3),
        "simulated",
        {"obt_sales_order_lines": 3},
        ("obt_sales_order_lines",),
    )
    metadata = report_metadata(report)
    assert metadata["updated"] == "obt_sales_order_lines"
    assert metadata["clock_kind"] == "simulated"
    assert metadata["serving_path"] == str(tmp_path / "serving.duckdb")
    assert report_metadata(replace(report, updated=()))["updated"] == "none"
