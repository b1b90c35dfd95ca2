"""The code location loads and validates; its graph is one lineage from the loads to serving."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from velo.ingest.contract import ADVENTUREWORKS_TABLES
from velo.orchestration import fx_rates, operations, sentiment
from velo.orchestration.definitions import build_definitions
from velo.orchestration.loading import raw_key
from velo.orchestration.resources import WAREHOUSE_POOL
from velo.orchestration.schedules import PLATFORM_JOB
from velo.orchestration.serving import KEY as SERVING_KEY
from velo.settings import Settings


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
    assert any(key.path[-1] == "obt_sales" for key in graph.get(SERVING_KEY).parent_keys)


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
    assert crons["fx_load_schedule"].split()[1] == "*"  # hourly
    for job in ("operations_load", "sentiment_load", "warehouse_build"):
        assert crons[f"{job}_schedule"].split()[1] != "*"  # daily
    assert "demo_tick_schedule" in crons  # the defaults are the simulated APIs: demo mode
    sensors = {s.name for s in defs.sensors}
    assert {"slack_on_success", "slack_on_failure"} <= sensors
    assert operations.FRESHNESS.table == "salesorderheader"


def test_the_serving_asset_points_at_the_dashboard(settings: Settings) -> None:
    settings = settings.with_overrides(dashboard_url="http://127.0.0.1:8599")
    spec = build_definitions(settings).resolve_asset_graph().get(SERVING_KEY)
    assert "http://127.0.0.1:8599" in spec.description
    assert spec.metadata["dashboard"] == dg.MetadataValue.url("http://127.0.0.1:8599")
